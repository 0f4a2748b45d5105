// End to end, as an operator runs it: `vmtrace agent` against a real Open vSwitch and the
// vCenter simulator. Ground truth is read with ovs-vsctl, never through the agent.

import { rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../agent/store/index.js';
import { silentLogger } from '../../agent/log.js';
import { startOvs, type Ovs } from '../helpers/ovs.js';
import { startVcsim, type Vcsim } from '../helpers/vcsim.js';
import { runCli, startAgent, tempDir, until, writeAgentConfig, type AgentProcess } from '../helpers/agent.js';

let ovs: Ovs;
let vc: Vcsim;
let dir: string;
let config: string;
const agents: AgentProcess[] = [];

const HOLD_S = 3;
let communityFile: string;
let snmpPort: number;

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function show(what: string): Promise<Record<string, unknown>> {
  const r = await runCli(['show', what, '--json', '--agent', `127.0.0.1:${snmpPort}`, '--community-file', communityFile]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

beforeAll(async () => {
  [ovs, vc] = await Promise.all([
    startOvs({ ports: 48, trunks: [1] }),
    startVcsim({
      hostCount: 2,
      portgroups: [
        { name: 'web', vlan: 100 },
        { name: 'db', vlan: 200 },
      ],
      vms: [
        { name: 'app1', host: 'esx-01.lab', nics: [{ network: 'web' }] },
        { name: 'db1', host: 'esx-02.lab', nics: [{ network: 'db' }] },
      ],
    }),
  ]);
  dir = tempDir('vmt-e2e-');
  communityFile = join(dir, 'snmp.community');
  writeFileSync(communityFile, 'e2e-community\n', { mode: 0o600 });
  snmpPort = await freeUdpPort();
  config = writeAgentConfig(dir, {
    extra: { snmp: { listen: `udp:127.0.0.1:${snmpPort}`, communities: [{ communityFile, from: '127.0.0.1/32' }] } },
    endpoint: ovs.endpoint,
    vcenters: [vc],
    ports: {
      include: ['swp*'],
      // VLAN 99 is every port's static VLAN: the first reconcile adds it to all 48 ports at once
      defaults: { staticVlans: [1, 99], pruneHoldDown: `${HOLD_S}s` },
      overrides: {
        // LLDP is proven by its own tests and the lab; here the neighbours are pinned (rule 1)
        swp1: { neighbor: { host: 'esx-01.lab', nics: ['vmnic0', 'vmnic1'] } },
        swp2: { neighbor: { host: 'esx-02.lab', nics: ['vmnic0', 'vmnic1'] } },
      },
    },
  });
}, 240_000);

afterAll(async () => {
  for (const a of agents) a.kill('SIGKILL');
  await Promise.allSettled([ovs?.stop(), vc?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function agent(): AgentProcess {
  const a = startAgent(config);
  agents.push(a);
  return a;
}

describe('vmtrace agent against Open vSwitch and the vCenter simulator', () => {
  it('config check passes, and plan shows the adds with their reasons before anything runs', async () => {
    const check = await runCli(['config', 'check', config]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const plan = await runCli(['plan', '--config', config, '--json']);
    expect(plan.code).toBe(0);
    const p = JSON.parse(plan.stdout) as { changes: { port: string; action: string; vlan: number; reason: string }[] };
    expect(p.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ port: 'swp1', action: 'add', vlan: 100, reason: expect.stringContaining('app1') }),
        expect.objectContaining({ port: 'swp2', action: 'add', vlan: 200 }),
      ]),
    );
    expect(p.changes.filter((c) => c.vlan === 99)).toHaveLength(48);
    expect(await ovs.trunksOf('swp1')).toEqual([1]); // plan changes nothing
  });

  it('provisions VLANs, follows a vMotion at once and prunes the source only after hold-down', async () => {
    const a = agent();
    await until(async () => (await ovs.trunksOf('swp1')).includes(100), 20_000, 'VLAN 100 on swp1');
    await until(async () => (await ovs.trunksOf('swp2')).includes(200), 5_000, 'VLAN 200 on swp2');
    const all = await ovs.allTrunks();
    expect([...all.values()].filter((t) => t.includes(99))).toHaveLength(48);
    expect(await ovs.trunksOf('swp3')).toEqual([1, 99]);

    // what operators read over SNMP agrees with the device
    const { ports } = (await show('ports')) as { ports: { name: string; vlans: number[]; dynamicVlans: number[]; ownedVlans: number[]; neighborHost: string | null; managed: boolean; state: string }[] };
    const swp1 = ports.find((p) => p.name === 'swp1')!;
    expect(swp1).toMatchObject({ managed: true, neighborHost: 'esx-01.lab', dynamicVlans: [100], state: 'ok' });
    expect(swp1.vlans).toEqual(await ovs.trunksOf('swp1'));
    expect(swp1.ownedVlans).toEqual(expect.arrayContaining([99, 100]));
    const { summary } = (await show('summary')) as { summary: { switchName: string; counts: { vms: number; managedPorts: number }; vcenters: { state: string }[] } };
    expect(summary.switchName).toBe('leaf1');
    expect(summary.counts).toMatchObject({ vms: 2, managedPorts: 48 });
    expect(summary.vcenters[0]!.state).toBe('synced');

    const moved = Date.now();
    await vc.control.relocate('app1', 'esx-02.lab');
    await until(async () => (await ovs.trunksOf('swp2')).includes(100), 5_000, 'VLAN 100 on swp2 after vMotion');
    expect(Date.now() - moved).toBeLessThan(3_000);
    expect(await ovs.trunksOf('swp1')).toContain(100); // hold-down: not yet
    await until(async () => !(await ovs.trunksOf('swp1')).includes(100), (HOLD_S + 10) * 1000, 'VLAN 100 pruned from swp1');
    expect(Date.now() - moved).toBeGreaterThanOrEqual(HOLD_S * 1000);
    expect(await ovs.trunksOf('swp1')).toEqual([1, 99]);

    a.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    await a.waitForLog(/vmtrace agent stopped/, 1000);
  }, 90_000);

  it('keeps an operator VLAN, reconnects after an OVSDB restart and converges', async () => {
    const a = agent();
    await a.waitForLog(/vmtrace agent running/);
    await until(async () => (await ovs.trunksOf('swp2')).includes(100), 20_000, 'converged');
    await ovs.vsctl('add', 'port', 'swp2', 'trunks', '777');
    await ovs.killDb();
    await vc.control.relocate('db1', 'esx-01.lab');
    await new Promise((r) => setTimeout(r, 500));
    await ovs.restartDb();
    await until(async () => (await ovs.trunksOf('swp1')).includes(200), 20_000, 'VLAN 200 on swp1 after OVSDB restart').catch((e) => {
      throw new Error(`${e.message}\nagent log:\n${a.logs.slice(-30).join('\n')}`);
    });
    await new Promise((r) => setTimeout(r, (HOLD_S + 2) * 1000));
    expect(await ovs.trunksOf('swp2')).toContain(777);
    a.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  }, 90_000);

  it('survives kill -9 mid-apply: restarted, it converges, no needed VLAN ever removed, store intact', async () => {
    // a stream of changes while the agent is killed at random moments
    const needed = async () => [(await ovs.trunksOf('swp1')).includes(200), (await ovs.trunksOf('swp2')).includes(100)];
    const seenGone: string[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const [a, b] = await needed();
        if (!a) seenGone.push('swp1/200');
        if (!b) seenGone.push('swp2/100');
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    for (let round = 0; round < 5; round++) {
      const a = agent();
      await vc.control.power('app1', round % 2 === 0);
      await new Promise((r) => setTimeout(r, 400 + Math.random() * 1200));
      a.kill('SIGKILL');
      await a.exited;
    }
    watching = false;
    await watch;
    // VLAN 100 on swp2 follows app1's power; only 200 on swp1 (db1) is needed throughout
    expect(seenGone.filter((s) => s === 'swp1/200')).toEqual([]);

    await vc.control.power('app1', true);
    const a = agent();
    await until(async () => (await ovs.trunksOf('swp2')).includes(100) && (await ovs.trunksOf('swp1')).includes(200), 20_000, 'converged after kill -9');
    await a.waitForLog(/vmtrace agent running/);
    a.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const store = await Store.open(join(dir, 'state', 'vmtrace.db'), { logger: silentLogger() });
    expect(await store.integrityCheck()).toBe('ok');
    const ledger = await store.loadLedger();
    expect(ledger.get('swp1')!.initialVlans).toEqual([1]);
    expect(ledger.size).toBe(48);
    await store.close();
  }, 120_000);
});
