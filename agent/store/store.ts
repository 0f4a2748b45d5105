// The agent's SQLite store: ownership ledger, event journal, last inventory per vCenter, last
// LLDP/CDP neighbours, small meta values. The only code that touches SQLite (DESIGN §2).
//
// - One connection, every call through one SerialQueue: calls run in call order and never see
//   another call's half-done transaction ("one writer").
// - WAL. Transactions that change the ledger or meta run with synchronous=FULL: COMMIT fsyncs
//   the WAL before commit() resolves, so a ledger change survives kill -9 *and* power loss (the
//   ledger decides what vmtrace may remove; losing it means leaking VLANs). Journal-only and
//   inventory writes run with synchronous=NORMAL: safe against kill -9 (the WAL is in the page
//   cache), at worst the last few lost on power loss, and the next FULL commit syncs them too.
// - Opening an existing file first reads it through a read-only connection: a newer schema or
//   a failed integrity_check is refused before anything could write to it.

import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JournalEntry, Neighbor } from '../../shared/model.js';
import { VmtraceError } from '../../shared/errors.js';
import type { Inventory } from '../core/facts.js';
import type { PortRecord } from '../core/types.js';
import type { Logger } from '../log.js';
import {
  decodeInventory,
  decodeJournalRow,
  decodeLedgerRow,
  decodeNeighbor,
  encodeInventory,
  journalParams,
  ledgerParams,
  neighborParams,
  type JournalRow,
  type LedgerRow,
} from './codec.js';
import { Connection, type SqlValue } from './connection.js';
import { corruptError, toStoreError } from './errors.js';
import { SCHEMA_VERSION, migrate, userVersion } from './migrations.js';
import { SerialQueue } from './queue.js';

export interface StoreOptions {
  logger: Logger;
  /** journal rows kept; the oldest beyond it are deleted in the same transaction. Default 100,000. */
  journalCap?: number;
  /** ms SQLite waits on a lock held by another process (e.g. a CLI reading the store). Default 5,000. */
  busyTimeoutMs?: number;
  /**
   * Read an existing store without writing to it (a CLI beside a running agent): no migration,
   * no trim; every write rejects with STORE_ERROR. The file must exist at the current schema.
   */
  readonly?: boolean;
}

export interface StoreBatch {
  ledger?: PortRecord[];
  /** ports whose ledger rows go; applied before `ledger` upserts */
  deleteLedger?: string[];
  journal?: JournalEntry[];
}

const DEFAULT_JOURNAL_CAP = 100_000;
/** Keep the WAL file from growing without bound after big inventory writes. */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

const UPSERT_LEDGER = `INSERT INTO ledger (port, first_seen_at, initial_vlans, owned, unneeded_since) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (port) DO UPDATE SET first_seen_at = excluded.first_seen_at, initial_vlans = excluded.initial_vlans,
  owned = excluded.owned, unneeded_since = excluded.unneeded_since`;
const DELETE_LEDGER = 'DELETE FROM ledger WHERE port = ?';
const INSERT_JOURNAL = 'INSERT INTO journal (at, kind, port, vlan, message) VALUES (?, ?, ?, ?, ?)';
/** ids only grow and only the oldest go, so "beyond the cap" is an id range: no scan. */
const TRIM_JOURNAL = 'DELETE FROM journal WHERE id <= (SELECT max(id) FROM journal) - ?';
const UPSERT_INVENTORY = `INSERT INTO inventory (vcenter, at, encoding, data) VALUES (?, ?, ?, ?)
  ON CONFLICT (vcenter) DO UPDATE SET at = excluded.at, encoding = excluded.encoding, data = excluded.data`;
const INSERT_NEIGHBOR = 'INSERT OR REPLACE INTO neighbor (iface, chassis_id, port_id, data) VALUES (?, ?, ?, ?)';
const UPSERT_META = 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value';

type SyncLevel = 'FULL' | 'NORMAL';

export class Store {
  private readonly queue = new SerialQueue();
  private sync: SyncLevel = 'FULL';
  private closing: Promise<void> | null = null;

