// One named test (or a few) per rule of DESIGN §3, on the pure core: facts in, plan out.

import { describe, expect, it } from 'vitest';
import { computePlan, type EngineInput } from '../../agent/core/engine.js';
import { recordApplied, recordIntent } from '../../agent/core/plan.js';
import { isManaged } from '../../agent/core/desired.js';
import type { Policy, PortRecord } from '../../agent/core/types.js';
import type { DevicePort, Plan } from '../../shared/model.js';
import { basePolicy, port, World } from '../helpers/world.js';

function run(w: World, device: DevicePort[], opts: Partial<EngineInput> & { policy?: Policy } = {}) {
  return computePlan({
    now: 1_000_000,
    policy: opts.policy ?? basePolicy(),
    facts: w.book,
    neighbors: w.book.neighbors.values(),
    sources: w.book.sources,
    device,
    ledger: opts.ledger ?? new Map(),
    ...opts,
  });
}

const adds = (p: Plan, name: string) => p.changes.find((c) => c.port === name)?.add.map((a) => a.vlan) ?? [];
const removes = (p: Plan, name: string) => p.changes.find((c) => c.port === name)?.remove.map((a) => a.vlan) ?? [];

function owned(name: string, vlans: number[], initial: number[] = [1], since: Record<number, number> = {}): Map<string, PortRecord> {
  return new Map([[name, { port: name, firstSeenAt: 0, initialVlans: initial, owned: vlans, unneededSince: since }]]);
}

