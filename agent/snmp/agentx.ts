// AgentX subagent of the switch's snmpd (RFC 2741) over TCP or a unix socket. It opens a
// session, registers our subtrees and answers Get/GetNext/GetBulk from the OID tree; SETs are
// refused (notWritable). When the master goes away, restarts or stops answering pings, the
// session is dropped and re-opened with backoff. Nothing here ever blocks the agent: every
// wait has a timeout and a missing master only means more reconnect attempts.

import net from 'node:net';
import type { Logger } from '../log.js';
import {
  AgentXError,
  AgentXFramer,
  AX,
  AX_ERR,
  AxReader,
  encodePdu,
  type AgentXPdu,
  type AxWriter,
  type SearchRange,
} from './agentx-pdu.js';
import type { SnmpCounters } from './counters.js';
import { throttled } from './throttle.js';
import type { OidTree } from './tree.js';
import { compareOids, T, type Varbind } from './varbind.js';

export interface AgentXConfig {
  /** "tcp:HOST:PORT", "unix:/path" or "/path" (snmpd's default is /var/agentx/master) */
  address: string;
  /** subtrees to register */
  subtrees: number[][];
  /** our identity in the Open PDU */
  id: number[];
  descr: string;
  /** per-request timeout snmpd applies to us, seconds */
  timeoutS?: number;
  /** how long we wait for the master's answers */
  responseTimeoutMs?: number;
  pingIntervalMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

type Target = { path: string } | { host: string; port: number };

export function parseAgentXAddress(spec: string): Target {
  const s = spec.trim();
  if (s.startsWith('/')) return { path: s };
  if (s.startsWith('unix:')) return { path: s.slice(5) };
  const m = /^(?:tcp:)?(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(s);
  if (!m) throw new RangeError(`AgentX address "${spec}" is not tcp:HOST:PORT or unix:PATH`);
  return { host: (m[1] ?? m[2])!, port: Number(m[3]) };
}

const SNMP_ERR = { notWritable: 17, genErr: 5 };

interface Pending {
  resolve: (pdu: AgentXPdu) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export type AgentXState = 'connecting' | 'open' | 'down' | 'stopped';

export class AgentXSubagent {
  private socket: net.Socket | null = null;
  private framer = new AgentXFramer();
  private sessionId = 0;
  private packetId = 1;
  private pending = new Map<number, Pending>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private backoff: number;
  private readonly startMs = Date.now();
  private readonly target: Target;
  state: AgentXState = 'down';
  private lastError = '';
  private readonly warnPdu = throttled(60_000, (suppressed) => this.log.warn({ err: this.lastError, suppressed }, 'agentx: request not answered'));
  /** ms since epoch at which the master's sysUpTime was 0 (known once a session opened) */
  masterStartMs: number | null = null;
  /** resolved each time a session is open and registered (tests, logs) */
  private openWaiters: Array<() => void> = [];

  constructor(
    private readonly cfg: AgentXConfig,
    private readonly tree: () => OidTree,
    private readonly counters: SnmpCounters,
    private readonly log: Logger,
  ) {
    this.target = parseAgentXAddress(cfg.address);
    this.backoff = cfg.backoffMinMs ?? 200;
  }

  start(): void {
    if (this.state === 'stopped') return;
    this.connect();
  }

  /** Resolves when a session is open (now or later); for tests and start-up logs. */
  whenOpen(): Promise<void> {
    if (this.state === 'open') return Promise.resolve();
    return new Promise((resolve) => this.openWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    const wasOpen = this.state === 'open';
    this.state = 'stopped';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.reconnectTimer = null;
    this.pingTimer = null;
    if (wasOpen && this.socket) {
      // Close politely (reason shutdown) but never wait long for a hung master.
      await this.request(AX.Close, (w) => w.u8(5).u8(0).u8(0).u8(0), 500).catch(() => undefined);
    }
    this.drop('stopped');
  }

  private nextPacketId(): number {
    this.packetId = (this.packetId % 0x7fffffff) + 1;
    return this.packetId;
  }

  private connect(): void {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    this.framer = new AgentXFramer();
    const socket = 'path' in this.target ? net.connect(this.target.path) : net.connect(this.target.port, this.target.host);
    this.socket = socket;
    socket.setNoDelay(true);
    const connectTimer = setTimeout(() => socket.destroy(new Error('connect timeout')), this.cfg.responseTimeoutMs ?? 3000);
    socket.on('connect', () => {
      clearTimeout(connectTimer);
      void this.handshake(socket);
    });
    socket.on('data', (chunk) => this.onData(socket, chunk));
    socket.on('error', (err) => {
      clearTimeout(connectTimer);
      this.log.debug({ err: err.message }, 'agentx: socket error');
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      if (this.socket === socket) this.onDown('connection closed');
    });
  }

  private async handshake(socket: net.Socket): Promise<void> {
    try {
      const open = await this.request(AX.Open, (w) => {
        w.u8(this.cfg.timeoutS ?? 5).u8(0).u8(0).u8(0);
        w.oid(this.cfg.id);
        w.octets(Buffer.from(this.cfg.descr));
      });
      const r = responseOf(open);
      if (r.error !== 0) throw new Error(`master refused Open (error ${r.error})`);
      this.sessionId = open.sessionId;
      // The master's sysUpTime is the clock of LLDP-MIB time marks (lldpd aligns to it too).
      this.masterStartMs = Date.now() - r.uptime * 10;
      for (const subtree of this.cfg.subtrees) {
        const reg = await this.request(AX.Register, (w) => {
          w.u8(0).u8(127).u8(0).u8(0);
          w.oid(subtree);
        });
        const rr = responseOf(reg);
        if (rr.error === AX_ERR.duplicateRegistration) {
          this.log.warn({ subtree: subtree.join('.') }, 'agentx: subtree already registered by another subagent');
        } else if (rr.error !== 0) throw new Error(`master refused Register ${subtree.join('.')} (error ${rr.error})`);
      }
      if (this.socket !== socket) return;
      this.state = 'open';
      this.counters.agentxConnects++;
      this.backoff = this.cfg.backoffMinMs ?? 200;
      this.log.info({ master: this.cfg.address, session: this.sessionId }, 'agentx: registered with the master agent');
      this.startPings(socket);
      const waiters = this.openWaiters;
      this.openWaiters = [];
      for (const w of waiters) w();
    } catch (err) {
      this.log.warn({ master: this.cfg.address, err: (err as Error).message }, 'agentx: session setup failed');
      if (this.socket === socket) socket.destroy();
    }
  }

  private startPings(socket: net.Socket): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.socket !== socket || this.state !== 'open') return;
      this.request(AX.Ping, () => undefined).catch((err: Error) => {
        // A master that stops answering is as good as gone: reconnect.
        if (this.socket !== socket) return;
        this.log.warn({ err: err.message }, 'agentx: master did not answer a ping');
        socket.destroy();
      });
    }, this.cfg.pingIntervalMs ?? 10_000);
    this.pingTimer.unref();
  }

