// Opening the store against real SQLite files: creation, migrations, reopen, and the files it
// must refuse without touching (newer schema, corruption, not a database).

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store, SCHEMA_VERSION, storePath } from '../../agent/store/index.js';
import { Connection } from '../../agent/store/connection.js';
import { MIGRATIONS, migrate, userVersion, type Migration } from '../../agent/store/migrations.js';
import { VmtraceError } from '../../shared/errors.js';
import { silentLogger } from '../../agent/log.js';
import type { PortRecord } from '../../agent/core/types.js';
import type { Inventory } from '../../agent/core/facts.js';

const logger = silentLogger();
let dir: string;
let n = 0;
const fresh = (): string => join(dir, `db-${++n}.db`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmtrace-store-open-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
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

async function raw<T>(path: string, fn: (c: Connection) => Promise<T>): Promise<T> {
  const c = await Connection.open(path, 'readwrite');
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** A store with enough rows to span many pages, closed (WAL checkpointed into the file). */
async function populated(path: string): Promise<void> {
  const s = await Store.open(path, { logger });
  const ledger: PortRecord[] = Array.from({ length: 200 }, (_, i) => ({
    port: `Ethernet${i}`,
    firstSeenAt: 1_700_000_000_000 + i,
    initialVlans: [1],
    owned: [100 + (i % 50), 200 + (i % 30)],
    unneededSince: { [200 + (i % 30)]: 1_700_000_100_000 },
  }));
  await s.commit({ ledger });
  for (let b = 0; b < 10; b++) {
    await s.appendJournal(
      Array.from({ length: 300 }, (_, i) => ({ at: b * 1000 + i, kind: 'vlan-added' as const, port: `Ethernet${i % 48}`, vlan: 100 + (i % 200), message: `vlan ${100 + (i % 200)} added for vm-${b}-${i} on esx-${i % 20}` })),
    );
  }
  await s.close();
}

describe('store: open and migrate', () => {
  it('creates a new file at the latest schema, in WAL mode, with every table', async () => {
    const path = fresh();
    const s = await Store.open(path, { logger });
    expect(s.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(s.path).toBe(path);
    expect(await s.integrityCheck()).toBe('ok');
    expect((await s.loadLedger()).size).toBe(0);
    expect(await s.journalCount()).toBe(0);
    await s.close();
    await raw(path, async (c) => {
      expect(await userVersion(c)).toBe(SCHEMA_VERSION);
      expect((await c.get<{ journal_mode: string }>('PRAGMA journal_mode'))?.journal_mode).toBe('wal');
      const tables = (await c.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")).map((r) => r.name);
      expect(tables).toEqual(['inventory', 'journal', 'ledger', 'meta', 'neighbor']);
    });
  });

  it('upgrades a schema-1 file in place, keeping its rows', async () => {
    const path = fresh();
    await raw(path, async (c) => {
      await c.exec('PRAGMA journal_mode = WAL');
      expect(await migrate(c, path, logger, MIGRATIONS.slice(0, 1))).toBe(1);
      await c.run("INSERT INTO ledger VALUES ('Ethernet1', 7, '[1]', '[110]', '{\"110\": 9}')");
      await c.run("INSERT INTO journal (at, kind, port, vlan, message) VALUES (3, 'vlan-added', 'Ethernet1', 110, 'added')");
    });
    const s = await Store.open(path, { logger });
    expect(s.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThan(1);
    expect(await s.loadLedger()).toEqual(new Map([['Ethernet1', { port: 'Ethernet1', firstSeenAt: 7, initialVlans: [1], owned: [110], unneededSince: { 110: 9 } }]]));
    expect(await s.recentJournal(5)).toEqual([{ id: 1, at: 3, kind: 'vlan-added', port: 'Ethernet1', vlan: 110, message: 'added' }]);
    expect(await s.loadNeighbors()).toEqual([]);
    await s.close();
  });

  it('treats an existing empty (0-byte) file as new', async () => {
    const path = fresh();
    await writeFile(path, '');
    const s = await Store.open(path, { logger });
    expect(s.schemaVersion()).toBe(SCHEMA_VERSION);
    await s.close();
  });

  it('keeps ledger, journal, inventory and meta across a reopen', async () => {
    const path = fresh();
    const rec: PortRecord = { port: 'Ethernet7', firstSeenAt: 1000, initialVlans: [1, 99], owned: [110, 120], unneededSince: { 120: 5000 } };
    const inv: Inventory = {
      hosts: [{ key: 'vc1/host-1', vcenter: 'vc1', moid: 'host-1', name: 'esx-01', pnics: [{ device: 'vmnic0', mac: '00:50:56:00:00:01' }], portgroups: [], dvs: [], vmknics: [] }],
      networks: [{ key: 'vc1/network-1', vcenter: 'vc1', moid: 'network-1', name: 'prod-web', kind: 'standard', vlan: null, dvs: null }],
      vms: [{ key: 'vc1/vm-1', vcenter: 'vc1', moid: 'vm-1', name: 'web1', uuid: null, powerState: 'poweredOn', template: false, host: 'vc1/host-1', vnics: [{ key: 4000, mac: '00:50:56:aa:bb:cc', network: 'vc1/network-1', connected: true }] }],
    };
    const s = await Store.open(path, { logger });
    await s.commit({ ledger: [rec], journal: [{ at: 10, kind: 'vlan-added', port: 'Ethernet7', vlan: 110, message: 'vlan 110 added' }] });
    await s.saveInventory('vc1', inv, 4242);
    await s.setMeta('ifIndex.Ethernet7', '1007');
    await s.close();

    const t = await Store.open(path, { logger });
    expect(await t.loadLedger()).toEqual(new Map([['Ethernet7', rec]]));
    expect((await t.loadLedger()).get('Ethernet7')?.unneededSince[120]).toBe(5000);
    expect(await t.recentJournal(10)).toEqual([{ id: 1, at: 10, kind: 'vlan-added', port: 'Ethernet7', vlan: 110, message: 'vlan 110 added' }]);
    expect(await t.loadInventories()).toEqual(new Map([['vc1', { inv, at: 4242 }]]));
    expect(await t.getMeta('ifIndex.Ethernet7')).toBe('1007');
    expect(await t.getMeta('absent')).toBeNull();
    await t.close();
  });

  it('refuses a missing directory with a clear error and creates nothing', async () => {
    const path = join(dir, 'no-such-dir', 'vmtrace.db');
    const err = await rejection(Store.open(path, { logger }));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toContain(join(dir, 'no-such-dir'));
    expect(err.message).toContain('does not exist');
    await expect(stat(join(dir, 'no-such-dir'))).rejects.toThrow();
  });

  it('places the database where DESIGN §4 says', () => {
    expect(storePath('/var/lib/vmtrace')).toBe('/var/lib/vmtrace/vmtrace.db');
    expect(storePath('/var/lib/vmtrace/')).toBe('/var/lib/vmtrace/vmtrace.db');
  });
});

describe('store: files it must refuse without touching', () => {
  it('refuses a database from a newer schema (STORE_TOO_NEW), bytes unchanged', async () => {
    const path = fresh();
    await populated(path);
    await raw(path, (c) => c.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`));
    const before = await readFile(path);
    const err = await rejection(Store.open(path, { logger }));
    expect(err.code).toBe('STORE_TOO_NEW');
    expect(err.message).toContain(path);
    expect(err.message).toContain(`schema version ${SCHEMA_VERSION + 5}`);
    expect(err.message).not.toContain('\n');
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it('refuses a newer schema that is still only in the WAL (a newer vmtrace crashed), file and WAL unchanged', async () => {
    const path = fresh();
    await populated(path);
    // the newer writer stays open: its change sits in the WAL, not yet checkpointed into the file
    const newer = await Connection.open(path, 'readwrite');
    try {
      await newer.exec('PRAGMA wal_autocheckpoint = 0');
      await newer.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
      const before = await readFile(path);
      const walBefore = await readFile(`${path}-wal`);
      expect(before.readUInt32BE(60)).toBe(SCHEMA_VERSION); // the file's header still says the old version
      const err = await rejection(Store.open(path, { logger }));
      expect(err.code).toBe('STORE_TOO_NEW');
      expect((await readFile(path)).equals(before)).toBe(true);
      expect((await readFile(`${path}-wal`)).equals(walBefore)).toBe(true);
    } finally {
      await newer.close();
    }
  });

  const corruptions: { name: string; make: (path: string) => Promise<void> }[] = [
    {
      name: 'garbage written into the middle of a real database',
      make: async (path) => {
        await populated(path);
        const buf = await readFile(path);
        const pageSize = buf.readUInt16BE(16) === 1 ? 65536 : buf.readUInt16BE(16);
        const pages = buf.length / pageSize;
        expect(pages).toBeGreaterThan(20);
        const first = Math.floor(pages / 2);
        randomBytes(3 * pageSize).copy(buf, first * pageSize);
        await writeFile(path, buf);
      },
    },
    {
      name: 'a file that is not a database',
      make: (path) => writeFile(path, 'switch: leaf1\nstateDir: /var/lib/vmtrace\n'.repeat(200)),
    },
    {
      name: 'random bytes',
      make: (path) => writeFile(path, randomBytes(64 * 1024)),
    },
  ];

  for (const c of corruptions) {
    it(`refuses ${c.name} (STORE_CORRUPT, one line naming the file), bytes unchanged`, async () => {
      const path = fresh();
      await c.make(path);
      const before = await readFile(path);
      const err = await rejection(Store.open(path, { logger }));
      expect(err.code).toBe('STORE_CORRUPT');
      expect(err.message).toContain(path);
      expect(err.message).not.toContain('\n');
      expect(err.message).not.toMatch(/\bat .*:\d+:\d+/); // no stack frames in the message
      expect((await readFile(path)).equals(before)).toBe(true);
      // refused again on a second try: nothing was "repaired" in between
      expect((await rejection(Store.open(path, { logger }))).code).toBe('STORE_CORRUPT');
    });
  }
});

describe('store: migration steps', () => {
  const steps: Migration[] = [
    { version: 1, description: 'a', sql: 'CREATE TABLE a (x INTEGER) STRICT; INSERT INTO a VALUES (1);' },
    { version: 2, description: 'b', sql: 'CREATE TABLE b (y INTEGER) STRICT; INSERT INTO b VALUES (2); INSERT INTO no_such_table VALUES (3);' },
  ];

  it('applies steps in order and rolls a failing step back whole', async () => {
    const path = fresh();
    await raw(path, async (c) => {
      const err = await rejection(migrate(c, path, logger, steps));
      expect(err.code).toBe('STORE_ERROR');
      expect(err.message).toContain('schema 2');
      expect(await userVersion(c)).toBe(1);
      expect(await c.all('SELECT x FROM a')).toEqual([{ x: 1 }]);
      expect(await c.all("SELECT name FROM sqlite_master WHERE name = 'b'")).toEqual([]);
    });
  });

  it('continues from the version a file is at', async () => {
    const path = fresh();
    await raw(path, async (c) => {
      expect(await migrate(c, path, logger, steps.slice(0, 1))).toBe(1);
      const fixed: Migration = { version: 2, description: 'b', sql: 'CREATE TABLE b (y INTEGER) STRICT;' };
      expect(await migrate(c, path, logger, [...steps.slice(0, 1), fixed])).toBe(2);
      expect(await c.all('SELECT x FROM a')).toEqual([{ x: 1 }]); // step 1 not re-run
    });
  });

  it('refuses a gap in the steps', async () => {
    const path = fresh();
    await raw(path, async (c) => {
      const err = await rejection(migrate(c, path, logger, [{ version: 2, description: 'gap', sql: 'SELECT 1' }]));
      expect(err.code).toBe('STORE_ERROR');
      expect(await userVersion(c)).toBe(0);
    });
  });
});
