// The LLDP/CDP source: layer-2 capture on each interface (libpcap via npm `cap`, in a supervised
// child process: see capture-worker.ts for why), decoding, the neighbour table and its timers,
// per-interface counters, and facts to the FactSink. Missing interface, interface down, no
// CAP_NET_RAW, a dying capture process: a clear log line and a retry with backoff, never a crash.
//
// Only new or changed neighbours are reported with neighborSeen (an identical frame refreshes the
// TTL here); neighborGone when the TTL runs out or a shutdown frame (TTL 0) arrives.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import type { Neighbor } from '../../../shared/model.js';
import type { FactSink } from '../../core/facts.js';
import type { Logger } from '../../log.js';
import { decodeEthernet } from './frame.js';
import { NeighborTable } from './neighbor-table.js';
import { cdpNeighbor, lldpNeighbor, type NeighborContent } from './to-neighbor.js';

export type LldpProtocol = 'lldp' | 'cdp';

/** Kernel filter: LLDP by ethertype; CDP = 802.3 frame to 01:00:0c:cc:cc:cc with SNAP PID 0x2000. */
export function bpfFilter(protocols: LldpProtocol[]): string {
  const parts: string[] = [];
  if (protocols.includes('lldp')) parts.push('ether proto 0x88cc');
  // LLC/SNAP: bytes 14-16 AA AA 03, OUI 00000c at 17-19, PID at 20-21
  if (protocols.includes('cdp')) parts.push('(ether dst 01:00:0c:cc:cc:cc and ether[20:2] = 0x2000)');
  return parts.join(' or ') || 'ether proto 0x88cc';
}

export interface CaptureCounters {
  /** frames the kernel filter passed to us */
  frames: number;
  lldp: number;
  cdp: number;
  /** decoded as malformed (dropped whole, as lldpd does) */
  malformed: number;
  /** not LLDP/CDP after all (DTP on the CDP multicast), or a protocol not enabled */
  ignored: number;
  /** neighbours refused: shutdown from an unknown one, interface full */
  dropped: number;
  up: boolean;
  error: string | null;
  /** last malformed frame's reason */
  lastMalformed: string | null;
}

export interface LldpSourceOptions {
  interfaces: string[];
  protocols: LldpProtocol[];
  sink: FactSink;
  logger: Logger;
  /** reserved: capture in another network namespace (not supported yet) */
  netns?: never;
  /** clock, ms since epoch (tests) */
  now?: () => number;
  /** neighbours kept per interface (lldpd's max-neighbors) */
  maxNeighborsPerInterface?: number;
  /**
   * A command the capture process runs under, e.g. `['ip', 'netns', 'exec', 'NS']` to capture in
   * another namespace, or `['setpriv', '--bounding-set=-net_raw', '--']` to test without CAP_NET_RAW.
   */
  commandPrefix?: string[];
}

export interface LldpSource {
  stop(): Promise<void>;
  counters(): Record<string, CaptureCounters>;
  neighbors(): Neighbor[];
}

const EXPIRY_TICK_MS = 100;

