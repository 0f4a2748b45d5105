// A connection that comes back by itself: after a loss, reconnects with capped exponential
// backoff and jitter, runs `onConnect` (re-monitor, checks) before declaring itself up.
// While down, requests fail fast with a transient OVSDB_UNREACHABLE: the caller (the
// controller) retries later; nothing queues up behind a dead server.

import { errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../log.js';
import { parseEndpoint, type Endpoint } from './endpoint.js';
import { JsonRpcConnection, unreachable, type NotificationHandler } from './jsonrpc.js';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 50, maxMs: 2000 };

/** A connection up this long resets the backoff. */
const STABLE_MS = 5000;

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, jittered to 50-100%. */
export function backoffDelay(attempt: number, b: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random() * 0.5));
}

export interface SessionOptions {
  endpoint: string;
  logger: Logger;
  timeoutMs: number;
  keepaliveMs: number;
  backoff?: BackoffOptions;
  /** Runs on every new connection before it is used; a throw drops the connection. */
  onConnect: (conn: JsonRpcConnection, first: boolean) => Promise<void>;
  onNotification: NotificationHandler;
  /** up after onConnect succeeded (not for the first connect), down on a loss */
  onState: (up: boolean, error?: Error) => void;
}

export class OvsdbSession {
  private readonly endpoint: Endpoint;
  private conn: JsonRpcConnection | null = null;
  private lastError: Error | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private upSince = 0;
  readonly name: string;

  constructor(private readonly opts: SessionOptions) {
    this.endpoint = parseEndpoint(opts.endpoint);
    this.name = opts.endpoint;
  }

  get up(): boolean {
    return this.conn !== null;
  }

  /** First connection: one attempt; throws (OVSDB_UNREACHABLE or onConnect's error) on failure. */
  async start(): Promise<void> {
    this.stopped = false;
    this.attempt = 0;
    const conn = await this.connectOnce(true);
    this.adopt(conn);
  }

  /** The live connection, or a transient OVSDB_UNREACHABLE right away. */
  connection(): JsonRpcConnection {
    if (this.conn) return this.conn;
    const why = this.lastError ? `reconnecting (${this.lastError.message})` : 'not connected';
    throw unreachable(this.name, why, this.lastError ?? undefined);
  }

  request(method: string, params: unknown[], timeoutMs?: number): Promise<unknown> {
    try {
      return this.connection().request(method, params, timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const c = this.conn;
    this.conn = null;
    c?.close();
  }

  private async connectOnce(first: boolean): Promise<JsonRpcConnection> {
    const conn = await JsonRpcConnection.connect(this.endpoint, {
      timeoutMs: this.opts.timeoutMs,
      keepaliveMs: this.opts.keepaliveMs,
      logger: this.opts.logger,
    });
    conn.onNotification(this.opts.onNotification);
    try {
      await this.opts.onConnect(conn, first);
    } catch (err) {
      conn.close();
      throw err;
    }
    if (this.stopped) {
      conn.close();
      throw unreachable(this.name, 'session stopped');
    }
    return conn;
  }

  private adopt(conn: JsonRpcConnection): void {
    this.conn = conn;
    this.upSince = Date.now();
    this.lastError = null;
    conn.onClose((err) => {
      if (this.conn !== conn) return;
      this.conn = null;
      this.lastError = err;
      // Back off from scratch only after a connection that held: a server that accepts and
      // drops us again at once (flapping, crash loop) is not hammered at the initial delay.
      const b = this.opts.backoff ?? DEFAULT_BACKOFF;
      if (Date.now() - this.upSince >= Math.max(STABLE_MS, b.maxMs)) this.attempt = 0;
      if (this.stopped) return;
      this.opts.logger.warn({ endpoint: this.name, err: err.message }, 'ovsdb: connection lost, reconnecting');
      this.opts.onState(false, err);
      this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = backoffDelay(this.attempt++, this.opts.backoff ?? DEFAULT_BACKOFF);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.retry();
    }, delay);
  }

  private async retry(): Promise<void> {
    if (this.stopped) return;
    try {
      const conn = await this.connectOnce(false);
      if (this.stopped) {
        conn.close();
        return;
      }
      this.adopt(conn);
      if (conn.closed) return; // lost again already: adopt's onClose scheduled the next try
      this.opts.logger.info({ endpoint: this.name }, 'ovsdb: reconnected');
      this.opts.onState(true);
    } catch (err) {
      this.lastError = err instanceof Error ? err : new Error(errorMessage(err));
      if (this.attempt === 1 || this.attempt % 10 === 0) {
        this.opts.logger.warn({ endpoint: this.name, err: errorMessage(err), attempt: this.attempt }, 'ovsdb: reconnect failed');
      }
      this.scheduleRetry();
    }
  }
}
