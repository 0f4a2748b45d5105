// One error tree, undici style: a stable `code` for programs, a message for people, context as
// fields. The CLI maps codes to exit status (DESIGN §1) and prints one line, never a stack.

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'SECRET_INSECURE'
  | 'USAGE'
  | 'NOT_FOUND'
  | 'OVSDB_UNREACHABLE'
  | 'OVSDB_ERROR'
  | 'OVSDB_BRIDGE_MISSING'
  | 'OVSDB_CONFLICT'
  | 'VCENTER_UNREACHABLE'
  | 'VCENTER_TLS_MISMATCH'
  | 'VCENTER_AUTH'
  | 'VCENTER_FAULT'
  | 'VCENTER_TIMEOUT'
  | 'SNMP_UNREACHABLE'
  | 'SNMP_ERROR'
  | 'CAPTURE_ERROR'
  | 'PCAP_INVALID'
  | 'STORE_CORRUPT'
  | 'STORE_TOO_NEW'
  | 'STORE_ERROR'
  | 'INTERNAL';

export class VmtraceError extends Error {
  readonly code: ErrorCode;
  /** true when retrying later may succeed (peer down, timeout); false when an operator must act */
  readonly transient: boolean;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; transient?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VmtraceError';
    this.code = code;
    this.transient = opts.transient ?? false;
  }
}

/** Exit codes, DESIGN §1: 0 ok, 1 user error, 2 peer unreachable, 3 internal. */
export function exitCodeFor(err: unknown): 1 | 2 | 3 {
  if (!(err instanceof VmtraceError)) return 3;
  switch (err.code) {
    case 'CONFIG_INVALID':
    case 'CONFIG_UNREADABLE':
    case 'SECRET_INSECURE':
    case 'USAGE':
    case 'NOT_FOUND':
    case 'OVSDB_BRIDGE_MISSING':
    case 'PCAP_INVALID':
    case 'STORE_CORRUPT':
    case 'STORE_TOO_NEW':
    case 'VCENTER_TLS_MISMATCH':
    case 'VCENTER_AUTH':
      return 1;
    case 'OVSDB_UNREACHABLE':
    case 'VCENTER_UNREACHABLE':
    case 'VCENTER_TIMEOUT':
    case 'SNMP_UNREACHABLE':
      return 2;
    default:
      return 3;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
