// The controller over the in-memory driver (which passes the same contract suite as the OVSDB
// driver) and the real SQLite store: batching, freeze until synced, restart, operator edits.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Controller } from '../../agent/controller/controller.js';
import { MemoryDriver } from '../../agent/drivers/memory.js';
import { DryRunDriver } from '../../agent/drivers/dry-run.js';
import { silentLogger } from '../../agent/log.js';
import { Store } from '../../agent/store/index.js';
import type { Policy } from '../../agent/core/types.js';
import { basePolicy, port, World } from '../helpers/world.js';

let dir: string;
let store: Store;
const logger = silentLogger();

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmt-ctl-'));
  store = await Store.open(join(dir, 'vmtrace.db'), { logger });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function setup(w: World, driver: MemoryDriver, policy: Policy = basePolicy({}, { pruneHoldDownMs: 0 }), now = { t: 1_000_000 }) {
  void driver.open();
  const ctl = new Controller({ policy, driver, store, book: w.book, logger, clock: () => now.t, batchMs: 1, resyncMs: 0 });
  const wire = (c: Parameters<Controller['onFactChange']>[0]) => ctl.onFactChange(c);
  return { ctl, wire, now };
}

/** A FactBook that reports to the controller, like agent/main wires it. */
function wired(): { w: World; bind: (ctl: Controller) => void } {
  let target: Controller | null = null;
  const w = new World();
  const book = w.book as unknown as { onChange: (c: unknown) => void };
  book.onChange = (c) => target?.onFactChange(c as never);
  return { w, bind: (ctl) => (target = ctl) };
}