  private constructor(
    readonly path: string,
    private readonly conn: Connection,
    private readonly version: number,
    readonly journalCap: number,
    private readonly logger: Logger,
    private readonly readOnly: boolean = false,
  ) {}

  /**
   * Opens (creating if absent) the store at `path`, whose directory must exist. Refuses a file
   * from a newer schema (STORE_TOO_NEW) or one that fails integrity_check (STORE_CORRUPT)
   * without writing to it; migrates an older one.
   */
  static async open(path: string, opts: StoreOptions): Promise<Store> {
    const cap = opts.journalCap ?? DEFAULT_JOURNAL_CAP;
    if (!Number.isSafeInteger(cap) || cap < 1) {
      throw new VmtraceError('STORE_ERROR', `store ${path}: journalCap must be a positive integer, not ${cap}`);
    }
    const size = await checkLocation(path);
    if (opts.readonly) return Store.openReadOnly(path, size, cap, opts);
    if (size !== null && size > 0) await preflight(path);

    const conn = await openConnection(path, 'readwrite');
    try {
      await conn.exec(busyTimeoutPragma(opts));
      // checked again on the writable connection: another process may have upgraded it since
      const found = await userVersion(conn);
      if (found > SCHEMA_VERSION) throw tooNewError(path, found);
      const mode = await conn.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
      if (mode?.journal_mode !== 'wal') {
        opts.logger.warn({ store: path, journalMode: mode?.journal_mode }, 'store: WAL not available, using the rollback journal');
      }
      await conn.exec(`PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT}`);
      const version = await migrate(conn, path, opts.logger);
      const store = new Store(path, conn, version, cap, opts.logger);
      // a lowered cap takes effect at once
      await store.transaction('NORMAL', () => store.trimJournal());
      opts.logger.info({ store: path, schema: version, journalCap: cap }, 'store opened');
      return store;
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw toStoreError(err, path, 'open');
    }
  }

  private static async openReadOnly(path: string, size: number | null, cap: number, opts: StoreOptions): Promise<Store> {
    if (!size) throw new VmtraceError('STORE_ERROR', `store ${path} does not exist yet (the agent creates it on its first start)`);
    const conn = await openConnection(path, 'readonly');
    try {
      await conn.exec(busyTimeoutPragma(opts));
      const version = await checkReadOnly(path, conn);
      if (version < SCHEMA_VERSION) {
        throw new VmtraceError('STORE_ERROR', `store ${path} has schema version ${version}, older than this vmtrace (${SCHEMA_VERSION}): start the agent once to migrate it`);
      }
      return new Store(path, conn, version, cap, opts.logger, true);
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw toStoreError(err, path, 'open');
    }
  }

  schemaVersion(): number {
    return this.version;
  }

  loadLedger(): Promise<Map<string, PortRecord>> {
    return this.call('load the ledger', async () => {
      const rows = await this.conn.all<LedgerRow>('SELECT port, first_seen_at, initial_vlans, owned, unneeded_since FROM ledger ORDER BY port');
      const out = new Map<string, PortRecord>();
      for (const row of rows) {
        try {
          out.set(row.port, decodeLedgerRow(row));
        } catch (err) {
          // the ledger decides what may be removed: never run on a guessed one
          throw corruptError(this.path, err instanceof Error ? err.message : String(err), err);
        }
      }
      return out;
    });
  }

  /**
   * One transaction: ledger rows deleted/upserted + journal entries appended. Once per reconcile
   * batch. The batch is read at the call, so the caller may reuse its objects at once.
   */
  commit(batch: StoreBatch): Promise<void> {
    let deletes: string[], ledger: SqlValue[][], journal: SqlValue[][];
    try {
      deletes = [...(batch.deleteLedger ?? [])];
      ledger = (batch.ledger ?? []).map(ledgerParams);
      journal = (batch.journal ?? []).map(journalParams);
    } catch (err) {
      return Promise.reject(toStoreError(err, this.path, 'commit'));
    }
    return this.call('commit', async () => {
      if (ledger.length === 0 && deletes.length === 0 && journal.length === 0) return;
      const level: SyncLevel = ledger.length > 0 || deletes.length > 0 ? 'FULL' : 'NORMAL';
      await this.transaction(level, async () => {
        for (const port of deletes) await this.conn.run(DELETE_LEDGER, [port]);
        for (const params of ledger) await this.conn.run(UPSERT_LEDGER, params);
        if (journal.length > 0) {
          for (const params of journal) await this.conn.run(INSERT_JOURNAL, params);
          await this.trimJournal();
        }
      });
    });
  }

