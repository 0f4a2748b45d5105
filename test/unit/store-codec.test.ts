// The store's pure pieces: row codecs, the SQLite → VmtraceError mapping, the serial queue.

import { describe, expect, it } from 'vitest';
import {
  decodeInventory,
  decodeJournalRow,
  decodeLedgerRow,
  decodeNeighbor,
  encodeInventory,
  neighborParams,
  journalParams,
  ledgerParams,
  type LedgerRow,
} from '../../agent/store/codec.js';
import { sqliteCode, toStoreError } from '../../agent/store/errors.js';
import { SerialQueue } from '../../agent/store/queue.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../agent/store/migrations.js';
import { VmtraceError, exitCodeFor } from '../../shared/errors.js';
import type { PortRecord } from '../../agent/core/types.js';
import type { Inventory } from '../../agent/core/facts.js';

function ledgerRowOf(r: PortRecord): LedgerRow {
  const [port, first, initial, owned, since] = ledgerParams(r);
  return { port: port as string, first_seen_at: first as number, initial_vlans: initial as string, owned: owned as string, unneeded_since: since as string };
}

describe('store codec: ledger rows', () => {
  it('round-trips a record, hold-down timers keyed by VLAN', () => {
    const r: PortRecord = { port: 'Ethernet7', firstSeenAt: 1_700_000_000_000, initialVlans: [1, 99], owned: [110, 4094], unneededSince: { 110: 1_700_000_300_000 } };
    const back = decodeLedgerRow(ledgerRowOf(r));
    expect(back).toEqual(r);
    expect(back.unneededSince[110]).toBe(1_700_000_300_000);
  });

  const unwritable: [string, Partial<PortRecord>][] = [
    ['a NaN owned VLAN', { owned: [10, NaN] }],
    ['a fractional initial VLAN', { initialVlans: [1.5] }],
    ['an infinite first-seen time', { firstSeenAt: Infinity }],
    ['a NaN hold-down timer', { unneededSince: { 10: NaN } }],
  ];
  for (const [name, patch] of unwritable) {
    it(`refuses to write a record with ${name} (it could not be read back)`, () => {
      expect(() => ledgerParams({ port: 'Ethernet1', firstSeenAt: 0, initialVlans: [], owned: [], unneededSince: {}, ...patch })).toThrow(/Ethernet1/);
    });
  }

  it('rounds fractional times to whole ms instead of failing the write', () => {
    expect(ledgerParams({ port: 'p', firstSeenAt: 1000.6, initialVlans: [], owned: [], unneededSince: {} })[1]).toBe(1001);
    expect(journalParams({ at: 5.2, kind: 'agent', port: null, vlan: null, message: 'm' })[0]).toBe(5);
  });

  const bad: [string, Partial<LedgerRow>][] = [
    ['owned not a list of VLANs', { owned: '["x"]' }],
    ['initial VLANs an object', { initial_vlans: '{}' }],
    ['timers an array', { unneeded_since: '[1]' }],
    ['a timer keyed by a non-VLAN', { unneeded_since: '{"abc": 5}' }],
    ['a timer that is not a time', { unneeded_since: '{"10": "soon"}' }],
    ['not JSON at all', { owned: '[1,' }],
  ];
  for (const [name, patch] of bad) {
    it(`refuses a row with ${name}`, () => {
      const row = { ...ledgerRowOf({ port: 'p', firstSeenAt: 0, initialVlans: [], owned: [], unneededSince: {} }), ...patch };
      expect(() => decodeLedgerRow(row)).toThrow();
    });
  }
});

describe('store codec: journal rows', () => {
  it('passes every field through, id from the row', () => {
    expect(journalParams({ id: 99, at: 5, kind: 'anomaly', port: null, vlan: 4095, message: 'all VLANs' })).toEqual([5, 'anomaly', null, 4095, 'all VLANs']);
    expect(decodeJournalRow({ id: 3, at: 5, kind: 'vlan-removed', port: 'Ethernet1', vlan: 10, message: 'm' })).toEqual({
      id: 3, at: 5, kind: 'vlan-removed', port: 'Ethernet1', vlan: 10, message: 'm',
    });
  });
});

describe('store codec: neighbours', () => {
  it('round-trips a neighbour keyed by interface, chassis and port', () => {
    const n = { iface: 'eth1', protocol: 'cdp' as const, chassisId: 'esx-01', chassisIdSubtype: 0, portId: 'vmnic2', portIdSubtype: 0, sysName: 'esx-01', sysDescr: null, portDescr: null, mgmtAddresses: [], ttl: 180, lastSeen: 5, lastChange: 5 };
    const params = neighborParams(n);
    expect(params.slice(0, 3)).toEqual(['eth1', 'esx-01', 'vmnic2']);
    expect(decodeNeighbor(params[3] as string)).toEqual(n);
    expect(() => decodeNeighbor('{"iface": "eth1"}')).toThrow();
    expect(() => decodeNeighbor('null')).toThrow();
  });
});

