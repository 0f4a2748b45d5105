// npm run bench:lldp — LLDP/CDP decode throughput against tcpdump on the same file, and the
// capture-to-fact latency with 48 ports each receiving one frame a second.
// Prints `name value unit (target …)` lines; exits non-zero when a figure misses its target.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FactBook } from '../../agent/core/facts.js';
import { silentLogger } from '../../agent/log.js';
import { decodeEthernet } from '../../agent/sources/lldp/frame.js';
import { startLldpSource } from '../../agent/sources/lldp/capture.js';
import { readPcap } from '../../agent/sources/lldp/pcap.js';
import type { Neighbor } from '../../shared/model.js';

const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/lldp');
const FRAMES = 100_000;
const PORTS = 48;
const LATENCY_SECONDS = 10;

let failed = false;
function report(name: string, value: number, unit: string, target: string, ok: boolean): void {
  console.log(`${name} ${Number.isInteger(value) ? value : value.toFixed(2)} ${unit} (target ${target})${ok ? '' : ' MISS'}`);
  if (!ok) failed = true;
}

/** A classic pcap of `count` Ethernet frames cycled from every fixture capture. */
function buildPcap(count: number): Buffer {
  const frames: Uint8Array[] = [];
  for (const f of readdirSync(FIX).filter((x) => x.endsWith('.pcap')).sort()) {
    const r = readPcap(readFileSync(join(FIX, f)));
    if (!r.ok || r.value.linkType !== 1) continue;
    for (const p of r.value.packets) frames.push(p.data);
  }
  const parts: Buffer[] = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(1, 20);
  parts.push(head);
  const t0 = Math.floor(Date.UTC(2026, 0, 1) / 1000);
  for (let i = 0; i < count; i++) {
    const d = frames[i % frames.length]!;
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(t0 + Math.floor(i / 1000), 0);
    rec.writeUInt32LE((i % 1000) * 1000, 4);
    rec.writeUInt32LE(d.length, 8);
    rec.writeUInt32LE(d.length, 12);
    parts.push(rec, Buffer.from(d));
  }
  return Buffer.concat(parts);
}

/** Read the file and decode every frame, as `tcpdump -r` does: each result is looked at, then dropped. */
function decodeThroughput(file: string): number {
  let best = 0;
  // the first passes warm the JIT; the best later pass is the figure (the machine may be shared)
  for (let run = 0; run < 8; run++) {
    const t0 = performance.now();
    const r = readPcap(readFileSync(file));
    if (!r.ok) throw new Error(r.error);
    const kinds: Record<string, number> = { lldp: 0, cdp: 0, malformed: 0, ignored: 0 };
    for (const p of r.value.packets) kinds[decodeEthernet(p.data).kind]!++;
    const dt = performance.now() - t0;
    if (r.value.packets.length !== FRAMES || kinds.lldp === 0 || kinds.cdp === 0) throw new Error('decode failed');
    if (run >= 2) best = Math.max(best, FRAMES / (dt / 1000));
  }
  return best;
}

