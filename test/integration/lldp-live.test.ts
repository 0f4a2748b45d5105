// Live: lldpd made to look like ESXi hosts (LLDP, and CDP-only with -ccccc) in network
// namespaces, cabled by veth to switch ports in the root namespace where our LLDP source
// captures. Shown: a neighbour within 2 s of lldpd's first frame (timed by tcpdump on the same
// port); kill -9 (no shutdown frame) → expired after the TTL; lldpd's normal stop → removed at
// once by its shutdown frame; a missing interface is reported and retried; a flapped port
// resumes capturing.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeEthernet } from '../../agent/sources/lldp/frame.js';
import { readPcap } from '../../agent/sources/lldp/pcap.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactBook } from '../../agent/core/facts.js';
import { silentLogger } from '../../agent/log.js';
import { startLldpSource, type LldpSource } from '../../agent/sources/lldp/capture.js';
import type { Neighbor } from '../../shared/model.js';
import { createHostLink, destroyHostLink, sh, startEsxiLldpd, type EsxiLldpd, type HostLink } from '../helpers/lldpd.js';

const tag = `llv${process.pid % 100000}`;

class RecordingSink extends FactBook {
  readonly events: { at: number; kind: 'seen' | 'gone' | 'status'; iface: string; n?: Neighbor; up?: boolean; error?: string }[] = [];
  override neighborSeen(n: Neighbor): void {
    this.events.push({ at: Date.now(), kind: 'seen', iface: n.iface, n });
    super.neighborSeen(n);
  }
  override neighborGone(iface: string, chassisId: string, portId: string): void {
    this.events.push({ at: Date.now(), kind: 'gone', iface });
    super.neighborGone(iface, chassisId, portId);
  }
  override captureStatus(iface: string, up: boolean, error?: string): void {
    this.events.push({ at: Date.now(), kind: 'status', iface, up, ...(error === undefined ? {} : { error }) });
    super.captureStatus(iface, up, error);
  }
}

async function waitFor<T>(what: string, f: () => T | undefined | null | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The kernel timestamp (ms) of the first frame matching `filter` on `iface`, by tcpdump. */
function firstFrameTime(iface: string, filter: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('tcpdump', ['-i', iface, '-c', '1', '-tt', '-nn', '--immediate-mode', '-l', filter], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (s: string) => (out += s));
    p.on('exit', () => {
      const m = /^(\d+\.\d+)/m.exec(out);
      if (m) resolve(Number(m[1]) * 1000);
      else reject(new Error(`tcpdump saw nothing on ${iface}`));
    });
    setTimeout(() => p.kill(), 20_000);
  });
}

/** Start tcpdump and give it time to attach; `first` settles with the first frame's time. */
async function tcpdumpListening(iface: string, filter: string): Promise<{ first: Promise<number> }> {
  const first = firstFrameTime(iface, filter);
  first.catch(() => {});
  await new Promise((r) => setTimeout(r, 600));
  return { first };
}

