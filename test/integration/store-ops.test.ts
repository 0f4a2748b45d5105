// Store operations on real SQLite files: journal cap, atomic commits, serialised writers,
// error mapping, inventory snapshots at scale, close.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../agent/store/index.js';
import { Connection } from '../../agent/store/connection.js';
import { VmtraceError } from '../../shared/errors.js';
import { silentLogger } from '../../agent/log.js';
import type { PortRecord } from '../../agent/core/types.js';
import type { Inventory } from '../../agent/core/facts.js';
import type { JournalEntry, Neighbor } from '../../shared/model.js';

const logger = silentLogger();
let dir: string;
let n = 0;
const fresh = (): string => join(dir, `db-${++n}.db`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmtrace-store-ops-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (i: number, extra: Partial<JournalEntry> = {}): JournalEntry => ({
  at: 1_000 + i,
  kind: 'vlan-added',
  port: 'Ethernet1',
  vlan: 100,
  message: `m${i}`,
  ...extra,
});
const record = (port: string, owned: number[], extra: Partial<PortRecord> = {}): PortRecord => ({
  port,
  firstSeenAt: 1_000,
  initialVlans: [1],
  owned,
  unneededSince: {},
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<VmtraceError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(VmtraceError);
    return err as VmtraceError;
  }
  throw new Error('expected a rejection');
}

describe('store: journal', () => {
  it('holds the cap: only the newest rows stay, ids keep growing, newest last', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger, journalCap: 50 });
    for (let b = 0; b < 12; b++) await s.appendJournal(Array.from({ length: 10 }, (_, i) => entry(b * 10 + i)));
    expect(await s.journalCount()).toBe(50);
    const recent = await s.recentJournal(1000);
    expect(recent.map((e) => e.message)).toEqual(Array.from({ length: 50 }, (_, i) => `m${70 + i}`));
    expect(recent.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => 71 + i));
    expect((await s.recentJournal(3)).map((e) => e.message)).toEqual(['m117', 'm118', 'm119']);
    expect(await s.recentJournal(0)).toEqual([]);
    // one batch larger than the cap keeps its own newest rows
    await s.appendJournal(Array.from({ length: 80 }, (_, i) => entry(200 + i)));
    expect(await s.journalCount()).toBe(50);
    expect((await s.recentJournal(1))[0]?.message).toBe('m279');
    await s.close();

    // a lowered cap applies on open; ids are never reused after trimming
    const t = await Store.open(path, { logger, journalCap: 5 });
    expect(await t.journalCount()).toBe(5);
    await t.appendJournal([entry(999)]);
    const last = await t.recentJournal(5);
    expect(last.map((e) => e.id)).toEqual([197, 198, 199, 200, 201]);
    expect(last[4]?.message).toBe('m999');
    await t.close();
  });

  it('keeps null port and vlan, and every kind as written', async () => {
    const s = await Store.open(fresh(), { logger });
    const e: JournalEntry = { at: 5, kind: 'vcenter-gap', port: null, vlan: null, message: 'vc1: 12 s without updates' };
    await s.appendJournal([e]);
    expect(await s.recentJournal(1)).toEqual([{ ...e, id: 1 }]);
    await s.close();
  });
});

