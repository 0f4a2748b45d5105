// Property-based tests over random sequences of facts, time and operator edits: the safety
// rules hold whatever happens. Each step plans, applies to a simulated device, updates the ledger.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computePlan } from '../../agent/core/engine.js';
import { recordApplied, recordIntent } from '../../agent/core/plan.js';
import type { PortRecord } from '../../agent/core/types.js';
import type { DevicePort, VmFact } from '../../shared/model.js';
import { inRanges } from '../../shared/vlan.js';
import { basePolicy, port, World } from '../helpers/world.js';

const HOLD = 60_000;
const PG_VLANS = [10, 11, 12, 13, 14, 15, 4094];

type Step =
  | { kind: 'power'; vm: number; on: boolean }
  | { kind: 'move'; vm: number; host: number }
  | { kind: 'net'; vm: number; pg: number }
  | { kind: 'vcenter'; up: boolean }
  | { kind: 'neighbor'; port: number; alive: boolean }
  | { kind: 'operator'; port: number; vlan: number; add: boolean }
  | { kind: 'confirm' }
  | { kind: 'tick'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('power' as const), vm: fc.nat(5), on: fc.boolean() }),
  fc.record({ kind: fc.constant('move' as const), vm: fc.nat(5), host: fc.nat(2) }),
  fc.record({ kind: fc.constant('net' as const), vm: fc.nat(5), pg: fc.nat(PG_VLANS.length - 1) }),
  fc.record({ kind: fc.constant('vcenter' as const), up: fc.boolean() }),
  fc.record({ kind: fc.constant('neighbor' as const), port: fc.nat(2), alive: fc.boolean() }),
  fc.record({ kind: fc.constant('operator' as const), port: fc.nat(3), vlan: fc.integer({ min: 2, max: 30 }), add: fc.boolean() }),
  fc.record({ kind: fc.constant('confirm' as const) }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 2 * HOLD }) }),
);

const scenario = fc.record({
  maxVlans: fc.integer({ min: 3, max: 8 }),
  maxVlanMembers: fc.integer({ min: 8, max: 30 }),
  maxRemovals: fc.integer({ min: 0, max: 4 }),
  statics: fc.subarray([1, 20, 21]),
  initial: fc.array(fc.subarray([1, 5, 6, 20, 25]), { minLength: 4, maxLength: 4 }),
  steps: fc.array(step, { minLength: 1, maxLength: 40 }),
});

