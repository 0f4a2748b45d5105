// A small SNMP manager over npm `net-snmp`: GET of scalars and GETBULK walks of chosen table
// columns, in parallel (one request carries every unfinished column), with every failure
// turned into a VmtraceError: no answer → SNMP_UNREACHABLE (exit 2), anything the agent
// says no to → SNMP_ERROR, v3 credentials the agent rejects → SnmpAuthError.

import { VmtraceError } from '../errors.js';
import type { SnmpCredentials } from './credentials.js';
import { netSnmp, type NetSnmpSession, type SnmpV3User, type SnmpVarbind } from './net-snmp-client.js';
import { formatAgentTarget, type AgentTarget } from './target.js';

export interface ClientOptions {
  /** per request, before a retry; default 1500 ms */
  timeoutMs?: number;
  /** retries per request; default 1 */
  retries?: number;
  /** varbinds asked for per GETBULK (split over the columns walked; default 120); halved on tooBig */
  maxVarbinds?: number;
  /** cells one walk may return before it is called off (an agent that never ends); default 5,000,000 */
  maxCells?: number;
}

/** The agent rejected our v3 user or keys (unknown user, wrong digest, decryption error). */
export class SnmpAuthError extends VmtraceError {
  constructor(message: string, cause?: unknown) {
    super('SNMP_ERROR', message, { cause });
  }
}

/** index suffix (e.g. "12" or "3.7") → column number → varbind */
export type ColumnRows = Map<string, Map<number, SnmpVarbind>>;

export class SnmpClient {
  private readonly session: NetSnmpSession;
  private readonly where: string;
  private readonly waitText: string;
  private maxVarbinds: number;
  private readonly maxCells: number;
  private closed = false;