describe('store: commit', () => {
  it('is atomic: a failing statement leaves nothing of the batch behind', async () => {
    const s = await Store.open(fresh(), { logger });
    await s.commit({ ledger: [record('Ethernet1', [10])], journal: [entry(0)] });
    const err = await rejection(
      s.commit({
        ledger: [record('Ethernet1', [10, 20]), record('Ethernet2', [30])],
        deleteLedger: ['Ethernet1'],
        journal: [entry(1), entry(2, { message: null as unknown as string }) /* NOT NULL fails */, entry(3)],
      }),
    );
    expect(err.code).toBe('STORE_ERROR');
    expect(await s.loadLedger()).toEqual(new Map([['Ethernet1', record('Ethernet1', [10])]]));
    expect((await s.recentJournal(10)).map((e) => e.message)).toEqual(['m0']);
    // the store carries on after a failed batch
    await s.commit({ ledger: [record('Ethernet2', [30])], journal: [entry(4)] });
    expect([...(await s.loadLedger()).keys()]).toEqual(['Ethernet1', 'Ethernet2']);
    expect(await s.integrityCheck()).toBe('ok');
    await s.close();
  });

  it('refuses a record it could not read back (NaN VLAN) and the ledger stays loadable', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger });
    const err = await rejection(s.commit({ ledger: [record('Ethernet1', [10]), record('Ethernet2', [NaN])], journal: [entry(0)] }));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toContain('Ethernet2');
    expect((await s.loadLedger()).size).toBe(0);
    expect(await s.journalCount()).toBe(0);
    await s.close();
    const t = await Store.open(path, { logger });
    expect((await t.loadLedger()).size).toBe(0);
    await t.close();
  });

  it('records the batch as it was at the call, even if the caller reuses its objects', async () => {
    const s = await Store.open(fresh(), { logger });
    const r = record('Ethernet1', [10]);
    const e = entry(0);
    const done = s.commit({ ledger: [r], journal: [e] });
    r.owned.push(20);
    r.unneededSince[10] = 99;
    e.message = 'changed';
    await done;
    expect((await s.loadLedger()).get('Ethernet1')).toEqual(record('Ethernet1', [10]));
    expect((await s.recentJournal(1))[0]?.message).toBe('m0');
    await s.close();
  });

  it('applies deletes before upserts, and an empty batch is a no-op', async () => {
    const s = await Store.open(fresh(), { logger });
    await s.commit({ ledger: [record('a', [1]), record('b', [2])] });
    await s.commit({ deleteLedger: ['a', 'b', 'never-there'], ledger: [record('b', [3])] });
    expect(await s.loadLedger()).toEqual(new Map([['b', record('b', [3])]]));
    await s.commit({});
    expect(await s.journalCount()).toBe(0);
    await s.close();
  });

  it('serialises many commits in flight, in call order', async () => {
    const s = await Store.open(fresh(), { logger });
    const order: number[] = [];
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      calls.push(s.commit({ ledger: [record('Ethernet1', [i + 2])], journal: [entry(i)] }).then(() => void order.push(i)));
      if (i % 50 === 0) calls.push(s.setMeta('last', String(i)));
    }
    // reads queue behind the writes issued before them
    const ledgerSeen = s.loadLedger();
    await Promise.all(calls);
    expect(order).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect((await ledgerSeen).get('Ethernet1')?.owned).toEqual([301]);
    const journal = await s.recentJournal(1000);
    expect(journal.map((e) => e.message)).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
    expect(journal.map((e) => e.id)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(await s.getMeta('last')).toBe('250');
    await s.close();
  });
});

describe('store: errors', () => {
  it('maps a SQLite error to STORE_ERROR naming the file and keeping the cause', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger });
    const err = await rejection(s.appendJournal([entry(0, { message: null as unknown as string })]));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.transient).toBe(false);
    expect(err.message).toContain(path);
    expect(err.message).toContain('NOT NULL');
    expect((err.cause as { code?: string }).code).toBe('SQLITE_CONSTRAINT');
    await s.close();
  });

  it('rejects a statement that fails to prepare instead of crashing, and stays usable', async () => {
    const c = await Connection.open(join(dir, 'prepare.db'), 'readwrite');
    try {
      await expect(c.run('INSERT INTO no_such_table VALUES (?)', [1])).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
      await expect(c.run('INSERT INTO no_such_table VALUES (?)', [1])).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
      await c.exec('CREATE TABLE t (x INTEGER)');
      expect(await c.run('INSERT INTO t VALUES (?)', [1])).toMatchObject({ changes: 1 });
    } finally {
      await c.close();
    }
  });

  it('reports a busy database as a transient STORE_ERROR', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger, busyTimeoutMs: 50 });
    // another process-like connection holds the write lock
    const other = await Connection.open(path, 'readwrite');
    await other.exec('BEGIN IMMEDIATE');
    try {
      const err = await rejection(s.commit({ ledger: [record('Ethernet1', [5])] }));
      expect(err.code).toBe('STORE_ERROR');
      expect(err.transient).toBe(true);
    } finally {
      await other.exec('ROLLBACK');
      await other.close();
    }
    await s.commit({ ledger: [record('Ethernet1', [5])] });
    expect((await s.loadLedger()).size).toBe(1);
    await s.close();
  });

  it('refuses a ledger row it cannot read as STORE_CORRUPT instead of guessing', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger });
    await s.close();
    const c = await Connection.open(path, 'readwrite');
    await c.run("INSERT INTO ledger VALUES ('Ethernet3', 1, '[1]', '[\"x\"]', '{}')");
    await c.close();
    const t = await Store.open(path, { logger });
    const err = await rejection(t.loadLedger());
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toContain('Ethernet3');
    await t.close();
  });

  it('rejects calls after close; close is idempotent and waits for queued writes', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger });
    const pending = Array.from({ length: 20 }, (_, i) => s.commit({ journal: [entry(i)] }));
    const closed = s.close();
    expect(s.close()).toBe(closed);
    await closed;
    await Promise.all(pending);
    expect((await rejection(s.journalCount())).code).toBe('STORE_ERROR');
    const t = await Store.open(path, { logger });
    expect(await t.journalCount()).toBe(20);
    await t.close();
  });

  it('refuses a bad journal cap', async () => {
    expect((await rejection(Store.open(fresh(), { logger, journalCap: 0 }))).code).toBe('STORE_ERROR');
  });
});