function tcpdumpThroughput(file: string): number {
  let best = 0;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    const r = spawnSync('tcpdump', ['-nn', '-vv', '-r', file], { stdio: ['ignore', 'ignore', 'ignore'] });
    const dt = performance.now() - t0;
    if (r.status !== 0) throw new Error(`tcpdump exited ${r.status}`);
    best = Math.max(best, FRAMES / (dt / 1000));
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Latency: 48 veth pairs; the far ends sit in a namespace where a small sender process injects
// raw LLDP frames (libpcap inject) when told to; our source captures the near ends. The bench
// stamps each frame just before telling the sender, and again when the fact reaches the sink.

const SENDER = `
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
const require = createRequire(process.env.CAP_PATH);
const { Cap } = require('cap');
const ports = JSON.parse(process.env.PORTS);
const caps = ports.map((p) => { const c = new Cap(); c.open(p, 'ether proto 0x1', 65536, Buffer.alloc(1600)); return c; });
process.stdout.write('ready\\n');
createInterface({ input: process.stdin }).on('line', (l) => {
  const [i, hex] = l.split(' ');
  const f = Buffer.from(hex, 'hex');
  caps[Number(i)].send(f, f.length);
});
process.stdin.on('end', () => process.exit(0));
`;

function lldpFrame(port: number, seq: number): Buffer {
  const mac = [0x02, 0x00, 0x5e, 0x10, 0x00, port];
  const tlv = (type: number, body: number[]) => [(type << 1) | (body.length >> 8), body.length & 0xff, ...body];
  const text = (s: string) => [...Buffer.from(s)];
  const pdu = [
    ...tlv(1, [4, ...mac]),
    ...tlv(2, [5, ...text('vmnic0')]),
    ...tlv(3, [0, 120]),
    ...tlv(5, text(`esx-${port}.bench`)),
    // a new description per frame makes every frame a change, so every frame becomes a fact
    ...tlv(6, text(`VMware ESXi 8.0.2 seq ${seq}`)),
    ...tlv(0, []),
  ];
  return Buffer.from([0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, ...mac, 0x88, 0xcc, ...pdu]);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function latency(dir: string): Promise<{ p50: number; p99: number; samples: number; expected: number }> {
  const tag = `lb${process.pid % 10000}`;
  const ns = `${tag}ns`;
  const capturePorts: string[] = [];
  const sendPorts: string[] = [];
  for (let i = 0; i < PORTS; i++) {
    capturePorts.push(`${tag}c${i}`);
    sendPorts.push(`${tag}s${i}`);
  }
  const sentAt = new Map<string, number>();
  const samples: number[] = [];
  const clock = () => performance.timeOrigin + performance.now();
  class Sink extends FactBook {
    override neighborSeen(n: Neighbor): void {
      const s = sentAt.get(`${n.iface}/${n.sysDescr}`);
      if (s !== undefined) samples.push(clock() - s);
      super.neighborSeen(n);
    }
  }
  let source: ReturnType<typeof startLldpSource> | null = null;
  let sender: ChildProcess | null = null;
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    for (let i = 0; i < PORTS; i++) {
      execFileSync('ip', ['link', 'add', capturePorts[i]!, 'type', 'veth', 'peer', 'name', sendPorts[i]!, 'netns', ns]);
      spawnSync('sysctl', ['-qw', `net.ipv6.conf.${capturePorts[i]}.disable_ipv6=1`]);
      execFileSync('ip', ['link', 'set', capturePorts[i]!, 'up']);
      execFileSync('ip', ['-n', ns, 'link', 'set', sendPorts[i]!, 'up']);
    }
    source = startLldpSource({ interfaces: capturePorts, protocols: ['lldp', 'cdp'], sink: new Sink(), logger: silentLogger() });
    const senderFile = join(dir, 'sender.mjs');
    writeFileSync(senderFile, SENDER);
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, senderFile], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, PORTS: JSON.stringify(sendPorts), CAP_PATH: createRequire(import.meta.url).resolve('cap') },
    });
    sender = p;
    await new Promise<void>((res, rej) => {
      p.stdout!.once('data', () => res());
      p.once('exit', (c) => rej(new Error(`sender exited ${c}`)));
    });
    const deadline = Date.now() + 15_000;
    while (!Object.values(source.counters()).every((c) => c.up)) {
      if (Date.now() > deadline) throw new Error('captures did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    // each port sends one frame a second, the 48 ports spread over the second
    let seq = 0;
    const start = performance.now();
    for (let s = 0; s < LATENCY_SECONDS; s++) {
      for (let i = 0; i < PORTS; i++) {
        const wait = start + s * 1000 + (i * 1000) / PORTS - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        seq++;
        const frame = lldpFrame(i, seq).toString('hex');
        sentAt.set(`${capturePorts[i]}/VMware ESXi 8.0.2 seq ${seq}`, clock());
        p.stdin!.write(`${i} ${frame}\n`);
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    const sorted = [...samples].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length, expected: PORTS * LATENCY_SECONDS };
  } finally {
    sender?.stdin?.end();
    sender?.kill();
    await source?.stop();
    spawnSync('ip', ['netns', 'del', ns]);
    for (const p of capturePorts) spawnSync('ip', ['link', 'del', p], { stdio: 'ignore' });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vmtrace-bench-lldp-'));
  try {
    const file = join(dir, 'corpus-100k.pcap');
    writeFileSync(file, buildPcap(FRAMES));
    const ours = decodeThroughput(file);
    const tcpdump = tcpdumpThroughput(file);
    report('lldp_decode_throughput', Math.round(ours), 'frames/s', '>= 200000', ours >= 200_000);
    report('tcpdump_decode_throughput', Math.round(tcpdump), 'frames/s', 'reference, same file, same run', true);
    report('lldp_decode_vs_tcpdump', ours / tcpdump, 'x', '>= 2', ours >= 2 * tcpdump);
    const l = await latency(dir);
    report('lldp_capture_to_fact_samples', l.samples, 'facts', `= ${l.expected} (48 ports x 1 frame/s x ${LATENCY_SECONDS} s)`, l.samples === l.expected);
    report('lldp_capture_to_fact_p50', l.p50, 'ms', '<= 10', l.p50 <= 10);
    // the issue asks for a neighbour within 2 s; 100 ms is a tenth of one port's frame interval
    report('lldp_capture_to_fact_p99', l.p99, 'ms', '<= 100', l.p99 <= 100);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

await main();