  constructor(target: AgentTarget, creds: SnmpCredentials, opts: ClientOptions = {}) {
    const timeout = opts.timeoutMs ?? 1500;
    const retries = opts.retries ?? 1;
    this.where = formatAgentTarget(target);
    this.waitText = `${((timeout * (retries + 1)) / 1000).toFixed(1).replace(/\.0$/, '')} s`;
    this.maxVarbinds = Math.max(1, opts.maxVarbinds ?? 120);
    this.maxCells = opts.maxCells ?? 5_000_000;
    const options = { port: target.port, retries, timeout, transport: target.transport, backwardsGetNexts: true };
    this.session =
      creds.version === '2c'
        ? netSnmp.createSession(target.host, creds.community, { ...options, version: netSnmp.Version2c })
        : netSnmp.createV3Session(target.host, v3User(creds), options);
    // A socket error must not become an unhandled 'error' event; requests fail on their own.
    this.session.on('error', () => {});
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.session.close();
    } catch {
      // already closed by a socket error
    }
  }

  /** GET; a missing object or instance comes back as null. */
  async get(oids: string[]): Promise<(SnmpVarbind | null)[]> {
    if (oids.length === 0) return [];
    const vbs = await this.call<SnmpVarbind[]>((cb) => this.session.get(oids, cb));
    return oids.map((_, i) => {
      const vb = vbs[i];
      return vb === undefined || netSnmp.isVarbindError(vb) ? null : vb;
    });
  }

  /**
   * Walks the given columns of one table (`entryOid` = the xxxEntry OID) with GETBULK and
   * groups the cells by row index. A column ends where its OIDs leave `entryOid.col.`.
   */
  async walkColumns(entryOid: string, columns: number[]): Promise<ColumnRows> {
    const rows: ColumnRows = new Map();
    const cursors = columns.map((col) => ({ col, prefix: `${entryOid}.${col}.`, next: `${entryOid}.${col}`, done: false }));
    let cells = 0;
    for (;;) {
      const active = cursors.filter((c) => !c.done);
      if (active.length === 0) return rows;
      const reps = Math.max(1, Math.floor(this.maxVarbinds / active.length));
      let answer: SnmpVarbind[][];
      try {
        answer = await this.call<SnmpVarbind[][]>((cb) => this.session.getBulk(active.map((c) => c.next), 0, reps, cb));
      } catch (err) {
        // tooBig: ask for fewer rows per request until one row per column fits.
        if (err instanceof VmtraceError && err.code === 'SNMP_ERROR' && /tooBig/i.test(err.message) && this.maxVarbinds > active.length) {
          this.maxVarbinds = Math.max(active.length, Math.floor(this.maxVarbinds / 2));
          continue;
        }
        throw err;
      }
      active.forEach((cursor, i) => {
        const list = answer[i] ?? [];
        if (list.length === 0) cursor.done = true;
        for (const vb of list) {
          if (netSnmp.isVarbindError(vb) || !vb.oid.startsWith(cursor.prefix)) {
            cursor.done = true;
            break;
          }
          if (compareOids(vb.oid, cursor.next) <= 0) {
            throw new VmtraceError('SNMP_ERROR', `agent ${this.where} answered ${vb.oid} after ${cursor.next}: OIDs not increasing`);
          }
          cursor.next = vb.oid;
          if (++cells > this.maxCells) {
            throw new VmtraceError('SNMP_ERROR', `agent ${this.where} sent more than ${this.maxCells} cells for ${entryOid}: walk called off`);
          }
          const index = vb.oid.slice(cursor.prefix.length);
          let row = rows.get(index);
          if (!row) rows.set(index, (row = new Map()));
          row.set(cursor.col, vb);
        }
      });
    }
  }

  private call<T>(start: (cb: (error: Error | null, result: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      try {
        start((error, result) => (error ? reject(this.translate(error)) : resolve(result)));
      } catch (err) {
        reject(this.translate(err));
      }
    });
  }

  private translate(err: unknown): VmtraceError {
    if (err instanceof VmtraceError) return err;
    const e = err as Error & { code?: unknown; status?: number };
    if (err instanceof netSnmp.RequestTimedOutError) {
      return new VmtraceError('SNMP_UNREACHABLE', `no answer from agent ${this.where} within ${this.waitText} (agent down, wrong address, or wrong community)`, {
        cause: err,
        transient: true,
      });
    }
    if (err instanceof netSnmp.ResponseInvalidError && e.code === netSnmp.ResponseInvalidCode.EAuthFailure) {
      return new SnmpAuthError(`agent ${this.where} refused our SNMPv3 credentials: ${e.message}`, err);
    }
    if (err instanceof netSnmp.RequestFailedError) {
      const status = Object.entries(netSnmp.ErrorStatus).find(([, v]) => v === e.status)?.[0] ?? String(e.status);
      return new VmtraceError('SNMP_ERROR', `agent ${this.where} answered ${lowerFirst(status)}`, { cause: err });
    }
    if (typeof e?.code === 'string' && /^(ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNREFUSED|EADDRNOTAVAIL)$/.test(e.code)) {
      return new VmtraceError('SNMP_UNREACHABLE', `cannot reach agent ${this.where}: ${e.code}`, { cause: err, transient: true });
    }
    if (e?.message === 'Socket forcibly closed') {
      return new VmtraceError('SNMP_UNREACHABLE', `connection to agent ${this.where} closed`, { cause: err, transient: true });
    }
    return new VmtraceError('SNMP_ERROR', `SNMP exchange with agent ${this.where} failed: ${e?.message ?? String(err)}`, { cause: err });
  }
}

function v3User(c: Extract<SnmpCredentials, { version: '3' }>): SnmpV3User {
  const priv = c.priv === 'aes128' ? netSnmp.PrivProtocols.aes : c.priv === 'aes256' ? netSnmp.PrivProtocols.aes256b : netSnmp.PrivProtocols.aes256r;
  return {
    name: c.user,
    level: netSnmp.SecurityLevel.authPriv,
    authProtocol: netSnmp.AuthProtocols[c.auth === 'sha1' ? 'sha' : c.auth],
    authKey: c.authKey,
    privProtocol: priv,
    privKey: c.privKey,
  };
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Numeric OID order: negative when a sorts before b. */
export function compareOids(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
