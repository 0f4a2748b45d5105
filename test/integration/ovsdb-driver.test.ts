// OvsdbDriver against a real Open vSwitch with 48 veth ports (ovsdb-server + ovs-vswitchd in
// a private netns). Ground truth from ovs-vsctl and ip, never from the driver's own reads.

import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsdbDriver } from '../../agent/drivers/ovsdb/driver.js';
import { silentLogger } from '../../agent/log.js';
import { VmtraceError } from '../../shared/errors.js';
import type { PortChange } from '../../shared/model.js';
import { startOvs, type Ovs } from '../helpers/ovs.js';

const change = (port: string, add: number[], remove: number[] = []): PortChange => ({
  port,
  add: add.map((vlan) => ({ vlan, rule: 1, reason: `test add ${vlan}` })),
  remove: remove.map((vlan) => ({ vlan, rule: 2, reason: `test remove ${vlan}` })),
});

async function eventually(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function caught(p: Promise<unknown>): Promise<VmtraceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VmtraceError);
  return err as VmtraceError;
}

function newDriver(ovs: Ovs, bridge = 'br0'): OvsdbDriver {
  return new OvsdbDriver({
    endpoint: ovs.endpoint,
    bridge,
    logger: silentLogger(),
    timeoutMs: 3000,
    backoff: { initialMs: 20, maxMs: 500 },
  });
}

