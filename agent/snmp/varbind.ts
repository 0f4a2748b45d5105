// Values as the agent holds them, independent of the wire (SNMP BER or AgentX): an OID, a
// type tag (the SNMP application tag numbers, which AgentX reuses) and a plain JS value.

export const T = {
  Integer: 0x02,
  OctetString: 0x04,
  Null: 0x05,
  ObjectIdentifier: 0x06,
  IpAddress: 0x40,
  Counter32: 0x41,
  Gauge32: 0x42,
  TimeTicks: 0x43,
  Opaque: 0x44,
  Counter64: 0x46,
  NoSuchObject: 0x80,
  NoSuchInstance: 0x81,
  EndOfMibView: 0x82,
} as const;

export type TypeName = Exclude<keyof typeof T, 'NoSuchObject' | 'NoSuchInstance' | 'EndOfMibView'>;

export type Value = number | bigint | Buffer | number[] | null;

export interface Varbind {
  oid: number[];
  /** one of T */
  type: number;
  value: Value;
}

/**
 * A row as other modules hand it in (agent/core/lldp-rows.ts): `type` is a name of T, a net-snmp
 * ObjectType number (the same tags) or a name net-snmp uses ('Counter', 'Gauge', 'OID').
 */
export interface MibRow {
  oid: number[];
  type: string | number;
  value: number | bigint | string | Buffer | Uint8Array | number[] | null;
}

const ALIASES: Record<string, number> = {
  Counter: T.Counter32,
  Gauge: T.Gauge32,
  Unsigned32: T.Gauge32,
  OID: T.ObjectIdentifier,
  Integer32: T.Integer,
  Bits: T.OctetString,
};

/** Normalises a MibRow to a Varbind; null when the row cannot be served (logged by the caller). */
export function rowToVarbind(row: MibRow): Varbind | null {
  const type =
    typeof row.type === 'number' ? row.type : ((T as Record<string, number>)[row.type] ?? ALIASES[row.type]);
  if (type === undefined || !Array.isArray(row.oid) || row.oid.length < 2) return null;
  let value: Value;
  const v = row.value;
  switch (type) {
    case T.OctetString:
    case T.Opaque:
      value = typeof v === 'string' ? Buffer.from(v, 'utf8') : v instanceof Uint8Array ? Buffer.from(v) : null;
      break;
    case T.IpAddress:
      value =
        typeof v === 'string' ? Buffer.from(v.split('.').map(Number)) : v instanceof Uint8Array ? Buffer.from(v) : null;
      if (value && value.length !== 4) value = null;
      break;
    case T.ObjectIdentifier:
      value = Array.isArray(v) ? v : typeof v === 'string' ? v.replace(/^\./, '').split('.').map(Number) : null;
      break;
    case T.Counter64:
      value = typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(Math.max(0, Math.floor(v))) : null;
      break;
    case T.Null:
      value = null;
      return { oid: row.oid, type, value };
    default:
      value = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
  }
  if (value === null) return null;
  return { oid: row.oid, type, value };
}

/** Lexicographic OID order: <0, 0, >0. */
export function compareOids(a: readonly number[], b: readonly number[]): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function isPrefix(prefix: readonly number[], oid: readonly number[]): boolean {
  if (prefix.length > oid.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== oid[i]) return false;
  return true;
}

export function parseOid(text: string): number[] {
  return text.replace(/^\./, '').split('.').map(Number);
}
