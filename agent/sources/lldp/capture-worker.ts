// The capture child process: one libpcap capture (npm `cap`) per interface, raw frames passed
// to the parent on fd 3; no decoding here. It is a separate process because `cap` aborts the
// whole process (an assert in its poll callback) when a captured interface goes down: the
// supervisor in capture.ts restarts us, and an agent never dies with a port.
//
// fd 3 protocol, little-endian: u8 kind (1 frame, 2 status) · u16 interface number (position in
// the list) · u32 length · payload (frame bytes, or status JSON {up, error?}).
// Config: env VMTRACE_CAPTURE = JSON { interfaces: string[], filter: string }.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(ev: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
  send(buf: Buffer, len?: number): void;
}

const require = createRequire(import.meta.url);
const { Cap } = require('cap') as { Cap: new () => CapHandle };

const config = JSON.parse(process.env.VMTRACE_CAPTURE ?? '{}') as { interfaces: string[]; filter: string };
const out = new Socket({ fd: 3, readable: false, writable: true });
out.on('error', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();

function send(kind: 1 | 2, idx: number, payload: Uint8Array): void {
  const b = Buffer.allocUnsafe(7 + payload.length);
  b[0] = kind;
  b.writeUInt16LE(idx, 1);
  b.writeUInt32LE(payload.length, 3);
  b.set(payload, 7);
  out.write(b);
}

interface Iface {
  name: string;
  idx: number;
  cap: CapHandle | null;
  ifindex: number | null;
  /** last status sent, to report changes only */
  last: string;
  /** open() failures back off: 0.5 s doubling to 30 s */
  backoff: number;
  nextTry: number;
}

/** `ifindex` and admin-up flag from sysfs; null when the interface does not exist. */
function linkState(name: string): { ifindex: number; up: boolean } | null {
  try {
    const ifindex = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
    const flags = Number(readFileSync(`/sys/class/net/${name}/flags`, 'utf8'));
    return { ifindex, up: (flags & 1) === 1 };
  } catch {
    return null;
  }
}

function status(i: Iface, up: boolean, error?: string): void {
  const s = JSON.stringify(error === undefined ? { up } : { up, error });
  if (s === i.last) return;
  i.last = s;
  send(2, i.idx, Buffer.from(s));
}

function close(i: Iface): void {
  try {
    i.cap?.close();
  } catch {
    // already gone
  }
  i.cap = null;
  i.ifindex = null;
}

function tryOpen(i: Iface, now: number): void {
  const link = linkState(i.name);
  if (!link) return status(i, false, 'interface does not exist');
  if (!link.up) return status(i, false, 'interface is down');
  if (now < i.nextTry) return;
  const buf = Buffer.alloc(65536);
  const cap = new Cap();
  try {
    const linkType = cap.open(i.name, config.filter, 4 * 1024 * 1024, buf);
    if (linkType !== 'ETHERNET') {
      cap.close();
      throw new Error(`link type ${linkType} is not Ethernet`);
    }
  } catch (e) {
    i.nextTry = now + i.backoff;
    const msg = e instanceof Error ? e.message : String(e);
    status(i, false, `capture failed (retry in ${(i.backoff / 1000).toFixed(1)} s): ${msg}`);
    i.backoff = Math.min(i.backoff * 2, 30_000);
    return;
  }
  cap.on('packet', (n) => send(1, i.idx, buf.subarray(0, n)));
  i.cap = cap;
  i.ifindex = link.ifindex;
  i.backoff = 500;
  status(i, true);
}

const ifaces: Iface[] = config.interfaces.map((name, idx) => ({ name, idx, cap: null, ifindex: null, last: '', backoff: 500, nextTry: 0 }));

function tick(): void {
  const now = Date.now();
  for (const i of ifaces) {
    if (!i.cap) {
      tryOpen(i, now);
      continue;
    }
    // a deleted / re-created or admin-down interface: close before the kernel errors the socket
    const link = linkState(i.name);
    if (!link || link.ifindex !== i.ifindex || !link.up) {
      close(i);
      status(i, false, link ? (link.up ? 'interface re-created' : 'interface is down') : 'interface does not exist');
      tryOpen(i, now);
    }
  }
}

tick();
setInterval(tick, 250);
