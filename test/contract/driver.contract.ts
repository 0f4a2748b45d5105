// The Driver contract (agent/drivers/driver.ts) as one vitest suite, run against every
// implementation: the real OVSDB driver (ground truth from ovs-vsctl) and the in-memory one
// used by controller tests. Ground truth never comes from the driver's own reads.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../agent/drivers/driver.js';
import type { PortChange, VlanId, VtepState } from '../../shared/model.js';
import { VmtraceError } from '../../shared/errors.js';

export interface DriverFixture {
  /** not yet opened: the suite opens it */
  driver: Driver;
  /** at least 3 ports of the device the suite may change (each gets its trunks set by the suite) */
  ports: string[];
  /** an operator's out-of-band edit (ovs-vsctl set port P trunks=…) */
  operatorSetTrunks(port: string, vlans: VlanId[]): Promise<void>;
  /** ground truth, read around the driver */
  readTrunks(port: string): Promise<VlanId[]>;
  /** take the device's management plane down and back (ovsdb-server killed and restarted) */
  outage: { begin(): Promise<void>; end(): Promise<void> };
  teardown(): Promise<void>;
}

const add = (port: string, vlans: VlanId[], remove: VlanId[] = []): PortChange => ({
  port,
  add: vlans.map((vlan) => ({ vlan, rule: 1, reason: `contract test adds ${vlan}` })),
  remove: remove.map((vlan) => ({ vlan, rule: 2, reason: `contract test removes ${vlan}` })),
});
const remove = (port: string, vlans: VlanId[]): PortChange => add(port, [], vlans);