describe('controller', () => {
  it('turns a burst of VM changes into one device transaction', async () => {
    const { w, bind } = wired();
    const h = w.host('esx-01', Array.from({ length: 50 }, (_, i) => ({ name: `pg${i}`, vlan: 100 + i })));
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000);
    w.synced();
    const driver = new MemoryDriver([port('swp1', [1])]);
    const { ctl } = setup(w, driver);
    bind(ctl);
    await ctl.start();
    const before = driver.transactions.length;
    for (let i = 0; i < 50; i++) w.vm(`vm${i}`, h, [`pg${i}`]);
    await new Promise((r) => setTimeout(r, 20));
    await ctl.idle();
    expect(driver.transactions.length - before).toBe(1);
    expect(driver.trunksOf('swp1')).toHaveLength(51);
    await ctl.stop();
  });

  it('removes nothing before every vCenter has synced, then prunes after hold-down', async () => {
    const { w, bind } = wired();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000);
    const driver = new MemoryDriver([port('swp1', [1, 20])]);
    await store.commit({ ledger: [{ port: 'swp1', firstSeenAt: 0, initialVlans: [1], owned: [20], unneededSince: {} }] });
    const now = { t: 1_000_000 };
    const { ctl } = setup(w, driver, basePolicy({}, { pruneHoldDownMs: 1000 }), now);
    bind(ctl);
    await ctl.start();
    w.vm('v', h, ['a']);
    await ctl.idle();
    await new Promise((r) => setTimeout(r, 10));
    await ctl.idle();
    expect(driver.trunksOf('swp1')).toEqual([1, 10, 20]); // add went, removal frozen
    expect(ctl.outcomes.get('swp1')!.state).toBe('frozen');
    w.synced(now.t);
    await new Promise((r) => setTimeout(r, 10));
    await ctl.idle();
    expect(driver.trunksOf('swp1')).toEqual([1, 10, 20]); // hold-down running
    now.t += 1000;
    ctl.enqueue(['swp1']);
    await new Promise((r) => setTimeout(r, 10));
    await ctl.idle();
    expect(driver.trunksOf('swp1')).toEqual([1, 10]);
    const journal = await store.recentJournal(10);
    expect(journal.map((j) => `${j.kind} ${j.vlan}`)).toEqual(['vlan-added 10', 'vlan-removed 20']);
    await ctl.stop();
  });

  it('keeps an operator edit made out of band and never removes what it did not add', async () => {
    const { w, bind } = wired();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.vm('v', h, ['a']);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000);
    w.synced();
    const driver = new MemoryDriver([port('swp1', [1])]);
    const { ctl } = setup(w, driver);
    bind(ctl);
    await ctl.start();
    expect(driver.trunksOf('swp1')).toEqual([1, 10]);
    driver.operatorSetTrunks('swp1', [1, 10, 555]);
    await new Promise((r) => setTimeout(r, 10));
    await ctl.idle();
    expect(driver.trunksOf('swp1')).toEqual([1, 10, 555]);
    await ctl.stop();
  });

  it('after a restart converges from the store without flapping a needed VLAN', async () => {
    const { w, bind } = wired();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }, { name: 'b', vlan: 11 }]);
    w.vm('v', h, ['a']);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000);
    w.synced();
    const driver = new MemoryDriver([port('swp1', [1])]);
    const first = setup(w, driver);
    bind(first.ctl);
    await first.ctl.start();
    await first.ctl.stop();
    expect(driver.trunksOf('swp1')).toEqual([1, 10]);
    const txBefore = driver.transactions.length;

    // restart: a fresh fact book (vCenter not yet synced), the same store and device
    const again = wired();
    const h2 = again.w.host('esx-01', [{ name: 'a', vlan: 10 }, { name: 'b', vlan: 11 }]);
    again.w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000);
    const second = setup(again.w, driver);
    again.bind(second.ctl);
    await second.ctl.start();
    expect(driver.transactions.length).toBe(txBefore); // nothing removed while blind
    again.w.vm('v', h2, ['b']); // the VM moved to another portgroup meanwhile
    again.w.synced();
    await new Promise((r) => setTimeout(r, 10));
    await second.ctl.idle();
    expect(driver.trunksOf('swp1')).toEqual([1, 11]); // VLAN 10 was ours (ledger survived): pruned
    await second.ctl.stop();
  });

  it('retries after the device drops and converges when it returns', async () => {
    const { w, bind } = wired();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }]);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000);
    w.synced();
    const driver = new MemoryDriver([port('swp1', [1])]);
    const { ctl } = setup(w, driver);
    bind(ctl);
    await ctl.start();
    driver.disconnect();
    w.vm('v', h, ['a']);
    await new Promise((r) => setTimeout(r, 30));
    expect(ctl.counters.applyErrors + ctl.counters.reconciles).toBeGreaterThan(1);
    driver.reconnect();
    for (let i = 0; i < 100 && driver.trunksOf('swp1').length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await ctl.idle();
    expect(driver.trunksOf('swp1')).toEqual([1, 10]);
    await ctl.stop();
  });

  it('in dry-run mode changes nothing, owns nothing, and journals each distinct plan once', async () => {
    const { w, bind } = wired();
    const h = w.host('esx-01', [{ name: 'a', vlan: 10 }, { name: 'b', vlan: 11 }]);
    w.vm('v', h, ['a']);
    w.lldp('swp1', 'esx-01', 'vmnic0', 1_000_000);
    w.synced();
    const device = new MemoryDriver([port('swp1', [1])]);
    const driver = new DryRunDriver({ inner: device, logger });
    await driver.open();
    const ctl = new Controller({ policy: basePolicy({}, { pruneHoldDownMs: 0 }), driver, store, book: w.book, logger, clock: () => 1_000_000, batchMs: 1, resyncMs: 0, dryRun: true });
    bind(ctl);
    await ctl.start();
    for (let i = 0; i < 3; i++) {
      ctl.enqueue(['swp1']);
      await new Promise((r) => setTimeout(r, 5));
      await ctl.idle();
    }
    expect(device.trunksOf('swp1')).toEqual([1]);
    expect(driver.applied.map((c) => c.vlan)).toEqual([10]);
    expect((await store.loadLedger()).get('swp1')!.owned).toEqual([]);
    expect(ctl.counters.vlanAdds).toBe(0);
    let journal = await store.recentJournal(10);
    expect(journal.map((j) => `${j.kind} ${j.vlan} ${j.message}`)).toEqual([expect.stringMatching(/^dry-run 10 would add/)]);
    w.vm('v2', h, ['b']);
    await new Promise((r) => setTimeout(r, 5));
    await ctl.idle();
    journal = await store.recentJournal(10);
    expect(journal.map((j) => `${j.kind} ${j.vlan}`)).toEqual(['dry-run 10', 'dry-run 10', 'dry-run 11']);
    await ctl.stop();
  });
});
