// A promise face on one node-sqlite3 connection. No queueing here: the Store serialises every
// call, so statements never interleave with another caller's transaction.

import sqlite3 from 'sqlite3';

export type SqlValue = string | number | bigint | Buffer | null;

export class Connection {
  private readonly statements = new Map<string, sqlite3.Statement>();

  private constructor(private readonly db: sqlite3.Database) {}

  static open(path: string, mode: 'readonly' | 'readwrite'): Promise<Connection> {
    const flags = mode === 'readonly' ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    return new Promise((resolve, reject) => {
      const db: sqlite3.Database = new sqlite3.Database(path, flags, (err) => {
        if (err) reject(err);
        else resolve(new Connection(db));
      });
    });
  }

  /** Several statements without parameters (migrations, pragmas). */
  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.db.exec(sql, (err) => (err ? reject(err) : resolve()));
    });
  }

  all<T>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.db.all<T>(sql, params, (err, rows) => (err ? reject(err) : resolve(rows)));
    });
  }

  async get<T>(sql: string, params: SqlValue[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get<T>(sql, params, (err, row) => (err ? reject(err) : resolve(row)));
    });
  }

  /** One statement, prepared once per connection and reused (the hot paths: ledger, journal). */
  run(sql: string, params: SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    const s = stmt;
    return new Promise((resolve, reject) => {
      s.run(params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.statements.values()) {
      await new Promise<void>((resolve) => s.finalize(() => resolve()));
    }
    this.statements.clear();
    await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}