export function startLldpSource(opts: LldpSourceOptions): LldpSource {
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ source: 'lldp' });
  const table = new NeighborTable(opts.maxNeighborsPerInterface ?? 32);
  const want = new Set(opts.protocols);
  const counters: Record<string, CaptureCounters> = {};
  for (const i of opts.interfaces) {
    counters[i] = { frames: 0, lldp: 0, cdp: 0, malformed: 0, ignored: 0, dropped: 0, up: false, error: null, lastMalformed: null };
  }
  const lastMalformedLog = new Map<string, number>();
  let stopped = false;
  let child: ChildProcess | null = null;
  let restartDelay = 100;
  let restartTimer: NodeJS.Timeout | null = null;
  let startedAt = 0;

  const onFrame = (iface: string, bytes: Uint8Array) => {
    const c = counters[iface];
    if (!c) return;
    c.frames++;
    const d = decodeEthernet(bytes);
    if (d.kind === 'ignored') {
      c.ignored++;
      return;
    }
    if (d.kind === 'malformed') {
      c.malformed++;
      c.lastMalformed = `${d.protocol} ${d.error.tlv} at ${d.error.offset}: ${d.error.reason}`;
      // one warning per interface per minute: a stream of garbage must not flood the journal
      const t = now();
      const fields = { iface, src: d.src, protocol: d.protocol, tlv: d.error.tlv, offset: d.error.offset, malformed: c.malformed };
      if (t - (lastMalformedLog.get(iface) ?? -Infinity) >= 60_000) {
        lastMalformedLog.set(iface, t);
        log.warn(fields, `malformed ${d.protocol} frame dropped: ${d.error.reason}`);
      } else log.debug(fields, `malformed ${d.protocol} frame dropped: ${d.error.reason}`);
      return;
    }
    if (!want.has(d.kind)) {
      c.ignored++;
      return;
    }
    let content: NeighborContent;
    if (d.kind === 'lldp') {
      c.lldp++;
      content = lldpNeighbor(iface, d.frame);
    } else {
      c.cdp++;
      content = cdpNeighbor(iface, d.frame);
    }
    const o = table.observe(content, now());
    switch (o.kind) {
      case 'new':
      case 'changed':
        log.info({ iface, chassisId: o.neighbor.chassisId, portId: o.neighbor.portId, sysName: o.neighbor.sysName, protocol: o.neighbor.protocol }, `neighbour ${o.kind}`);
        opts.sink.neighborSeen(o.neighbor);
        break;
      case 'removed':
        log.info({ iface, chassisId: o.neighbor.chassisId, portId: o.neighbor.portId }, 'neighbour gone (shutdown frame)');
        opts.sink.neighborGone(iface, o.neighbor.chassisId, o.neighbor.portId);
        break;
      case 'dropped':
        c.dropped++;
        log.debug({ iface }, o.reason);
        break;
      case 'refreshed':
        break;
    }
  };

  const onStatus = (iface: string, up: boolean, error?: string) => {
    const c = counters[iface];
    if (!c) return;
    const changed = c.up !== up || c.error !== (error ?? null);
    c.up = up;
    c.error = error ?? null;
    if (!changed) return;
    if (up) log.info({ iface }, 'capture started');
    else log.warn({ iface, error }, `capture not running on ${iface}: ${error ?? 'stopped'}`);
    opts.sink.captureStatus(iface, up, error);
  };

  const expiry = setInterval(() => {
    for (const n of table.expire(now())) {
      log.info({ iface: n.iface, chassisId: n.chassisId, portId: n.portId }, 'neighbour expired (TTL)');
      opts.sink.neighborGone(n.iface, n.chassisId, n.portId);
    }
  }, EXPIRY_TICK_MS);

  const spawnWorker = () => {
    restartTimer = null;
    if (stopped) return;
    const w = workerCommand();
    const [cmd, ...args] = [...(opts.commandPrefix ?? []), w.cmd, ...w.args] as [string, ...string[]];
    const p = spawn(cmd, args, {
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, VMTRACE_CAPTURE: JSON.stringify({ interfaces: opts.interfaces, filter: bpfFilter(opts.protocols) }) },
    });
    child = p;
    startedAt = Date.now();
    p.stderr?.setEncoding('utf8');
    p.stderr?.on('data', (s: string) => {
      for (const line of s.split('\n')) if (line.trim()) log.debug({ worker: line.trim() }, 'capture process');
    });
    readMessages(p.stdio[3] as Readable, (kind, idx, payload) => {
      const iface = opts.interfaces[idx];
      if (iface === undefined) return;
      if (kind === 1) onFrame(iface, payload);
      else if (kind === 2) {
        try {
          const s = JSON.parse(Buffer.from(payload).toString('utf8')) as { up: boolean; error?: string };
          onStatus(iface, s.up, s.error);
        } catch {
          // a garbled status is ignored; the next one arrives within a second
        }
      }
    });
    p.on('error', (e) => log.error({ err: e.message }, 'capture process could not start'));
    p.on('exit', (code, signal) => {
      if (child === p) child = null;
      if (stopped) return;
      // a capture that ran for a while (it died with a port going down) restarts at once; one
      // that dies at start-up (cap missing, a broken install) backs off up to 10 s
      restartDelay = Date.now() - startedAt > 3_000 ? 100 : Math.min(restartDelay * 2, 10_000);
      log.warn({ code, signal, retryMs: restartDelay }, 'capture process exited (an interface went down?); restarting');
      for (const iface of opts.interfaces) onStatus(iface, false, `capture process exited (${signal ?? code})`);
      restartTimer = setTimeout(spawnWorker, restartDelay);
    });
  };
  spawnWorker();

  return {
    async stop() {
      stopped = true;
      clearInterval(expiry);
      if (restartTimer) clearTimeout(restartTimer);
      const p = child;
      child = null;
      if (p && p.exitCode === null && p.signalCode === null) {
        await new Promise<void>((res) => {
          const t = setTimeout(() => {
            p.kill('SIGKILL');
            res();
          }, 2000);
          p.once('exit', () => {
            clearTimeout(t);
            res();
          });
          p.stdin?.end();
          p.kill('SIGTERM');
        });
      }
    },
    counters() {
      return Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, { ...v }]));
    },
    neighbors() {
      return table.all();
    },
  };
}

/** How to start the worker: compiled JS runs as is; from TypeScript sources (tests) through tsx. */
function workerCommand(): { cmd: string; args: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) {
    const worker = self.replace(/capture\.ts$/, 'capture-worker.ts');
    return { cmd: process.execPath, args: ['--import', import.meta.resolve('tsx'), worker] };
  }
  return { cmd: process.execPath, args: [self.replace(/capture\.js$/, 'capture-worker.js')] };
}

/** Length-prefixed messages from the worker (see capture-worker.ts). */
function readMessages(stream: Readable, on: (kind: number, idx: number, payload: Uint8Array) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let off = 0;
    while (pending.length - off >= 7) {
      const len = pending.readUInt32LE(off + 3);
      if (pending.length - off < 7 + len) break;
      on(pending[off]!, pending.readUInt16LE(off + 1), pending.subarray(off + 7, off + 7 + len));
      off += 7 + len;
    }
    pending = off === pending.length ? Buffer.alloc(0) : pending.subarray(off);
  });
  stream.on('error', () => {});
}