  private onDown(why: string): void {
    if (this.state === 'open') {
      this.counters.agentxDisconnects++;
      this.log.warn({ master: this.cfg.address, why }, 'agentx: lost the master agent; reconnecting');
    }
    this.drop(why);
    if (this.state === 'stopped') return;
    this.state = 'down';
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.cfg.backoffMaxMs ?? 2000);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private drop(why: string): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
    this.pending.clear();
    const s = this.socket;
    this.socket = null;
    s?.destroy();
  }

  private request(type: number, body: (w: AxWriter) => void, timeoutMs = this.cfg.responseTimeoutMs ?? 3000): Promise<AgentXPdu> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('not connected'));
    const packetId = this.nextPacketId();
    const buf = encodePdu(type, { sessionId: this.sessionId, transactionId: 0, packetId }, body);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(packetId);
        reject(new Error(`no answer from the master within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(packetId, { resolve, reject, timer });
      socket.write(buf);
    });
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    let pdus: AgentXPdu[];
    try {
      pdus = this.framer.push(chunk);
    } catch (err) {
      this.counters.agentxParseErrors++;
      this.log.warn({ err: (err as Error).message }, 'agentx: broken stream from the master; reconnecting');
      socket.destroy();
      return;
    }
    for (const pdu of pdus) {
      try {
        this.onPdu(socket, pdu);
      } catch (err) {
        // A malformed PDU is the master's fault (parseError); anything else is ours, e.g. the
        // state view failing (processingError): answer either way so snmpd does not wait.
        const parse = err instanceof AgentXError;
        if (parse) this.counters.agentxParseErrors++;
        if (pdu.type !== AX.Response && pdu.type !== AX.CleanupSet) this.reply(socket, pdu, parse ? AX_ERR.parseError : AX_ERR.processingError, 0, []);
        this.lastError = `${parse ? 'bad PDU from the master' : 'cannot answer'}: ${(err as Error).message}`;
        this.warnPdu();
      }
    }
  }

  private uptime(): number {
    return Math.floor((Date.now() - this.startMs) / 10) >>> 0;
  }

  private reply(socket: net.Socket, req: AgentXPdu, error: number, index: number, varbinds: Varbind[]): void {
    const buf = encodePdu(AX.Response, { sessionId: req.sessionId, transactionId: req.transactionId, packetId: req.packetId }, (w) => {
      w.u32(this.uptime()).u16(error).u16(index);
      for (const vb of varbinds) w.varbind(vb);
    });
    socket.write(buf);
  }

  private onPdu(socket: net.Socket, pdu: AgentXPdu): void {
    const r = new AxReader(pdu.payload, pdu.bigEndian);
    switch (pdu.type) {
      case AX.Response: {
        const p = this.pending.get(pdu.packetId);
        if (p) {
          this.pending.delete(pdu.packetId);
          clearTimeout(p.timer);
          p.resolve(pdu);
        }
        return;
      }
      case AX.Get: {
        this.counters.agentxRequests++;
        const tree = this.tree();
        const out = r.searchRanges().map((sr) => tree.get(sr.start));
        return this.reply(socket, pdu, 0, 0, out);
      }
      case AX.GetNext: {
        this.counters.agentxRequests++;
        const tree = this.tree();
        const out = r.searchRanges().map((sr) => nextIn(tree, sr));
        return this.reply(socket, pdu, 0, 0, out);
      }
      case AX.GetBulk: {
        this.counters.agentxRequests++;
        const nonRepeaters = r.u16();
        const maxRepetitions = r.u16();
        const ranges = r.searchRanges();
        return this.reply(socket, pdu, 0, 0, bulk(this.tree(), ranges, nonRepeaters, maxRepetitions));
      }
      case AX.TestSet:
        this.counters.setRequestsRefused++;
        return this.reply(socket, pdu, SNMP_ERR.notWritable, 1, []);
      case AX.CommitSet:
      case AX.UndoSet:
        return this.reply(socket, pdu, 0, 0, []);
      case AX.CleanupSet:
        return;
      case AX.Close:
        this.log.info('agentx: the master closed our session');
        socket.destroy();
        return;
      default:
        return this.reply(socket, pdu, AX_ERR.processingError, 0, []);
    }
  }
}

function responseOf(pdu: AgentXPdu): { uptime: number; error: number; index: number } {
  const r = new AxReader(pdu.payload, pdu.bigEndian);
  return { uptime: r.u32(), error: r.u16(), index: r.u16() };
}

/** GetNext within a search range: the first instance in [start, end) (start itself if include). */
export function nextIn(tree: OidTree, sr: SearchRange): Varbind {
  const found = tree.next(sr.start, sr.include, sr.end);
  return found ?? { oid: sr.start, type: T.EndOfMibView, value: null };
}

export function bulk(tree: OidTree, ranges: SearchRange[], nonRepeaters: number, maxRepetitions: number): Varbind[] {
  const out: Varbind[] = [];
  const n = Math.min(nonRepeaters, ranges.length);
  for (let i = 0; i < n; i++) out.push(nextIn(tree, ranges[i]!));
  const reps = ranges.slice(n).map((sr) => ({ ...sr }));
  for (let k = 0; k < Math.min(maxRepetitions, 10_000) && reps.length > 0; k++) {
    let more = false;
    for (const sr of reps) {
      const vb = nextIn(tree, sr);
      out.push(vb);
      if (vb.type !== T.EndOfMibView && compareOids(vb.oid, sr.start) >= 0) {
        sr.start = vb.oid;
        sr.include = false;
        more = true;
      }
    }
    if (!more) break;
  }
  return out;
}
