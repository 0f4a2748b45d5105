// A promise face on one node-sqlite3 connection. No queueing here: the Store serialises every
// call, so statements never interleave with another caller's transaction.

import sqlite3 from 'sqlite3';

export type SqlValue = string | number | bigint | Buffer | null;

export class Connection {
  private readonly statements = new Map<string, sqlite3.Statement>();

  private constructor(private readonly db: sqlite3.Database) {
    // every call below passes a callback, so errors reach their caller; this only keeps a
    // stray 'error' event from becoming an uncaught exception that kills the agent
    db.on('error', () => undefined);
  }

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
  async run(sql: string, params: SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
    const stmt = this.statements.get(sql) ?? (await this.prepare(sql));
    return new Promise((resolve, reject) => {
      stmt.run(params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  /** With a callback: node-sqlite3 emits an unhandled 'error' event (a crash) for a failed prepare without one. */
  private prepare(sql: string): Promise<sqlite3.Statement> {
    return new Promise((resolve, reject) => {
      const stmt: sqlite3.Statement = this.db.prepare(sql, (err: Error | null) => {
        if (err) return reject(err);
        this.statements.set(sql, stmt);
        resolve(stmt);
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
