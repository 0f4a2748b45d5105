// The Driver contract (agent/drivers/driver.ts) as one vitest suite, run against every
// implementation: the real OVSDB driver (ground truth from ovs-vsctl) and the in-memory one
// used by controller tests. Ground truth never comes from the driver's own reads.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../agent/drivers/driver.js';
import type { PortChange, VlanId } from '../../shared/model.js';
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