  appendJournal(entries: JournalEntry[]): Promise<void> {
    return this.commit({ journal: entries });
  }

  /** The newest `limit` entries, oldest first, with their ids. */
  recentJournal(limit: number): Promise<JournalEntry[]> {
    const n = Math.max(0, Math.floor(limit));
    return this.call('read the journal', async () => {
      const rows = await this.conn.all<JournalRow>(
        'SELECT * FROM (SELECT id, at, kind, port, vlan, message FROM journal ORDER BY id DESC LIMIT ?) ORDER BY id ASC',
        [n],
      );
      return rows.map(decodeJournalRow);
    });
  }

  journalCount(): Promise<number> {
    return this.call('count the journal', async () => {
      const row = await this.conn.get<{ n: number }>('SELECT count(*) AS n FROM journal');
      return row?.n ?? 0;
    });
  }

  /** Replaces the snapshot of one vCenter. Encoding starts now; the write keeps call order. */
  saveInventory(vcenter: string, inv: Inventory, at: number): Promise<void> {
    const encoded = encodeInventory(inv);
    encoded.catch(() => undefined); // reported through the queued task below
    return this.call('save the inventory', async () => {
      const { encoding, data } = await encoded;
      await this.transaction('NORMAL', async () => {
        await this.conn.run(UPSERT_INVENTORY, [vcenter, Math.round(at), encoding, data]);
      });
    });
  }

  /**
   * Last snapshot per vCenter. A snapshot that cannot be decoded is skipped with a warning: the
   * vCenter's resync brings the facts back, and removals stay frozen until then anyway.
   */
  async loadInventories(): Promise<Map<string, { inv: Inventory; at: number }>> {
    const rows = await this.call('load inventories', () =>
      this.conn.all<{ vcenter: string; at: number; encoding: string; data: Buffer }>('SELECT vcenter, at, encoding, data FROM inventory ORDER BY vcenter'),
    );
    const out = new Map<string, { inv: Inventory; at: number }>();
    for (const row of rows) {
      try {
        out.set(row.vcenter, { inv: await decodeInventory(row.encoding, row.data), at: row.at });
      } catch (err) {
        this.logger.warn({ store: this.path, vcenter: row.vcenter, err: String(err) }, 'store: inventory snapshot unreadable, skipped');
      }
    }
    return out;
  }

  /**
   * Replaces the stored LLDP/CDP neighbours with `neighbors` (all interfaces), so a restart can
   * show them until frames refresh them or their TTL runs out (the caller judges expiry).
   */
  replaceNeighbors(neighbors: Neighbor[]): Promise<void> {
    const rows = neighbors.map(neighborParams);
    return this.call('save neighbours', () => this.transaction('NORMAL', async () => {
      await this.conn.run('DELETE FROM neighbor');
      for (const params of rows) await this.conn.run(INSERT_NEIGHBOR, params);
    }));
  }

  /** Neighbours as last saved; an unreadable row is skipped with a warning (the next frame brings it back). */
  async loadNeighbors(): Promise<Neighbor[]> {
    const rows = await this.call('load neighbours', () =>
      this.conn.all<{ data: string }>('SELECT data FROM neighbor ORDER BY iface, chassis_id, port_id'),
    );
    const out: Neighbor[] = [];
    for (const row of rows) {
      try {
        out.push(decodeNeighbor(row.data));
      } catch (err) {
        this.logger.warn({ store: this.path, err: String(err) }, 'store: neighbour row unreadable, skipped');
      }
    }
    return out;
  }

