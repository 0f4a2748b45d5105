// Review reproduction: a pinned neighbour given as an FQDN that is in no vCenter falls back to
// any host with the same first label in another domain (agent/core/desired.ts resolvePinned:
// `hostsByName.get(lower) ?? hostsByName.get(shortName(lower))`), unlike learned neighbours
// (match.ts sameHostName: two names with domains must be equal). A typo, or the port's vCenter
// being down at start, puts another site's VLANs on the trunk.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOvs, type Ovs } from '../helpers/ovs.js';
import { startVcsim, type Vcsim } from '../helpers/vcsim.js';
import { runCli, tempDir, writeAgentConfig } from '../helpers/agent.js';

let ovs: Ovs;
let vc: Vcsim;
let dir = '';

beforeAll(async () => {
  [ovs, vc] = await Promise.all([
    startOvs({ ports: 1, vswitchd: false, portPrefix: 'rvf' }),
    startVcsim({ hostCount: 1, portgroups: [{ name: 'web', vlan: 100 }], vms: [{ name: 'app1', host: 'esx-01.lab', nics: [{ network: 'web' }] }] }),
  ]);
  dir = tempDir('vmt-review-');
}, 240_000);

afterAll(async () => {
  await Promise.allSettled([ovs?.stop(), vc?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pinned neighbour by FQDN', () => {
  it('does not stand for a host of the same short name in another domain', async () => {
    const config = writeAgentConfig(dir, {
      endpoint: ovs.endpoint,
      vcenters: [vc],
      ports: { include: ['rvf*'], overrides: { rvf1: { neighbor: { host: 'esx-01.other-site.example', nics: ['vmnic0'] } } } },
    });
    const r = await runCli(['plan', '--config', config, '--json']);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout) as { changes: { port: string; action: string; vlan: number }[] };
    expect(p.changes.filter((c) => c.port === 'rvf1' && c.vlan === 100)).toEqual([]);
  }, 60_000);
});