describe('core safety properties over random fact/time sequences', () => {
  it('never removes a static, protected, pre-existing or needed VLAN; removals wait for hold-down; trunks never empty; limits hold', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const w = new World();
        const pgs = PG_VLANS.map((v, i) => ({ name: `pg${i}`, vlan: v }));
        const hosts = [w.host('esx-0', pgs), w.host('esx-1', pgs), w.host('esx-2', pgs)];
        const vms: VmFact[] = [];
        for (let i = 0; i < 6; i++) vms.push(w.vm(`vm${i}`, hosts[i % 3]!, [`pg${i % PG_VLANS.length}`]));
        const policy = basePolicy(
          { maxVlanMembers: s.maxVlanMembers, maxRemovalsPerPlan: s.maxRemovals, protectedVlans: [1, 25] },
          { staticVlans: s.statics, maxVlans: s.maxVlans, pruneHoldDownMs: HOLD },
        );
        let now = 1_000_000;
        const alive = [true, true, true];
        const seeNeighbors = () => {
          for (let p = 0; p < 3; p++) if (alive[p]) w.lldp(`swp${p}`, `esx-${p}`, 'vmnic0', now, 120);
        };
        seeNeighbors();
        w.synced(now);
        let vcUp = true;
        const device: DevicePort[] = s.initial.map((v, i) => port(i === 3 ? 'mgmt0' : `swp${i}`, v.length ? v : [1]));
        const initial = new Map(device.map((p) => [p.name, [...p.trunks]]));
        let ledger = new Map<string, PortRecord>();
        // a VLAN stays removable only after being unneeded for HOLD (while seen), by our bookkeeping
        const lastNeeded = new Map<string, number>();
        const opAdded = new Set<string>();

        for (const st of [...s.steps, { kind: 'tick', ms: 0 } as Step]) {
          let confirm = false;
          switch (st.kind) {
            case 'power':
              w.book.upsertVm({ ...w.book.vms.get(vms[st.vm]!.key)!, powerState: st.on ? 'poweredOn' : 'poweredOff' });
              break;
            case 'move':
              w.book.upsertVm({ ...w.book.vms.get(vms[st.vm]!.key)!, host: hosts[st.host]!.key });
              break;
            case 'net': {
              const vm = w.book.vms.get(vms[st.vm]!.key)!;
              w.book.upsertVm({ ...vm, vnics: [{ ...vm.vnics[0]!, network: `vc1/network-pg${st.pg}` }] });
              break;
            }
            case 'vcenter':
              vcUp = st.up;
              w.book.sourceStatus({ name: 'vc1', state: st.up ? 'synced' : 'disconnected', lastSync: now });
              break;
            case 'neighbor':
              alive[st.port] = st.alive;
              break;
            case 'operator': {
              const p = device[st.port]!;
              const set = new Set(p.trunks);
              if (st.add) {
                set.add(st.vlan);
                opAdded.add(`${p.name}/${st.vlan}`);
              } else if (set.size > 1) set.delete(st.vlan);
              p.trunks = [...set].sort((a, b) => a - b);
              break;
            }
            case 'confirm':
              confirm = true;
              break;
            case 'tick':
              now += st.ms;
              break;
          }
          seeNeighbors();
          const out = computePlan({ now, policy, facts: w.book, neighbors: w.book.neighbors.values(), sources: w.book.sources, device, ledger, confirm });
          for (const [k, r] of out.ledger) ledger.set(k, r);

          // what is needed right now, per port
          for (const [name, d] of out.desired) for (const v of d.needed.keys()) lastNeeded.set(`${name}/${v}`, now);

          for (const c of out.plan.changes) {
            const p = device.find((x) => x.name === c.port)!;
            const d = out.desired.get(c.port)!;
            for (const r of c.remove) {
              expect(d.policy.staticVlans).not.toContain(r.vlan);
              expect(policy.protectedVlans).not.toContain(r.vlan);
              expect(d.needed.has(r.vlan)).toBe(false);
              expect(initial.get(c.port)).not.toContain(r.vlan);
              expect(opAdded.has(`${c.port}/${r.vlan}`) && !ledger.get(c.port)!.owned.includes(r.vlan)).toBe(false);
              expect(vcUp).toBe(true);
              if (!confirm) {
                const since = lastNeeded.get(`${c.port}/${r.vlan}`);
                if (since !== undefined) expect(now - since).toBeGreaterThanOrEqual(HOLD);
              }
            }
            for (const a of c.add) {
              expect(d.policy.staticVlans.includes(a.vlan) || inRanges(a.vlan, policy.allowedVlans)).toBe(true);
            }
            const after = new Set(p.trunks);
            for (const a of c.add) after.add(a.vlan);
            for (const r of c.remove) after.delete(r.vlan);
            expect(after.size).toBeGreaterThan(0);
            const grew = c.add.length > 0;
            if (grew) expect(after.size).toBeLessThanOrEqual(Math.max(s.maxVlans, p.trunks.length));
          }
          expect(device.find((p) => p.name === 'mgmt0') && out.plan.changes.some((c) => c.port === 'mgmt0')).toBe(false);
          const totalBefore = device.reduce((n, p) => n + p.trunks.length, 0);
          const totalAfter = totalBefore + out.plan.changes.reduce((n, c) => n + c.add.length - c.remove.length, 0);
          if (out.plan.changes.some((c) => c.add.length)) expect(totalAfter).toBeLessThanOrEqual(Math.max(s.maxVlanMembers, totalBefore));
          if (!confirm) expect(out.plan.changes.reduce((n, c) => n + c.remove.length, 0)).toBeLessThanOrEqual(s.maxRemovals);

          // apply: intent first, then the device, then the removals' bookkeeping
          ledger = new Map([...ledger, ...recordIntent(ledger, out.plan.changes)]);
          for (const c of out.plan.changes) {
            const p = device.find((x) => x.name === c.port)!;
            const set = new Set(p.trunks);
            for (const a of c.add) set.add(a.vlan);
            for (const r of c.remove) set.delete(r.vlan);
            p.trunks = [...set].sort((a, b) => a - b);
          }
          ledger = new Map([...ledger, ...recordApplied(ledger, out.plan.changes)]);
        }
      }),
      { numRuns: 500 },
    );
  });
});