describe('rule 1: which VLANs a port needs', () => {
  it('adds the VLAN of each powered-on VM behind the port, via the uplink NIC, with the reason', () => {
    const w = new World();
    const h = w.host('esx-01.lab', [{ name: 'web', vlan: 110, uplinks: ['vmnic0'] }, { name: 'db', vlan: 120, uplinks: ['vmnic1'] }]);
    w.vm('web-1', h, ['web']);
    w.vm('db-1', h, ['db']);
    w.vm('off-1', h, ['web'], 'poweredOff');
    w.lldp('swp1', 'esx-01.lab', 'vmnic0');
    w.lldp('swp2', 'esx-01', 'vmnic1'); // short name matches the FQDN
    w.synced();
    const out = run(w, [port('swp1', [1]), port('swp2', [1])]);
    expect(adds(out.plan, 'swp1')).toEqual([110]);
    expect(adds(out.plan, 'swp2')).toEqual([120]);
    const why = out.plan.changes[0]!.add[0]!;
    expect(why.rule).toBe(1);
    expect(why.reason).toContain('web-1');
  });

  it('applies the operator mapping table and the ignore list', () => {
    const w = new World();
    const h = w.host('esx-01.lab', [{ name: 'prod-web', vlan: 10 }, { name: 'Management Network', vlan: 20 }]);
    w.vm('a', h, ['prod-web', 'Management Network']);
    w.lldp('swp1', 'esx-01.lab', 'vmnic0');
    w.synced();
    const policy = basePolicy({ networks: { default: 'portgroup', map: [{ pattern: 'prod-*', vlan: 110 }], ignore: ['Management Network'] } });
    expect(adds(run(w, [port('swp1', [1])], { policy }).plan, 'swp1')).toEqual([110]);
  });

  it('counts each host its own VLAN for a standard portgroup of the same name', () => {
    const w = new World();
    const a = w.host('esx-a', [{ name: 'app', vlan: 201 }]);
    const b = w.host('esx-b', [{ name: 'app', vlan: 202 }]);
    w.vm('va', a, ['app']);
    w.vm('vb', b, ['app']);
    w.lldp('swp1', 'esx-a', 'vmnic0');
    w.lldp('swp2', 'esx-b', 'vmnic0');
    w.synced();
    const out = run(w, [port('swp1', [1]), port('swp2', [1])]);
    expect(adds(out.plan, 'swp1')).toEqual([201]);
    expect(adds(out.plan, 'swp2')).toEqual([202]);
  });

  it('needs the primary and secondary VLAN of a private-VLAN portgroup, and trunk ranges', () => {
    const w = new World();
    const h = w.host('esx-01', []);
    w.joinDvs(h, 'dvs-1', ['vmnic0']);
    const pv = w.dvpg('pvlan', { kind: 'pvlan', primary: 300, secondary: 301 });
    const tr = w.dvpg('trunk', { kind: 'trunk', ranges: [{ from: 400, to: 402 }] });
    w.vm('a', w.book.hosts.get(h.key)!, [pv, tr]);
    w.lldp('swp1', 'esx-01', 'vmnic0');
    w.synced();
    expect(adds(run(w, [port('swp1', [1])]).plan, 'swp1')).toEqual([300, 301, 400, 401, 402]);
  });

  it('never provisions 4095 / all-VLAN trunks and VLAN 0, and shows the anomaly', () => {
    const w = new World();
    const h = w.host('esx-01', [{ name: 'all', vlan: 4095 }, { name: 'untagged', vlan: 0 }]);
    w.joinDvs(h, 'dvs-1', ['vmnic0']);
    const t = w.dvpg('full-trunk', { kind: 'trunk', ranges: [{ from: 0, to: 4094 }] });
    w.vm('a', w.book.hosts.get(h.key)!, ['all', 'untagged', t]);
    w.lldp('swp1', 'esx-01', 'vmnic0');
    w.synced();
    const out = run(w, [port('swp1', [1])]);
    expect(out.plan.changes).toEqual([]);
    expect(out.desired.get('swp1')!.anomalies.join('\n')).toMatch(/all VLANs/);
  });

  it('falls back to every portgroup of the host when the uplink mapping is unknown, and says so', () => {
    const w = new World();
    const h = w.host('esx-01', [{ name: 'x', vlan: 50, uplinks: null }]);
    w.vm('a', h, ['x']);
    w.lldp('swp1', 'esx-01', 'vmnic1');
    w.synced();
    const out = run(w, [port('swp1', [1])]);
    expect(adds(out.plan, 'swp1')).toEqual([50]);
    expect(out.desired.get('swp1')!.notes.join()).toMatch(/unknown/);
  });

  it('unites the neighbours of a LAG members into one port', () => {
    const w = new World();
    const h = w.host('esx-01', [{ name: 'a', vlan: 11, uplinks: ['vmnic0'] }, { name: 'b', vlan: 12, uplinks: ['vmnic1'] }]);
    w.vm('v', h, ['a', 'b']);
    w.lldp('eth1', 'esx-01', 'vmnic0');
    w.lldp('eth2', 'esx-01', 'vmnic1');
    w.synced();
    expect(adds(run(w, [port('bond0', [1], ['eth1', 'eth2'])], { policy: basePolicy({ include: ['bond*'] }) }).plan, 'bond0')).toEqual([11, 12]);
  });

  it('uses a neighbour pinned in config where LLDP cannot see the host, and flags a disagreeing learned one', () => {
    const w = new World();
    const h = w.host('esx-09.example', [{ name: 'a', vlan: 77 }]);
    w.host('esx-10.example', []);
    w.vm('v', h, ['a']);
    w.synced();
    const policy = basePolicy({ overrides: { swp9: { neighbor: { host: 'esx-09.example', nics: ['vmnic0'] } } } });
    expect(adds(run(w, [port('swp9', [1])], { policy }).plan, 'swp9')).toEqual([77]);
    w.lldp('swp9', 'esx-10.example', 'vmnic0');
    expect(run(w, [port('swp9', [1])], { policy }).desired.get('swp9')!.anomalies.join()).toMatch(/disagrees/);
  });

  it('resolves a pinned host as learned neighbours are: short names match, other domains do not', () => {
    const w = new World();
    const h = w.host('esx-01.lab', [{ name: 'a', vlan: 77 }]);
    w.vm('v', h, ['a']);
    w.synced();
    const pin = (host: string) => basePolicy({ overrides: { swp9: { neighbor: { host, nics: ['vmnic0'] } } } });
    expect(adds(run(w, [port('swp9', [1])], { policy: pin('ESX-01') }).plan, 'swp9')).toEqual([77]);
    expect(adds(run(w, [port('swp9', [1])], { policy: pin('esx-01.lab') }).plan, 'swp9')).toEqual([77]);
    const other = run(w, [port('swp9', [1])], { policy: pin('esx-01.other-site') });
    expect(other.plan.changes).toEqual([]);
    expect(other.desired.get('swp9')!.anomalies.join()).toMatch(/not in any vCenter/);
  });

  it('reads [!x] in a port glob as the shell does', () => {
    expect(isManaged(basePolicy({ include: ['swp[!0]*'] }), 'swp1')).toBe(true);
    expect(isManaged(basePolicy({ include: ['swp[!0]*'] }), 'swp0')).toBe(false);
  });

  it('never touches ports that are not opted in', () => {
    const w = new World();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.vm('v', h, ['a']);
    w.lldp('mgmt0', 'esx-01', 'vmnic0');
    w.synced();
    expect(run(w, [port('mgmt0', [1])]).plan.changes).toEqual([]);
  });
});

