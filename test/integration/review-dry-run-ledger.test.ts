// Review reproduction: `mode: dry-run` changes nothing on the device, but the controller
// (agent/controller/controller.ts reconcile) records the would-be adds as owned in the ledger,
// journals them as `vlan-added` (again on every reconcile, since the device never changes),
// counts them, and patches its view of the device (show ports). A VLAN the operator later adds
// by hand is then "owned" and is pruned once the agent runs in enforce mode.

import { rmSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../agent/store/index.js';
import { silentLogger } from '../../agent/log.js';
import { startOvs, type Ovs } from '../helpers/ovs.js';
import { startVcsim, type Vcsim } from '../helpers/vcsim.js';
import { startAgent, tempDir, until, writeAgentConfig, type AgentProcess } from '../helpers/agent.js';

let ovs: Ovs;
let vc: Vcsim;
let dir = '';
const agents: AgentProcess[] = [];

beforeAll(async () => {
  [ovs, vc] = await Promise.all([
    startOvs({ ports: 2, vswitchd: false, portPrefix: 'rvd' }),
    startVcsim({
      hostCount: 2,
      portgroups: [{ name: 'web', vlan: 100 }],
      vms: [{ name: 'app1', host: 'esx-01.lab', nics: [{ network: 'web' }] }],
    }),
  ]);
  dir = tempDir('vmt-review-');
}, 240_000);

afterAll(async () => {
  for (const a of agents) a.kill('SIGKILL');
  await Promise.allSettled([ovs?.stop(), vc?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dry-run, then enforce', () => {
  it('a VLAN the operator added by hand after a dry-run is never removed', async () => {
    const config = writeAgentConfig(dir, {
      endpoint: ovs.endpoint,
      vcenters: [vc],
      ports: {
        include: ['rvd*'],
        defaults: { pruneHoldDown: '1s' },
        overrides: { rvd1: { neighbor: { host: 'esx-01.lab', nics: ['vmnic0'] } }, rvd2: { neighbor: { host: 'esx-02.lab', nics: ['vmnic0'] } } },
      },
      extra: { mode: 'dry-run' },
    });
    const dry = startAgent(config);
    agents.push(dry);
    await dry.waitForLog(/"vlan":100,.*dry-run: would add VLAN/);
    dry.kill('SIGTERM');
    expect(await dry.exited).toBe(0);
    expect(await ovs.trunksOf('rvd1')).toEqual([1]);

    const store = await Store.open(join(dir, 'state', 'vmtrace.db'), { logger: silentLogger(), readonly: true });
    const owned = (await store.loadLedger()).get('rvd1')?.owned ?? [];
    await store.close();
    expect(owned).not.toContain(100); // nothing was added, so nothing is owned

    // the operator provisions the VLAN by hand, then switches vmtrace to enforce
    await ovs.vsctl('--no-wait', 'set', 'port', 'rvd1', 'trunks=1,100');
    writeFileSync(config, readFileSync(config, 'utf8').replace('mode: dry-run', 'mode: enforce'));
    const live = startAgent(config);
    agents.push(live);
    await live.waitForLog(/vCenter inventory synced/);
    await vc.control.relocate('app1', 'esx-02.lab');
    await until(async () => (await ovs.trunksOf('rvd2')).includes(100), 10_000, 'VLAN 100 on rvd2');
    await new Promise((r) => setTimeout(r, 3_000)); // past the 1 s hold-down
    expect(await ovs.trunksOf('rvd1')).toContain(100);
  }, 90_000);
});