describe('store: inventory snapshots', () => {
  function bigInventory(vcenter: string, vms: number): Inventory {
    const hosts = Array.from({ length: vms / 20 }, (_, h) => ({
      key: `${vcenter}/host-${h}`,
      vcenter,
      moid: `host-${h}`,
      name: `esx-${h}.lab.example`,
      pnics: [{ device: 'vmnic0', mac: `00:50:56:01:${(h >> 8).toString(16).padStart(2, '0')}:${(h & 255).toString(16).padStart(2, '0')}` }],
      portgroups: [{ name: 'prod-web', vlan: { kind: 'vlan' as const, vlan: 110 }, uplinks: ['vmnic0'] }],
      dvs: [],
      vmknics: [],
    }));
    return {
      hosts,
      networks: [{ key: `${vcenter}/network-1`, vcenter, moid: 'network-1', name: 'prod-web', kind: 'standard', vlan: null, dvs: null }],
      vms: Array.from({ length: vms }, (_, i) => ({
        key: `${vcenter}/vm-${i}`,
        vcenter,
        moid: `vm-${i}`,
        name: `vm-${i}`,
        uuid: `4210${i.toString(16).padStart(28, '0')}`,
        powerState: 'poweredOn' as const,
        template: false,
        host: `${vcenter}/host-${i % (vms / 20)}`,
        vnics: [{ key: 4000, mac: `00:50:56:aa:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, network: `${vcenter}/network-1`, connected: true }],
      })),
    };
  }

  it('round-trips a 10k-VM snapshot per vCenter, compressed, last write wins', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger });
    const vc1 = bigInventory('vc1', 10_000);
    const vc2 = bigInventory('vc2', 200);
    const older = bigInventory('vc1', 40);
    // issued back to back: the later call wins even if its encoding finishes first
    await Promise.all([s.saveInventory('vc1', vc1, 1), s.saveInventory('vc2', vc2, 2), s.saveInventory('vc1', older, 3)]);
    await s.saveInventory('vc1', vc1, 4);
    await s.close();

    const t = await Store.open(path, { logger });
    const loaded = await t.loadInventories();
    expect([...loaded.keys()]).toEqual(['vc1', 'vc2']);
    expect(loaded.get('vc1')?.at).toBe(4);
    expect(loaded.get('vc1')?.inv).toEqual(vc1);
    expect(loaded.get('vc2')).toEqual({ inv: vc2, at: 2 });
    await t.close();

    const c = await Connection.open(path, 'readonly');
    const row = await c.get<{ encoding: string; size: number }>("SELECT encoding, length(data) AS size FROM inventory WHERE vcenter = 'vc1'");
    await c.close();
    expect(row?.encoding).toBe('json+deflate');
    expect(row!.size).toBeLessThan(Buffer.byteLength(JSON.stringify(vc1)) / 4);
  });

  it('skips an unreadable snapshot (the vCenter resync brings the facts back) and keeps the others', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger });
    await s.saveInventory('vc1', bigInventory('vc1', 40), 1);
    await s.close();
    const c = await Connection.open(path, 'readwrite');
    await c.run("INSERT INTO inventory VALUES ('vc2', 2, 'json+deflate', x'00112233')");
    await c.run("INSERT INTO inventory VALUES ('vc3', 3, 'json', CAST('{\"hosts\": 1}' AS BLOB))");
    await c.close();
    const t = await Store.open(path, { logger });
    expect([...(await t.loadInventories()).keys()]).toEqual(['vc1']);
    await t.close();
  });
});

describe('store: read-only', () => {
  it('reads what a running writer committed, and refuses writes', async () => {
    const path = fresh();
    const w = await Store.open(path, { logger });
    await w.commit({ ledger: [record('Ethernet1', [10])], journal: [entry(0)] });
    const r = await Store.open(path, { logger, readonly: true });
    expect(r.schemaVersion()).toBe(w.schemaVersion());
    expect((await r.loadLedger()).get('Ethernet1')?.owned).toEqual([10]);
    await w.commit({ ledger: [record('Ethernet1', [10, 20])] });
    expect((await r.loadLedger()).get('Ethernet1')?.owned).toEqual([10, 20]);
    expect(await r.journalCount()).toBe(1);
    for (const write of [() => r.commit({ journal: [entry(1)] }), () => r.setMeta('k', 'v'), () => r.saveInventory('vc1', { hosts: [], networks: [], vms: [] }, 1)]) {
      const err = await rejection(write());
      expect(err.code).toBe('STORE_ERROR');
      expect(err.message).toContain('read-only');
    }
    await r.close();
    await w.close();
  });

  it('refuses a store that does not exist yet or is not migrated', async () => {
    const absent = fresh();
    const err = await rejection(Store.open(absent, { logger, readonly: true }));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toContain('does not exist');
    const old = fresh();
    const c = await Connection.open(old, 'readwrite');
    await c.exec('CREATE TABLE t (x INTEGER)');
    await c.close();
    expect((await rejection(Store.open(old, { logger, readonly: true }))).message).toContain('older');
  });
});

describe('store: neighbours', () => {
  const neighbor = (iface: string, sysName: string, extra: Partial<Neighbor> = {}): Neighbor => ({
    iface,
    protocol: 'lldp',
    chassisId: '00:50:56:01:00:01',
    chassisIdSubtype: 4,
    portId: 'vmnic0',
    portIdSubtype: 5,
    sysName,
    sysDescr: 'VMware ESXi 8.0.2',
    portDescr: null,
    mgmtAddresses: ['192.0.2.11'],
    ttl: 120,
    lastSeen: 1_000,
    lastChange: 900,
    ...extra,
  });

  it('replaces the whole set and reads it back after a reopen', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger });
    await s.replaceNeighbors([neighbor('eth1', 'esx-01'), neighbor('eth2', 'esx-02'), neighbor('eth2', 'esx-03', { chassisId: 'esx-03', protocol: 'cdp', portId: 'vmnic1' })]);
    await s.replaceNeighbors([neighbor('eth2', 'esx-02', { lastSeen: 2_000 }), neighbor('eth3', 'esx-04')]);
    await s.close();
    const t = await Store.open(path, { logger });
    expect(await t.loadNeighbors()).toEqual([neighbor('eth2', 'esx-02', { lastSeen: 2_000 }), neighbor('eth3', 'esx-04')]);
    await t.replaceNeighbors([]);
    expect(await t.loadNeighbors()).toEqual([]);
    await t.close();
  });

  it('skips a row it cannot read', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger });
    await s.replaceNeighbors([neighbor('eth1', 'esx-01')]);
    await s.close();
    const c = await Connection.open(path, 'readwrite');
    await c.run("INSERT INTO neighbor VALUES ('eth9', 'x', 'y', '{\"iface\": \"eth9\"}')");
    await c.close();
    const t = await Store.open(path, { logger });
    expect((await t.loadNeighbors()).map((n) => n.iface)).toEqual(['eth1']);
    await t.close();
  });
});