describe('LLDP/CDP source against lldpd in network namespaces', () => {
  const sink = new RecordingSink();
  let source: LldpSource;
  let lldpLink: HostLink;
  let cdpLink: HostLink;
  let lldpHost: EsxiLldpd | null = null;
  let cdpHost: EsxiLldpd | null = null;
  const missing = `${tag}zz`;

  beforeAll(() => {
    lldpLink = createHostLink(`${tag}h1`, `${tag}s1`, 'vmnic0', '00:50:56:aa:bb:01', '192.0.2.11');
    cdpLink = createHostLink(`${tag}h2`, `${tag}s2`, 'vmnic1', '00:50:56:aa:bb:12', '192.0.2.12');
    source = startLldpSource({
      interfaces: [lldpLink.switchPort, cdpLink.switchPort, missing],
      protocols: ['lldp', 'cdp'],
      sink,
      logger: silentLogger(),
    });
  });

  afterAll(async () => {
    await source?.stop();
    await lldpHost?.stop().catch(() => {});
    cdpHost?.kill();
    if (lldpLink) destroyHostLink(lldpLink);
    if (cdpLink) destroyHostLink(cdpLink);
  }, 30_000);

  it('captures on every existing port and reports the missing one', async () => {
    await waitFor('capture up', () => source.counters()[lldpLink.switchPort]?.up && source.counters()[cdpLink.switchPort]?.up, 10_000);
    const c = source.counters()[missing]!;
    expect(c.up).toBe(false);
    expect(c.error).toMatch(/does not exist/);
    expect(sink.captures.get(missing)).toEqual({ up: false, error: 'interface does not exist' });
  });

  it('an ESXi-like LLDP neighbour is in the table within 2 s of its first frame', async () => {
    const { first } = await tcpdumpListening(lldpLink.switchPort, 'ether proto 0x88cc');
    lldpHost = await startEsxiLldpd(lldpLink, { hostname: 'esx-01.lab', mgmtIp: '192.0.2.11', txHold: 30 });
    const seen = await waitFor('LLDP neighbour', () => sink.events.find((e) => e.kind === 'seen' && e.iface === lldpLink.switchPort), 10_000);
    const firstAt = await first;
    expect(seen.at - firstAt).toBeLessThan(2000);
    expect(seen.at).toBeGreaterThanOrEqual(Math.floor(firstAt) - 5);
    const n = seen.n!;
    expect(n).toMatchObject({
      protocol: 'lldp',
      chassisId: '00:50:56:aa:bb:01',
      chassisIdSubtype: 4,
      portId: 'vmnic0',
      portIdSubtype: 5,
      sysName: 'esx-01.lab',
      sysDescr: 'VMware ESXi 8.0.2 build-22380479',
      portDescr: 'vmnic0',
      mgmtAddresses: ['192.0.2.11'],
      ttl: 30,
    });
    expect(sink.neighborsOn(lldpLink.switchPort)).toHaveLength(1);
  });

  it('a CDP-only host (-ccccc) shows up with its Device-ID and port', async () => {
    const { first } = await tcpdumpListening(cdpLink.switchPort, 'ether dst 01:00:0c:cc:cc:cc');
    cdpHost = await startEsxiLldpd(cdpLink, { hostname: 'esx-02.lab', mgmtIp: '192.0.2.12', cdpOnly: true });
    const seen = await waitFor('CDP neighbour', () => sink.events.find((e) => e.kind === 'seen' && e.iface === cdpLink.switchPort), 10_000);
    expect(seen.at - (await first)).toBeLessThan(2000);
    expect(seen.n).toMatchObject({
      protocol: 'cdp',
      chassisId: 'esx-02.lab',
      portId: 'vmnic1',
      sysName: 'esx-02.lab',
      mgmtAddresses: ['192.0.2.12'],
      ttl: 4,
    });
    expect(seen.n!.cdp?.platform).toBe('VMware ESX');
    // identical frames refresh, they are not new facts
    await new Promise((r) => setTimeout(r, 2500));
    expect(sink.events.filter((e) => e.kind === 'seen' && e.iface === cdpLink.switchPort)).toHaveLength(1);
    expect(source.counters()[cdpLink.switchPort]!.cdp).toBeGreaterThanOrEqual(3);
  });

  it('kill -9 (no shutdown frame): the neighbour expires after its TTL', async () => {
    const before = source.neighbors().find((n) => n.iface === cdpLink.switchPort)!;
    expect(before).toBeDefined();
    cdpHost!.kill();
    cdpHost = null;
    const killedAt = Date.now();
    const gone = await waitFor('CDP neighbour expiry', () => sink.events.find((e) => e.kind === 'gone' && e.iface === cdpLink.switchPort), 10_000);
    const last = source.counters()[cdpLink.switchPort]!;
    expect(last.cdp).toBeGreaterThan(0);
    // not before the TTL (4 s) after the last frame it heard, and promptly after
    expect(gone.at - killedAt).toBeGreaterThan(2500);
    expect(gone.at - killedAt).toBeLessThan(4000 + 1000);
    expect(sink.neighborsOn(cdpLink.switchPort)).toHaveLength(0);
  });

  it('a port flap: capture reported down, then resumes and hears frames again', async () => {
    const port = lldpLink.switchPort;
    const mark = sink.events.length;
    sh('ip', ['link', 'set', port, 'down']);
    await waitFor('capture down', () => sink.events.slice(mark).find((e) => e.kind === 'status' && e.iface === port && e.up === false), 5000);
    await new Promise((r) => setTimeout(r, 500));
    sh('ip', ['link', 'set', port, 'up']);
    await waitFor('capture up again', () => sink.events.slice(mark).find((e) => e.kind === 'status' && e.iface === port && e.up === true), 10_000);
    const frames = source.counters()[port]!.lldp;
    await waitFor('frames after the flap', () => source.counters()[port]!.lldp > frames, 5000);
    // the neighbour (TTL 30 s) stayed through the flap
    expect(sink.neighborsOn(port)).toHaveLength(1);
    // and the other port's capture came back too if the capture process restarted
    await waitFor('other port up', () => source.counters()[cdpLink.switchPort]!.up, 10_000);
  });

  it('without CAP_NET_RAW: a clear error and retries, no crash', async () => {
    const noRaw = new RecordingSink();
    const s2 = startLldpSource({
      interfaces: [lldpLink.switchPort],
      protocols: ['lldp'],
      sink: noRaw,
      logger: silentLogger(),
      commandPrefix: ['setpriv', '--bounding-set=-net_raw', '--inh-caps=-net_raw', '--'],
    });
    try {
      const st = await waitFor('capture error', () => noRaw.events.find((e) => e.kind === 'status' && e.up === false), 10_000);
      expect(st.error).toMatch(/capture failed \(retry in [\d.]+ s\):.*(permitted|permission)/i);
      // still retrying, still alive, still failing the same way
      await new Promise((r) => setTimeout(r, 1500));
      expect(s2.counters()[lldpLink.switchPort]!.up).toBe(false);
      expect(s2.counters()[lldpLink.switchPort]!.error).toMatch(/retry in/);
    } finally {
      await s2.stop();
    }
  });

  it("lldpd's normal stop sends a shutdown frame: removed at once, long before the TTL", async () => {
    const port = lldpLink.switchPort;
    expect(sink.neighborsOn(port)).toHaveLength(1);
    const t0 = Date.now();
    await lldpHost!.stop();
    lldpHost = null;
    const gone = await waitFor('shutdown removal', () => sink.events.find((e) => e.kind === 'gone' && e.iface === port), 5000);
    expect(gone.at - t0).toBeLessThan(1500);
    expect(sink.neighborsOn(port)).toHaveLength(0);
  });
});