describe('OvsdbDriver on a 48-port Open vSwitch', () => {
  let ovs: Ovs;
  let driver: OvsdbDriver;

  beforeAll(async () => {
    ovs = await startOvs({ ports: 48, bridge: 'br0', trunks: [1] });
    driver = newDriver(ovs);
    await driver.open();
  });

  afterAll(async () => {
    await driver?.close();
    await ovs?.stop();
  });

  it('lists all 48 ports with the kernel ifindex of their interface', async () => {
    const ports = await driver.ports();
    const swp = ports.filter((p) => p.name.startsWith('swp'));
    expect(swp.map((p) => p.name)).toEqual(ovs.portNames);
    const links = JSON.parse(execFileSync('ip', ['-n', ovs.netns, '-j', 'link', 'show'], { encoding: 'utf8' })) as {
      ifname: string;
      ifindex: number;
    }[];
    for (const p of swp) {
      expect(p.interfaces).toEqual([p.name]);
      expect(p.trunks).toEqual([1]);
      expect(p.tag).toBeNull();
      expect(p.ifIndex).toBe(links.find((l) => l.ifname === p.name)!.ifindex);
    }
  });

  it('applies a plan touching every port in one transaction', async () => {
    const plan = ovs.portNames.map((p, i) => change(p, [100 + i, 200 + i]));
    await driver.apply(plan);
    let truth = await ovs.allTrunks();
    ovs.portNames.forEach((p, i) => expect(truth.get(p)).toEqual([1, 100 + i, 200 + i]));
    await driver.apply(ovs.portNames.map((p, i) => change(p, [], [100 + i])));
    truth = await ovs.allTrunks();
    ovs.portNames.forEach((p, i) => expect(truth.get(p)).toEqual([1, 200 + i]));
  });

  it('applies 500 VLANs on each of the 48 ports in one transaction, and takes them off again', async () => {
    const vlans = Array.from({ length: 500 }, (_, i) => 2000 + i);
    await driver.apply(ovs.portNames.map((p) => change(p, vlans)));
    let truth = await ovs.allTrunks();
    ovs.portNames.forEach((p, i) => expect(truth.get(p)).toEqual([1, 200 + i, ...vlans]));
    const seen = (await driver.ports()).find((p) => p.name === 'swp7')!;
    expect(seen.trunks).toHaveLength(502);
    await driver.apply(ovs.portNames.map((p) => change(p, [], vlans)));
    truth = await ovs.allTrunks();
    ovs.portNames.forEach((p, i) => expect(truth.get(p)).toEqual([1, 200 + i]));
  });

  it("keeps an operator's ovs-vsctl edits made during a burst of applies", async () => {
    const burstPorts = ovs.portNames.slice(0, 8);
    for (const p of burstPorts) await ovs.vsctl('set', 'port', p, 'trunks=1');
    const applies: Promise<void>[] = [];
    const operator: Promise<string>[] = [];
    for (let k = 0; k < 200; k++) {
      const port = burstPorts[k % burstPorts.length]!;
      applies.push(driver.apply([change(port, [1000 + k])]));
      // Midway, the operator adds VLAN 999 on every burst port.
      if (k === 100) {
        for (const p of burstPorts) operator.push(ovs.vsctl('add', 'port', p, 'trunks', '999'));
      }
      if (k % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all([...applies, ...operator]);
    // and we remove some of ours after the edit: deltas leave 999 alone
    await driver.apply(burstPorts.map((p, i) => change(p, [], [1000 + i])));
    const truth = await ovs.allTrunks();
    burstPorts.forEach((p, i) => {
      const want = [1, 999];
      for (let k = 0; k < 200; k++) if (k % burstPorts.length === i && k !== i) want.push(1000 + k);
      expect(truth.get(p)).toEqual(want.sort((a, b) => a - b));
    });
  });

  it('reports a bond as one port with its member interfaces', async () => {
    execFileSync('ip', ['-n', ovs.netns, '-batch', '-'], {
      input: 'link add bnda type veth peer name bpea\nlink add bndb type veth peer name bpeb\nlink set bnda up\nlink set bndb up\n',
    });
    await ovs.vsctl('add-bond', 'br0', 'bond0', 'bndb', 'bnda', '--', 'set', 'port', 'bond0', 'trunks=1,300');
    const seen: (string[] | null)[] = [];
    const off = driver.observe((p) => seen.push(p));
    const bond = (await driver.ports()).find((p) => p.name === 'bond0')!;
    expect(bond.interfaces).toEqual(['bnda', 'bndb']);
    expect(bond.trunks).toEqual([1, 300]);
    const links = JSON.parse(execFileSync('ip', ['-n', ovs.netns, '-j', 'link', 'show', 'bnda'], { encoding: 'utf8' })) as {
      ifindex: number;
    }[];
    expect(bond.ifIndex).toBe(links[0]!.ifindex);
    await driver.apply([change('bond0', [301])]);
    expect(await ovs.trunksOf('bond0')).toEqual([1, 300, 301]);
    // removing a member is a change of the port's configuration too
    await ovs.vsctl('del-port', 'br0', 'bond0');
    await eventually('bond0 reported gone', () => seen.some((s) => s?.includes('bond0')));
    off();
  });

  it('reconnects by itself after ovsdb-server is killed and restarted; a later apply lands', async () => {
    const states: boolean[] = [];
    const observed: (string[] | null)[] = [];
    const offC = driver.onConnection((up) => states.push(up));
    const offO = driver.observe((p) => observed.push(p));
    await ovs.killDb();
    await eventually('down', () => states.includes(false));
    const err = await caught(driver.apply([change('swp48', [480])]));
    expect(err.code).toBe('OVSDB_UNREACHABLE');
    expect(err.transient).toBe(true);
    await new Promise((r) => setTimeout(r, 700)); // a few failed reconnect attempts
    await ovs.restartDb();
    await eventually('up again', () => states[states.length - 1] === true, 15_000);
    expect(observed).toContain(null);
    await driver.apply([change('swp48', [481])]);
    // 247 from the whole-switch plan above, 481 now; 480 was refused during the outage
    expect(await ovs.trunksOf('swp48')).toEqual([1, 247, 481]);
    offC();
    offO();
  });

  it('notices a hung ovsdb-server by its keepalive, fails applies in bounded time, recovers', async () => {
    const d = new OvsdbDriver({
      endpoint: ovs.endpoint,
      bridge: 'br0',
      logger: silentLogger(),
      timeoutMs: 300,
      keepaliveMs: 200,
      backoff: { initialMs: 20, maxMs: 200 },
    });
    await d.open();
    const states: boolean[] = [];
    d.onConnection((up) => states.push(up));
    try {
      ovs.pauseDb();
      const t0 = Date.now();
      const err = await caught(d.apply([change('swp47', [470])]));
      expect(err.code).toBe('OVSDB_UNREACHABLE');
      expect(err.message).toContain('may or may not have been applied');
      expect(Date.now() - t0).toBeLessThan(3000);
      // no traffic at all now: the keepalive echo goes unanswered and the session drops
      await eventually('keepalive to declare the server gone', () => states.includes(false), 5000);
    } finally {
      ovs.resumeDb();
    }
    await eventually('up again', () => states[states.length - 1] === true, 10_000);
    await d.apply([change('swp47', [471])]);
    // 470 was written to the paused server's socket and applied when it resumed: the
    // controller's level-triggered re-read handles exactly this "maybe applied" case
    expect(await ovs.trunksOf('swp47')).toContain(471);
    await d.close();
  });

  it('speaks to ovsdb-server over tcp: as well', async () => {
    const ctl = join(ovs.dir, 'ovsdb-server.ctl');
    execFileSync('ovs-appctl', ['-t', ctl, 'ovsdb-server/add-remote', 'ptcp:0:127.0.0.1']);
    // ovsdb-server logs the port the kernel picked
    let port = 0;
    await eventually('ovsdb-server to listen on TCP', () => {
      const m = /127\.0\.0\.1: listening on port (\d+)/.exec(readFileSync(join(ovs.dir, 'ovsdb-server.log'), 'utf8'));
      port = m ? Number(m[1]) : 0;
      return port > 0;
    });
    const d = new OvsdbDriver({ endpoint: `tcp:127.0.0.1:${port}`, bridge: 'br0', logger: silentLogger(), timeoutMs: 3000 });
    try {
      await d.open();
      expect((await d.ports()).filter((p) => p.name.startsWith('swp'))).toHaveLength(48);
      await d.apply([change('swp46', [460])]);
      expect(await ovs.trunksOf('swp46')).toContain(460);
    } finally {
      await d.close();
      execFileSync('ovs-appctl', ['-t', ctl, 'ovsdb-server/remove-remote', 'ptcp:0:127.0.0.1']);
    }
  });

  it('fails open() with OVSDB_BRIDGE_MISSING naming a bridge that does not exist', async () => {
    const d = newDriver(ovs, 'br-nope');
    const err = await caught(d.open());
    expect(err.code).toBe('OVSDB_BRIDGE_MISSING');
    expect(err.message).toContain('"br-nope"');
    await d.close();
  });
});

describe('OvsdbDriver facing no server or a broken one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmt-ovsdb-drv-'));
  const servers: Server[] = [];

  afterAll(() => {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function fakeServer(name: string, onData: (sock: import('node:net').Socket, data: Buffer) => void): Promise<string> {
    const path = join(dir, name);
    const server = createServer((sock) => sock.on('data', (d) => onData(sock, d)));
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
    return `unix:${path}`;
  }

  const driverAt = (endpoint: string) =>
    new OvsdbDriver({ endpoint, bridge: 'br0', logger: silentLogger(), timeoutMs: 500, backoff: { initialMs: 20, maxMs: 100 } });

  it('an absent socket gives one clear transient OVSDB_UNREACHABLE', async () => {
    const d = driverAt(`unix:${join(dir, 'absent.sock')}`);
    const err = await caught(d.open());
    expect(err.code).toBe('OVSDB_UNREACHABLE');
    expect(err.transient).toBe(true);
    expect(err.message).toBe(`OVSDB at unix:${join(dir, 'absent.sock')} unreachable: no such socket (is ovsdb-server running?)`);
    await d.close();
  });

  it('a closed TCP port gives OVSDB_UNREACHABLE (connection refused)', async () => {
    const d = driverAt('tcp:127.0.0.1:1');
    const err = await caught(d.open());
    expect(err.code).toBe('OVSDB_UNREACHABLE');
    expect(err.message).toContain('connection refused');
  });

  it('a server that never answers: open() times out with OVSDB_UNREACHABLE', async () => {
    const d = driverAt(await fakeServer('mute.sock', () => undefined));
    const t0 = Date.now();
    const err = await caught(d.open());
    expect(err.code).toBe('OVSDB_UNREACHABLE');
    expect(err.message).toContain('no answer to monitor within 500 ms');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a server sending garbage: a clear OVSDB error, no crash', async () => {
    const d = driverAt(await fakeServer('garbage.sock', (sock) => sock.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const err = await caught(d.open());
    expect(err.message).toMatch(/malformed stream/);
  });

  it('backs off from a server that accepts and drops the connection again at once (no hot loop)', async () => {
    let connections = 0;
    const path = join(dir, 'flapping.sock');
    const server = createServer((sock) => {
      connections++;
      sock.on('data', (data) => {
        const msg = JSON.parse(data.toString()) as { id: unknown; method: string };
        if (msg.method !== 'monitor') return;
        sock.end(JSON.stringify({ id: msg.id, result: { Bridge: { 'u-1': { new: { name: 'br0', ports: ['set', []] } } } }, error: null }));
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
    const d = new OvsdbDriver({ endpoint: `unix:${path}`, bridge: 'br0', logger: silentLogger(), timeoutMs: 500, backoff: { initialMs: 20, maxMs: 400 } });
    const states: boolean[] = [];
    d.onConnection((up) => states.push(up));
    await d.open();
    await new Promise((r) => setTimeout(r, 2000));
    await d.close();
    // at a fixed 20 ms that would be ~100 connections; doubling to 400 ms gives about 10
    expect(connections).toBeGreaterThanOrEqual(4);
    expect(connections).toBeLessThan(20);
    expect(states.filter((s) => !s).length).toBeGreaterThanOrEqual(3);
  });

  it("answers the server's echo with its params", async () => {
    let reply: unknown = null;
    const endpoint = await fakeServer('echo.sock', (sock, data) => {
      for (const text of data.toString().split(/(?<=\})(?=\{)/)) {
        const msg = JSON.parse(text) as { id: unknown; method?: string; result?: unknown };
        if (msg.method === 'monitor') {
          sock.write(JSON.stringify({ id: 'srv-echo-1', method: 'echo', params: ['ping', 7] }));
          sock.write(JSON.stringify({ id: msg.id, result: { Bridge: { 'u-1': { new: { name: 'br0', ports: ['set', []] } } } }, error: null }));
        } else if (msg.id === 'srv-echo-1') {
          reply = msg;
        }
      }
    });
    const d = driverAt(endpoint);
    await d.open();
    await eventually('echo reply', () => reply !== null, 2000);
    expect(reply).toEqual({ id: 'srv-echo-1', result: ['ping', 7], error: null });
    await d.close();
  });
});
