// The schema, as an ordered list of steps. Step N brings a database from user_version N-1 to
// N inside one transaction, so a failed step leaves the previous version intact. Never edit
// a released step: append a new one.

import type { Logger } from '../log.js';
import type { Connection } from './connection.js';
import { toStoreError } from './errors.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'ownership ledger, journal, inventory snapshots, meta',
    sql: `
      -- Rule 3: one row per port vmtrace has seen. VLAN lists and timers as JSON text.
      CREATE TABLE ledger (
        port           TEXT PRIMARY KEY NOT NULL CHECK (length(port) > 0),
        first_seen_at  INTEGER NOT NULL CHECK (first_seen_at >= 0),
        initial_vlans  TEXT NOT NULL CHECK (json_valid(initial_vlans) AND json_type(initial_vlans) = 'array'),
        owned          TEXT NOT NULL CHECK (json_valid(owned) AND json_type(owned) = 'array'),
        unneeded_since TEXT NOT NULL CHECK (json_valid(unneeded_since) AND json_type(unneeded_since) = 'object')
      ) STRICT;

      -- Append-only; AUTOINCREMENT so an id is never reused after the cap trims old rows
      -- (ids are the row numbers of vmtraceEventTable).
      CREATE TABLE journal (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        port    TEXT,
        vlan    INTEGER, -- unchecked: a journal line must never fail the ledger write it rides with
        message TEXT NOT NULL
      ) STRICT;

      -- Last full facts per vCenter, one blob each (see codec.ts for the encodings).
      CREATE TABLE inventory (
        vcenter  TEXT PRIMARY KEY NOT NULL,
        at       INTEGER NOT NULL,
        encoding TEXT NOT NULL,
        data     BLOB NOT NULL
      ) STRICT;

      CREATE TABLE meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'LLDP/CDP neighbours as last heard',
    sql: `
      -- One row per (interface, chassis, port), as FactBook keys them; the Neighbor as JSON.
      CREATE TABLE neighbor (
        iface      TEXT NOT NULL,
        chassis_id TEXT NOT NULL,
        port_id    TEXT NOT NULL,
        data       TEXT NOT NULL CHECK (json_valid(data)),
        PRIMARY KEY (iface, chassis_id, port_id)
      ) STRICT, WITHOUT ROWID;
    `,
  },
];

export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export async function userVersion(conn: Connection): Promise<number> {
  const row = await conn.get<{ user_version: number }>('PRAGMA user_version');
  return row?.user_version ?? 0;
}

/**
 * Applies every step above the database's user_version, each in its own transaction.
 * The caller has already refused databases newer than the steps know.
 */
export async function migrate(
  conn: Connection,
  path: string,
  logger: Logger,
  steps: readonly Migration[] = MIGRATIONS,
): Promise<number> {
  let current = await userVersion(conn);
  for (const step of steps) {
    if (step.version <= current) continue;
    if (step.version !== current + 1) {
      throw toStoreError(new Error(`migration steps skip from version ${current} to ${step.version}`), path, 'migrate');
    }
    try {
      await conn.exec('BEGIN IMMEDIATE');
      await conn.exec(step.sql);
      // user_version lives in the header page: it commits or rolls back with the step
      await conn.exec(`PRAGMA user_version = ${step.version}`);
      await conn.exec('COMMIT');
    } catch (err) {
      await conn.exec('ROLLBACK').catch(() => undefined);
      throw toStoreError(err, path, `migration to schema ${step.version} (${step.description})`);
    }
    logger.info({ store: path, version: step.version }, `store schema migrated: ${step.description}`);
    current = step.version;
  }
  return current;
}