describe('the kernel filter and the per-port counters, with the fixture corpus on the wire', () => {
  const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/lldp');
  const near = `${tag}i0`;
  const far = `${tag}i1`;

  afterAll(() => {
    try {
      sh('ip', ['link', 'del', near]);
    } catch {
      // already gone
    }
  });

  it('every corpus frame injected: LLDP/CDP counted and decoded, malformed counted, DTP filtered in the kernel', async () => {
    sh('ip', ['link', 'add', near, 'mtu', '9000', 'type', 'veth', 'peer', 'name', far, 'mtu', '9000']);
    sh('ip', ['link', 'set', near, 'up']);
    sh('ip', ['link', 'set', far, 'up']);
    const frames: Uint8Array[] = [];
    for (const f of readdirSync(FIX).filter((x) => x.endsWith('.pcap')).sort()) {
      const r = readPcap(readFileSync(join(FIX, f)));
      if (r.ok && r.value.linkType === 1) for (const p of r.value.packets) frames.push(p.data);
    }
    // what the filter lets through (LLDP ethertype; CDP multicast with SNAP PID 0x2000), decoded
    const want = { lldp: 0, cdp: 0, malformed: 0, ignored: 0 };
    let passed = 0;
    for (const b of frames) {
      const isLldp = b[12] === 0x88 && b[13] === 0xcc;
      const isCdp = b[0] === 0x01 && b[1] === 0x00 && b[2] === 0x0c && b[3] === 0xcc && b[4] === 0xcc && b[5] === 0xcc && b[20] === 0x20 && b[21] === 0x00;
      if (!isLldp && !isCdp) continue;
      passed++;
      want[decodeEthernet(b).kind]++;
    }
    expect(passed).toBeLessThan(frames.length); // the DTP and 0xb2a1 frames never reach us
    const sink = new RecordingSink();
    const src = startLldpSource({ interfaces: [near], protocols: ['lldp', 'cdp'], sink, logger: silentLogger() });
    const require = createRequire(import.meta.url);
    const { Cap } = require('cap') as { Cap: new () => { open(d: string, f: string, n: number, b: Buffer): string; send(b: Buffer, n: number): void; close(): void } };
    const tx = new Cap();
    try {
      await waitFor('capture up', () => src.counters()[near]?.up, 10_000);
      tx.open(far, 'ether proto 0x1', 65536, Buffer.alloc(9100));
      for (const b of frames) tx.send(Buffer.from(b), b.length);
      await waitFor('all frames counted', () => src.counters()[near]!.frames >= passed, 5000);
      const c = src.counters()[near]!;
      expect({ frames: c.frames, lldp: c.lldp, cdp: c.cdp, malformed: c.malformed, ignored: c.ignored }).toEqual({ frames: passed, ...want });
      expect(c.lastMalformed).toMatch(/^lldp /);
      // distinct neighbours from the corpus on one port, each delivered once
      const seen = sink.events.filter((e) => e.kind === 'seen').length;
      expect(seen).toBeGreaterThan(10);
      expect(src.neighbors().length).toBeLessThanOrEqual(seen);
    } finally {
      tx.close();
      await src.stop();
    }
  });
});