describe('rule 2: add now, remove late', () => {
  it('removes an owned VLAN only after pruneHoldDown of continuous non-need', () => {
    const w = new World();
    w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    w.synced();
    const device = [port('swp1', [1, 10])];
    const first = run(w, device, { ledger: owned('swp1', [10]) });
    expect(removes(first.plan, 'swp1')).toEqual([]);
    const hb = first.plan.holdbacks.find((h) => h.kind === 'hold-down')!;
    expect(hb.until).toBe(1_000_000 + 300_000);
    const ledger = new Map([['swp1', first.ledger.get('swp1')!]]);
    expect(removes(run(w, device, { ledger, now: 1_299_999 }).plan, 'swp1')).toEqual([]);
    expect(removes(run(w, device, { ledger, now: 1_300_000 }).plan, 'swp1')).toEqual([10]);
  });

  it('resets the hold-down when the VLAN is needed again', () => {
    const w = new World();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    w.synced();
    const device = [port('swp1', [1, 10])];
    const ledger = owned('swp1', [10], [1], { 10: 500_000 });
    w.vm('v', h, ['a']);
    const out = run(w, device, { ledger });
    expect(out.ledger.get('swp1')!.unneededSince).toEqual({});
  });
});

describe('rule 3: own what you add', () => {
  it('never removes VLANs present at first sight, static or protected; removes owned ones', () => {
    const w = new World();
    w.host('esx-01', []);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    w.synced();
    const policy = basePolicy({ protectedVlans: [1, 4000] }, { staticVlans: [1, 99], pruneHoldDownMs: 0 });
    const device = [port('swp1', [1, 5, 99, 4000, 10])];
    const ledger = new Map([['swp1', { port: 'swp1', firstSeenAt: 0, initialVlans: [1, 5], owned: [10, 99, 4000], unneededSince: {} }]]);
    expect(removes(run(w, device, { policy, ledger }).plan, 'swp1')).toEqual([10]);
  });

  it('records a new port with what it had at first sight, and owns what it adds', () => {
    const w = new World();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.vm('v', h, ['a']);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    w.synced();
    const out = run(w, [port('swp1', [1, 7])]);
    const rec = out.ledger.get('swp1')!;
    expect(rec.initialVlans).toEqual([1, 7]);
    const after = recordIntent(out.ledger, out.plan.changes);
    expect(after.get('swp1')!.owned).toEqual([10]);
    const removed = recordApplied(after, [{ port: 'swp1', add: [], remove: [{ vlan: 10, rule: 2, reason: '' }] }]);
    expect(removed.get('swp1')!.owned).toEqual([]);
  });

  it('with adopt: true, what was there at first sight counts as owned, static and protected aside', () => {
    const w = new World();
    w.host('esx-01', []);
    w.lldp('swp7', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    w.synced();
    const policy = basePolicy({ overrides: { swp7: { adopt: true, staticVlans: [1, 99] } } }, { pruneHoldDownMs: 0 });
    const ledger = new Map([['swp7', { port: 'swp7', firstSeenAt: 0, initialVlans: [1, 5, 99], owned: [], unneededSince: {} }]]);
    expect(removes(run(w, [port('swp7', [1, 5, 99])], { policy, ledger }).plan, 'swp7')).toEqual([5]);
  });
});

describe('rule 4: freeze when blind', () => {
  it('freezes removals while a vCenter is not synced, but adds continue', () => {
    const w = new World();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.vm('v', h, ['a']);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    w.book.sourceStatus({ name: 'vc1', state: 'disconnected', lastSync: 5 });
    const out = run(w, [port('swp1', [1, 20])], { ledger: owned('swp1', [20]), policy: basePolicy({}, { pruneHoldDownMs: 0 }) });
    expect(adds(out.plan, 'swp1')).toEqual([10]);
    expect(removes(out.plan, 'swp1')).toEqual([]);
    expect(out.plan.holdbacks.some((h) => h.kind === 'frozen' && h.rule === 4)).toBe(true);
    expect(out.outcomes.get('swp1')!.state).toBe('frozen');
  });

  it('treats a vCenter never synced since start as blind', () => {
    const w = new World();
    w.host('esx-01', []);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    const out = run(w, [port('swp1', [1, 20])], { ledger: owned('swp1', [20]), policy: basePolicy({}, { pruneHoldDownMs: 0 }) });
    expect(out.blind).toMatch(/not yet synced/);
    expect(removes(out.plan, 'swp1')).toEqual([]);
  });

  it('keeps the VLANs of a port whose neighbour expired until the operator confirms', () => {
    const w = new World();
    w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.lldp('swp1', 'esx-01', 'vmnic0', 0, 120); // expired long before now
    w.synced();
    const policy = basePolicy({}, { pruneHoldDownMs: 0 });
    const out = run(w, [port('swp1', [1, 20])], { ledger: owned('swp1', [20]), policy });
    expect(removes(out.plan, 'swp1')).toEqual([]);
    expect(out.plan.holdbacks.find((h) => h.kind === 'orphaned')).toBeTruthy();
    expect(removes(run(w, [port('swp1', [1, 20])], { ledger: owned('swp1', [20]), policy, confirm: true }).plan, 'swp1')).toEqual([20]);
  });
});

describe('rule 5: blast-radius guard', () => {
  it('refuses a plan that removes more than maxRemovalsPerPlan VLANs, adds still go; confirm lets it through', () => {
    const w = new World();
    const h = w.host('esx-01', [{ name: 'a', vlan: 3000 }]);
    w.vm('v', h, ['a']);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    w.synced();
    const many = Array.from({ length: 25 }, (_, i) => 100 + i);
    const policy = basePolicy({}, { pruneHoldDownMs: 0 });
    const out = run(w, [port('swp1', [1, ...many])], { ledger: owned('swp1', many), policy });
    expect(out.plan.guardTripped).toBe(true);
    expect(removes(out.plan, 'swp1')).toEqual([]);
    expect(adds(out.plan, 'swp1')).toEqual([3000]);
    expect(out.plan.holdbacks.filter((h) => h.kind === 'guard')).toHaveLength(25);
    const ok = run(w, [port('swp1', [1, ...many])], { ledger: owned('swp1', many), policy, confirm: true });
    expect(removes(ok.plan, 'swp1')).toEqual(many);
  });
});

describe('rule 6: limits', () => {
  function crowd(vlans: number[]) {
    const w = new World();
    const h = w.host('esx-01', vlans.map((v) => ({ name: `pg${v}`, vlan: v })));
    w.vm('v', h, vlans.map((v) => `pg${v}`));
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    w.lldp('swp2', 'esx-01', 'vmnic1', 1_000_000, 100_000);
    w.synced();
    return w;
  }

  it('never adds a VLAN outside allowedVlans; it shows as missing', () => {
    const out = run(crowd([10, 4094]), [port('swp1', [1])]);
    expect(adds(out.plan, 'swp1')).toEqual([10]);
    expect(out.plan.holdbacks.find((h) => h.kind === 'range')!.vlan).toBe(4094);
    expect(out.outcomes.get('swp1')!.missing).toEqual([4094]);
  });

  it('refuses adds beyond maxVlans per port', () => {
    const out = run(crowd([10, 11, 12, 13]), [port('swp1', [1])], { policy: basePolicy({}, { maxVlans: 3 }) });
    expect(adds(out.plan, 'swp1')).toEqual([10, 11]);
    expect(out.outcomes.get('swp1')!.state).toBe('limit');
  });

  it('refuses adds beyond the switch-wide maxVlanMembers budget', () => {
    const out = run(crowd([10, 11]), [port('swp1', [1]), port('swp2', [1]), port('other', [1, 2, 3])], {
      policy: basePolicy({ maxVlanMembers: 7 }),
    });
    const total = out.plan.changes.reduce((n, c) => n + c.add.length, 0);
    expect(total).toBe(2);
    expect(out.plan.holdbacks.filter((h) => h.kind === 'limit')).toHaveLength(2);
  });
});

describe('rule 7: make before break', () => {
  it('provisions the destination port of a vMotion before the VM moves', () => {
    const w = new World();
    const a = w.host('esx-a', [{ name: 'app', vlan: 10 }]);
    const b = w.host('esx-b', [{ name: 'app', vlan: 10 }]);
    const vm = w.vm('v', a, ['app']);
    w.lldp('swp1', 'esx-a', 'vmnic0', 1_000_000, 100_000);
    w.lldp('swp2', 'esx-b', 'vmnic0', 1_000_000, 100_000);
    w.synced();
    w.book.migrationStarted({ vm: vm.key, destHost: b.key, at: 1 });
    const out = run(w, [port('swp1', [1, 10]), port('swp2', [1])]);
    expect(adds(out.plan, 'swp2')).toEqual([10]);
    expect(out.plan.changes[0]!.add[0]!.reason).toMatch(/vMotion/);
    expect(removes(out.plan, 'swp1')).toEqual([]);
  });
});

describe('rule 8: the Open vSwitch empty-trunk trap', () => {
  it('never plans a removal that empties a trunk', () => {
    const w = new World();
    w.host('esx-01', []);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    w.synced();
    const policy = basePolicy({}, { staticVlans: [], pruneHoldDownMs: 0 });
    const out = run(w, [port('swp1', [10, 20])], { policy, ledger: owned('swp1', [10, 20], []) });
    expect(removes(out.plan, 'swp1')).toEqual([20]);
    expect(out.plan.holdbacks.find((h) => h.rule === 8)!.vlan).toBe(10);
  });

  it('leaves a port with an empty trunk set (= all VLANs) alone and says why', () => {
    const w = new World();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.vm('v', h, ['a']);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    w.synced();
    const out = run(w, [port('swp1', [])]);
    expect(out.plan.changes).toEqual([]);
    expect(out.plan.holdbacks[0]!.rule).toBe(8);
  });
});

describe('rule 9: restart = reconcile', () => {
  it('after a restart with the ledger from the store, needed VLANs stay and nothing is re-added', () => {
    const w = new World();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.vm('v', h, ['a']);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000, 100_000);
    // just restarted: vCenter not yet synced, device and ledger as they were
    const device = [port('swp1', [1, 10, 20])];
    const ledger = owned('swp1', [10, 20]);
    const before = run(w, device, { ledger, policy: basePolicy({}, { pruneHoldDownMs: 0 }) });
    expect(before.plan.changes).toEqual([]);
    w.synced();
    const after = run(w, device, { ledger, policy: basePolicy({}, { pruneHoldDownMs: 0 }) });
    expect(removes(after.plan, 'swp1')).toEqual([20]);
    expect(adds(after.plan, 'swp1')).toEqual([]);
  });
});