  getMeta(key: string): Promise<string | null> {
    return this.call('read meta', async () => {
      const row = await this.conn.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]);
      return row?.value ?? null;
    });
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.call('write meta', () => this.transaction('FULL', async () => {
      await this.conn.run(UPSERT_META, [key, value]);
    }));
  }

  /** 'ok', or SQLite's findings (at most 20 lines). */
  integrityCheck(): Promise<'ok' | string> {
    return this.call('integrity check', () => runIntegrityCheck(this.conn));
  }

  /** Idempotent; waits for every queued call, then closes the connection (checkpointing the WAL). */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = this.queue
        .drain()
        .then(() => this.conn.close())
        .catch((err) => {
          throw toStoreError(err, this.path, 'close');
        });
    }
    return this.closing;
  }

  // -------------------------------------------------------------------------------------------

  private call<T>(doing: string, task: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new VmtraceError('STORE_ERROR', `store ${this.path}: ${doing} after close`));
    return this.queue.run(async () => {
      try {
        return await task();
      } catch (err) {
        throw toStoreError(err, this.path, doing);
      }
    });
  }

  private async transaction(level: SyncLevel, body: () => Promise<void>): Promise<void> {
    if (this.readOnly) throw new VmtraceError('STORE_ERROR', `store ${this.path}: opened read-only, no writes`);
    if (this.sync !== level) {
      await this.conn.exec(`PRAGMA synchronous = ${level}`);
      this.sync = level;
    }
    await this.conn.exec('BEGIN IMMEDIATE');
    try {
      await body();
      await this.conn.exec('COMMIT');
    } catch (err) {
      await this.conn.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async trimJournal(): Promise<void> {
    await this.conn.run(TRIM_JOURNAL, [this.journalCap]);
  }
}

/** `${stateDir}/vmtrace.db`, where DESIGN §4 puts the store. */
export function storePath(stateDir: string): string {
  return `${stateDir.replace(/\/+$/, '')}/vmtrace.db`;
}

function busyTimeoutPragma(opts: StoreOptions): string {
  return `PRAGMA busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`;
}

async function runIntegrityCheck(conn: Connection): Promise<'ok' | string> {
  const rows = await conn.all<{ integrity_check: string }>('PRAGMA integrity_check(20)');
  const lines = rows.map((r) => r.integrity_check);
  return lines.length === 1 && lines[0] === 'ok' ? 'ok' : lines.join('; ');
}

function tooNewError(path: string, found: number): VmtraceError {
  return new VmtraceError(
    'STORE_TOO_NEW',
    `store ${path} has schema version ${found}, newer than this vmtrace knows (${SCHEMA_VERSION}); it was left untouched: run the newer vmtrace, or move the file aside`,
  );
}

/** The directory must exist (a missing stateDir is a config error, not something to create); returns the file's size, or null if absent. */
async function checkLocation(path: string): Promise<number | null> {
  const dir = dirname(path);
  const d = await stat(dir).catch(() => null);
  if (!d || !d.isDirectory()) {
    throw new VmtraceError('STORE_ERROR', `store ${path}: directory ${dir} does not exist (create the state directory first)`);
  }
  const f = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new VmtraceError('STORE_ERROR', `store ${path}: cannot read it (${err.code ?? err.message})`, { cause: err });
  });
  if (f && !f.isFile()) throw new VmtraceError('STORE_ERROR', `store ${path}: exists but is not a regular file`);
  return f ? f.size : null;
}

/** Version and integrity through a read-only connection; returns the file's schema version. */
async function checkReadOnly(path: string, conn: Connection): Promise<number> {
  try {
    const found = await userVersion(conn);
    if (found > SCHEMA_VERSION) throw tooNewError(path, found);
    const verdict = await runIntegrityCheck(conn);
    if (verdict !== 'ok') throw corruptError(path, `integrity_check: ${verdict}`);
    return found;
  } catch (err) {
    throw toStoreError(err, path, 'check');
  }
}

async function openConnection(path: string, mode: 'readonly' | 'readwrite'): Promise<Connection> {
  try {
    return await Connection.open(path, mode);
  } catch (err) {
    throw toStoreError(err, path, 'open');
  }
}

/** Reads an existing file read-only: version and integrity, before any writable connection. */
async function preflight(path: string): Promise<void> {
  const conn = await openConnection(path, 'readonly');
  try {
    await checkReadOnly(path, conn);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