describe('store codec: inventory', () => {
  const inv: Inventory = {
    hosts: [{ key: 'vc1/host-1', vcenter: 'vc1', moid: 'host-1', name: 'esx-01', pnics: [], portgroups: [{ name: 'pg', vlan: { kind: 'pvlan', primary: 100, secondary: 101 }, uplinks: null }], dvs: [], vmknics: [] }],
    networks: [],
    vms: [{ key: 'vc1/vm-1', vcenter: 'vc1', moid: 'vm-1', name: 'ünïcode ✓', uuid: null, powerState: 'suspended', template: true, host: null, vnics: [] }],
  };

  it('round-trips through deflate and drops nothing', async () => {
    const { encoding, data } = await encodeInventory(inv);
    expect(encoding).toBe('json+deflate');
    expect(await decodeInventory(encoding, data)).toEqual(inv);
  });

  it('reads plain JSON and refuses unknown encodings and partial snapshots', async () => {
    expect(await decodeInventory('json', Buffer.from(JSON.stringify(inv)))).toEqual(inv);
    await expect(decodeInventory('json+zstd', Buffer.from('{}'))).rejects.toThrow(/unknown inventory encoding/);
    await expect(decodeInventory('json', Buffer.from('{"hosts": []}'))).rejects.toThrow(/lacks/);
    await expect(decodeInventory('json+deflate', Buffer.from('not deflate'))).rejects.toThrow();
  });
});

describe('store errors: SQLite → VmtraceError', () => {
  // node-sqlite3 errors carry `code` (SQLITE_XXX) and `errno`; their message starts with the code
  const sqliteError = (code: string, msg: string): Error => Object.assign(new Error(`${code}: ${msg}`), { code, errno: 1 });
  const cases: [string, string, VmtraceError['code'], boolean, number][] = [
    ['SQLITE_CORRUPT', 'database disk image is malformed', 'STORE_CORRUPT', false, 1],
    ['SQLITE_NOTADB', 'file is not a database', 'STORE_CORRUPT', false, 1],
    ['SQLITE_BUSY', 'database is locked', 'STORE_ERROR', true, 3],
    ['SQLITE_FULL', 'database or disk is full', 'STORE_ERROR', true, 3],
    ['SQLITE_CONSTRAINT', 'NOT NULL constraint failed: journal.message', 'STORE_ERROR', false, 3],
    ['SQLITE_CANTOPEN', 'unable to open database file', 'STORE_ERROR', false, 3],
    ['SQLITE_READONLY', 'attempt to write a readonly database', 'STORE_ERROR', false, 3],
  ];
  for (const [code, msg, want, transient, exit] of cases) {
    it(`${code} → ${want}${transient ? ' (transient)' : ''}`, () => {
      const e = toStoreError(sqliteError(code, msg), '/var/lib/vmtrace/vmtrace.db', 'commit');
      expect(e.code).toBe(want);
      expect(e.transient).toBe(transient);
      expect(e.message).toContain('/var/lib/vmtrace/vmtrace.db');
      expect(e.message).toContain(msg);
      expect(e.message).not.toContain(`${code}: `); // no doubled prefix
      expect(exitCodeFor(e)).toBe(exit);
    });
  }

  it('passes VmtraceErrors through and wraps anything else as STORE_ERROR', () => {
    const mine = new VmtraceError('STORE_TOO_NEW', 'x');
    expect(toStoreError(mine, '/p', 'open')).toBe(mine);
    const other = toStoreError(new TypeError('boom'), '/p', 'save the inventory');
    expect(other.code).toBe('STORE_ERROR');
    expect(other.message).toBe('store /p: save the inventory failed: boom');
    expect(sqliteCode(new Error('x'))).toBeNull();
    expect(sqliteCode(null)).toBeNull();
  });
});

describe('store queue', () => {
  it('runs tasks one at a time in call order; a failure rejects only its caller', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string, ms: number, fail = false) => () =>
      new Promise<string>((resolve, reject) => {
        running++;
        expect(running).toBe(1);
        log.push(`start ${name}`);
        setTimeout(() => {
          running--;
          log.push(`end ${name}`);
          if (fail) reject(new Error(name));
          else resolve(name);
        }, ms);
      });
    const a = q.run(task('a', 20));
    const b = q.run(task('b', 1, true));
    const c = q.run(task('c', 5));
    expect(q.size).toBe(3);
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b');
    await expect(c).resolves.toBe('c');
    await q.drain();
    expect(q.size).toBe(0);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});

describe('store migrations', () => {
  it('are numbered 1..N without gaps, and SCHEMA_VERSION is the last', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });
});
