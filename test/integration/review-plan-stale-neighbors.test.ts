// Review reproduction: `vmtrace plan` reads LLDP neighbours from the store, but the running agent
// persists them only when a neighbour is new, changed or gone, never on a refresh
// (agent/main.ts persist(): `neighborsDirty` is set by FactChange 'neighbor', and FactBook
// .neighborSeen emits none for a same-content refresh). Once the neighbour's TTL has passed
// since it was first heard, `plan` shows every LLDP-learned port as orphaned ("no neighbour
// heard"), and `plan --apply` removes VLANs that live VMs behind a live neighbour still need.

import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOvs, type Ovs } from '../helpers/ovs.js';
import { startVcsim, type Vcsim } from '../helpers/vcsim.js';
import { createHostLink, destroyHostLink, startEsxiLldpd, type EsxiLldpd, type HostLink } from '../helpers/lldpd.js';
import { runCli, startAgent, tempDir, until, writeAgentConfig, type AgentProcess } from '../helpers/agent.js';

const tag = randomBytes(2).toString('hex');
const SW = `rvp${tag}s1`;
const NS = `rvp${tag}h1`;
let ovs: Ovs;
let vc: Vcsim;
let link: HostLink | null = null;
let lldpd: EsxiLldpd | null = null;
let agent: AgentProcess | null = null;
let dir = '';
let config = '';

beforeAll(async () => {
  [ovs, vc] = await Promise.all([
    // no ovs-vswitchd: the port exists in the database only, named like the root-namespace veth
    // end the agent captures LLDP on
    startOvs({ ports: 0, vswitchd: false }),
    startVcsim({
      hostCount: 1,
      portgroups: [{ name: 'web', vlan: 100 }],
      vms: [{ name: 'app1', host: 'esx-01.lab', nics: [{ network: 'web' }] }],
    }),
  ]);
  link = createHostLink(NS, SW, 'vmnic0', '02:00:00:bb:00:01', '192.0.2.21');
  lldpd = await startEsxiLldpd(link, { hostname: 'esx-01.lab', mgmtIp: '192.0.2.21' });
  await ovs.vsctl('--no-wait', 'add-port', ovs.bridge, SW, '--', 'set', 'port', SW, 'trunks=1');
  dir = tempDir('vmt-review-');
  config = writeAgentConfig(dir, { endpoint: ovs.endpoint, vcenters: [vc], ports: { include: [SW], defaults: { pruneHoldDown: '2s' } } });
}, 240_000);

afterAll(async () => {
  agent?.kill('SIGKILL');
  await agent?.exited;
  lldpd?.kill();
  if (link) destroyHostLink(link);
  await Promise.allSettled([ovs?.stop(), vc?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('plan beside a running agent, LLDP neighbour alive', () => {
  it('does not call a live LLDP neighbour expired, and plan --apply keeps the VLAN its VM needs', async () => {
    agent = startAgent(config);
    await until(async () => (await ovs.trunksOf(SW)).includes(100), 30_000, `VLAN 100 on ${SW}`);
    // lldpd's TTL here is 4 s (tx-interval 1 × hold 4); it keeps sending the whole time
    await new Promise((r) => setTimeout(r, 8_000));

    const plan = await runCli(['plan', '--config', config, '--json']);
    expect(plan.code).toBe(0);
    const p = JSON.parse(plan.stdout) as { heldBack: { port: string; kind: string }[]; ports: { port: string; neighborState: string }[] };
    expect(p.ports.find((x) => x.port === SW)?.neighborState).not.toBe('unknown');
    expect(p.heldBack.filter((h) => h.port === SW && h.kind === 'orphaned')).toEqual([]);

    const apply = await runCli(['plan', '--config', config, '--apply', '--json']);
    expect(apply.code).toBe(0);
    const a = JSON.parse(apply.stdout.split('\n').filter((l) => !l.startsWith('{"level"')).join('\n')) as { changes: { port: string; action: string; vlan: number }[] };
    expect(a.changes.filter((c) => c.port === SW && c.action === 'remove')).toEqual([]);
  }, 120_000);
});