async function eventually(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function expectCode(p: Promise<unknown>, code: string): Promise<VmtraceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected a VmtraceError ${code}`).toBeInstanceOf(VmtraceError);
  expect((err as VmtraceError).code).toBe(code);
  return err as VmtraceError;
}

export function driverContract(name: string, setup: () => Promise<DriverFixture>): void {
  describe(`Driver contract: ${name}`, () => {
    let f: DriverFixture;
    let d: Driver;
    let p0: string, p1: string, p2: string;

    beforeAll(async () => {
      f = await setup();
      d = f.driver;
      expect(f.ports.length).toBeGreaterThanOrEqual(3);
      [p0, p1, p2] = f.ports as [string, string, string];
      await d.open();
    });

    afterAll(async () => {
      await f?.driver.close().catch(() => undefined);
      await f?.teardown();
    });

    const reset = async (...ports: [string, VlanId[]][]) => {
      for (const [p, v] of ports) await f.operatorSetTrunks(p, v);
      for (const [p, v] of ports) expect(await f.readTrunks(p)).toEqual(v);
    };

    it('lists the ports with their trunks (sorted), interfaces and tag', async () => {
      await f.operatorSetTrunks(p0, [30, 1, 20]);
      const ports = await d.ports();
      const names = ports.map((p) => p.name);
      for (const p of f.ports) expect(names).toContain(p);
      const got = ports.find((p) => p.name === p0)!;
      expect(got.trunks).toEqual([1, 20, 30]);
      expect(got.interfaces.length).toBeGreaterThanOrEqual(1);
      expect(got.tag === null || Number.isInteger(got.tag)).toBe(true);
      expect(got.ifIndex === null || Number.isInteger(got.ifIndex)).toBe(true);
      for (const p of f.ports) {
        expect(ports.find((x) => x.name === p)!.trunks).toEqual(await f.readTrunks(p));
      }
    });

    it('applies adds and removes as one transaction over several ports', async () => {
      await reset([p0, [1]], [p1, [1, 5]]);
      await d.apply([add(p0, [10, 20]), add(p1, [30], [5])]);
      expect(await f.readTrunks(p0)).toEqual([1, 10, 20]);
      expect(await f.readTrunks(p1)).toEqual([1, 30]);
      await d.apply([add(p0, [40], [10])]);
      expect(await f.readTrunks(p0)).toEqual([1, 20, 40]);
      const seen = (await d.ports()).find((p) => p.name === p0)!;
      expect(seen.trunks).toEqual([1, 20, 40]);
    });

    it('is idempotent: re-adding a present VLAN or removing an absent one changes nothing', async () => {
      await reset([p0, [1, 10]]);
      await d.apply([add(p0, [10])]);
      await d.apply([add(p0, [10])]);
      await d.apply([remove(p0, [99])]);
      expect(await f.readTrunks(p0)).toEqual([1, 10]);
    });

    it('does nothing for an empty change list', async () => {
      await reset([p0, [1, 10]]);
      await d.apply([]);
      await d.apply([add(p0, [])]);
      expect(await f.readTrunks(p0)).toEqual([1, 10]);
    });

    it('refuses a change that would leave a trunk empty, whole (rule 8), device unchanged', async () => {
      await reset([p0, [1, 10]], [p1, [1]]);
      const err = await expectCode(d.apply([add(p1, [50]), remove(p0, [1, 10])]), 'OVSDB_CONFLICT');
      expect(err.message).toContain(p0);
      expect(await f.readTrunks(p0)).toEqual([1, 10]);
      expect(await f.readTrunks(p1)).toEqual([1]);
      // swapping the last VLAN for another in one change is fine: the result is not empty
      await d.apply([add(p0, [11], [1, 10])]);
      expect(await f.readTrunks(p0)).toEqual([11]);
    });

    it('refuses a transaction naming a missing port atomically: other ports untouched', async () => {
      await reset([p0, [1]], [p1, [1]]);
      const err = await expectCode(d.apply([add(p0, [60]), add('vmt-no-such-port', [60]), add(p1, [61])]), 'OVSDB_CONFLICT');
      expect(err.message).toContain('vmt-no-such-port');
      expect(await f.readTrunks(p0)).toEqual([1]);
      expect(await f.readTrunks(p1)).toEqual([1]);
    });

    it('refuses malformed changes (VLAN out of range, same VLAN added and removed) before touching the device', async () => {
      await reset([p0, [1]], [p1, [1]]);
      await expectCode(d.apply([add(p1, [20]), add(p0, [4096])]), 'INTERNAL');
      await expectCode(d.apply([add(p1, [20]), add(p0, [30], [30])]), 'INTERNAL');
      await expectCode(d.apply([add(p1, [20]), add(p0, [30]), remove(p0, [30])]), 'INTERNAL');
      expect(await f.readTrunks(p0)).toEqual([1]);
      expect(await f.readTrunks(p1)).toEqual([1]);
    });

    it("keeps an operator's concurrent edit of other VLANs (deltas, never a rewrite)", async () => {
      await reset([p2, [1, 10]]);
      const before = (await d.ports()).find((p) => p.name === p2)!;
      expect(before.trunks).toEqual([1, 10]);
      // The operator edits after our read and before our write.
      await f.operatorSetTrunks(p2, [1, 10, 77]);
      await d.apply([add(p2, [20], [10])]);
      expect(await f.readTrunks(p2)).toEqual([1, 20, 77]);
    });

    it('observe() reports out-of-band changes and our own, by port name; unsubscribe stops it', async () => {
      await reset([p0, [1]], [p1, [1]]);
      const seen: (string[] | null)[] = [];
      const off = d.observe((ports) => seen.push(ports));
      await f.operatorSetTrunks(p1, [1, 55]);
      await eventually(`observe to report ${p1}`, () => seen.some((s) => s?.includes(p1)));
      await d.apply([add(p0, [56])]);
      await eventually(`observe to report ${p0}`, () => seen.some((s) => s?.includes(p0)));
      expect(seen.every((s) => s === null || s.every((n) => typeof n === 'string'))).toBe(true);
      off();
      const n = seen.length;
      await f.operatorSetTrunks(p1, [1, 57]);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.length).toBe(n);
    });

    it('survives a management-plane outage: fails fast (transient), comes back by itself', async () => {
      await reset([p0, [1]]);
      const states: boolean[] = [];
      const observed: (string[] | null)[] = [];
      const offC = d.onConnection((up) => states.push(up));
      const offO = d.observe((p) => observed.push(p));
      await f.outage.begin();
      await eventually('connection down', () => states.includes(false));
      const t0 = Date.now();
      const err = await expectCode(d.apply([add(p0, [70])]), 'OVSDB_UNREACHABLE');
      expect(err.transient).toBe(true);
      expect(Date.now() - t0).toBeLessThan(1000);
      await f.outage.end();
      await eventually('connection up again', () => states[states.length - 1] === true, 15_000);
      expect(observed).toContain(null);
      await d.apply([add(p0, [71])]);
      expect(await f.readTrunks(p0)).toEqual([1, 71]);
      offC();
      offO();
    });

    it('close() is idempotent; calls after close fail with a VmtraceError', async () => {
      await d.close();
      await d.close();
      const err = await d.ports().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(VmtraceError);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// hardware_vtep (rule 10): the same idea for Driver.vtep.

export interface VtepFixture {
  /** not yet opened; driver.vtep must not be null */
  driver: Driver;
  /** at least 2 Physical_Port names */
  ports: string[];
  /** an operator's vtep-ctl bind-ls (on a logical switch of its own with tunnel_key = vni) */
  operatorBind(port: string, vlan: VlanId, vni: number): Promise<void>;
  /** an operator's vtep-ctl add-ucast-remote */
  operatorAddRemoteMac(vni: number, mac: string, vtep: string): Promise<void>;
  /** ground truth, read around the driver (bindings, MACs and flood lists of VNI logical switches), sorted */
  readVtep(): Promise<VtepState>;
  teardown(): Promise<void>;
}

const none = (): VtepState => ({ bindings: [], macs: [], flood: [] });

function onlyVnis(s: VtepState, vnis: number[]): VtepState {
  return {
    bindings: s.bindings.filter((b) => vnis.includes(b.vni)),
    macs: s.macs.filter((m) => vnis.includes(m.vni)),
    flood: s.flood.filter((f) => vnis.includes(f.vni)),
  };
}

export function vtepContract(name: string, setup: () => Promise<VtepFixture>): void {
  describe(`VtepDriver contract: ${name}`, () => {
    let f: VtepFixture;
    let p0: string, p1: string;
    const vtep = () => f.driver.vtep!;

    beforeAll(async () => {
      f = await setup();
      expect(f.driver.vtep).not.toBeNull();
      expect(f.ports.length).toBeGreaterThanOrEqual(2);
      [p0, p1] = f.ports as [string, string];
      await f.driver.open();
    });

    afterAll(async () => {
      await f?.driver.close().catch(() => undefined);
      await f?.teardown();
    });

    it("reads the operator's rows as the device holds them (MACs in lower case)", async () => {
      await f.operatorBind(p0, 700, 7001);
      await f.operatorAddRemoteMac(7001, '00:AA:00:00:00:01', '192.0.2.71');
      const truth = await f.readVtep();
      expect(onlyVnis(truth, [7001])).toEqual({
        bindings: [{ port: p0, vlan: 700, vni: 7001 }],
        macs: [{ vni: 7001, mac: '00:aa:00:00:00:01', vtep: '192.0.2.71' }],
        flood: [],
      });
      expect(await vtep().read()).toEqual(truth);
    });

    it('applies bindings, remote MACs and flood lists in one diff; re-applying changes nothing', async () => {
      const add: VtepState = {
        bindings: [
          { port: p0, vlan: 100, vni: 5001 },
          { port: p1, vlan: 100, vni: 5001 },
          { port: p1, vlan: 101, vni: 5002 },
        ],
        macs: [
          { vni: 5001, mac: '00:50:56:00:00:01', vtep: '192.0.2.10' },
          { vni: 5001, mac: '00:50:56:00:00:02', vtep: '192.0.2.11' },
          { vni: 5002, mac: '00:50:56:00:00:03', vtep: '192.0.2.10' },
        ],
        flood: [
          { vni: 5001, vteps: ['192.0.2.10', '192.0.2.11'] },
          { vni: 5002, vteps: ['192.0.2.10'] },
        ],
      };
      await vtep().apply({ add, remove: none() });
      expect(onlyVnis(await f.readVtep(), [5001, 5002])).toEqual(add);
      await vtep().apply({ add, remove: none() });
      const truth = await f.readVtep();
      expect(onlyVnis(truth, [5001, 5002])).toEqual(add);
      expect(await vtep().read()).toEqual(truth);
      // the operator's rows are untouched
      expect(onlyVnis(truth, [7001]).bindings).toEqual([{ port: p0, vlan: 700, vni: 7001 }]);
    });

    it('moves a MAC to another VTEP and edits a flood list by deltas', async () => {
      await vtep().apply({
        add: { bindings: [], macs: [{ vni: 5001, mac: '00:50:56:00:00:01', vtep: '192.0.2.12' }], flood: [{ vni: 5001, vteps: ['192.0.2.12'] }] },
        remove: { bindings: [], macs: [{ vni: 5001, mac: '00:50:56:00:00:01', vtep: '192.0.2.10' }], flood: [{ vni: 5001, vteps: ['192.0.2.10'] }] },
      });
      const truth = onlyVnis(await f.readVtep(), [5001]);
      expect(truth.macs).toEqual([
        { vni: 5001, mac: '00:50:56:00:00:01', vtep: '192.0.2.12' },
        { vni: 5001, mac: '00:50:56:00:00:02', vtep: '192.0.2.11' },
      ]);
      expect(truth.flood).toEqual([{ vni: 5001, vteps: ['192.0.2.11', '192.0.2.12'] }]);
    });

    it('removes only what still matches (wrong VNI or VTEP = no-op), and is idempotent', async () => {
      await vtep().apply({
        add: none(),
        remove: { bindings: [{ port: p1, vlan: 101, vni: 9999 }], macs: [{ vni: 5002, mac: '00:50:56:00:00:03', vtep: '192.0.2.99' }], flood: [] },
      });
      expect(onlyVnis(await f.readVtep(), [5002])).toEqual({
        bindings: [{ port: p1, vlan: 101, vni: 5002 }],
        macs: [{ vni: 5002, mac: '00:50:56:00:00:03', vtep: '192.0.2.10' }],
        flood: [{ vni: 5002, vteps: ['192.0.2.10'] }],
      });
      const remove: VtepState = {
        bindings: [{ port: p1, vlan: 101, vni: 5002 }],
        macs: [{ vni: 5002, mac: '00:50:56:00:00:03', vtep: '192.0.2.10' }],
        flood: [{ vni: 5002, vteps: ['192.0.2.10'] }],
      };
      await vtep().apply({ add: none(), remove });
      await vtep().apply({ add: none(), remove });
      expect(onlyVnis(await f.readVtep(), [5002])).toEqual(none());
    });

    it('refuses binding a VLAN bound to another VNI, whole: nothing applied', async () => {
      const err = await expectCode(
        vtep().apply({
          add: { bindings: [{ port: p0, vlan: 700, vni: 5003 }], macs: [{ vni: 5003, mac: '00:50:56:00:00:04', vtep: '192.0.2.10' }], flood: [] },
          remove: none(),
        }),
        'OVSDB_CONFLICT',
      );
      expect(err.message).toContain('700');
      const truth = await f.readVtep();
      expect(onlyVnis(truth, [5003])).toEqual(none());
      expect(onlyVnis(truth, [7001]).bindings).toEqual([{ port: p0, vlan: 700, vni: 7001 }]);
    });

    it('refuses a binding on an unknown port, whole: nothing applied', async () => {
      const err = await expectCode(
        vtep().apply({
          add: { bindings: [{ port: p1, vlan: 300, vni: 5004 }, { port: 'vmt-no-such-port', vlan: 300, vni: 5004 }], macs: [], flood: [] },
          remove: none(),
        }),
        'OVSDB_CONFLICT',
      );
      expect(err.message).toContain('vmt-no-such-port');
      expect(onlyVnis(await f.readVtep(), [5004])).toEqual(none());
    });
  });
}
