// One JSON-RPC 1.0 connection to an OVSDB server (RFC 7047 §4): request ids, per-request
// timeouts, answers to the server's `echo`, our own `echo` as keepalive, notifications.
// No reconnect here: session.ts owns the retry loop, so a connection object is never reused.

import { connect as netConnect, type Socket } from 'node:net';
import { VmtraceError, errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../log.js';
import { connectOptions, formatEndpoint, type Endpoint } from './endpoint.js';
import { FramingError, JsonStreamSplitter } from './framing.js';

export interface ConnectionOptions {
  /** answer deadline for each request and for the connect itself */
  timeoutMs: number;
  /** send an `echo` after this much silence from the server; 0 disables */
  keepaliveMs: number;
  logger: Logger;
}

type Pending = {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
};

export type NotificationHandler = (method: string, params: unknown) => void;

export class JsonRpcConnection {
  private readonly splitter = new JsonStreamSplitter();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lastHeard = Date.now();
  private keepalive: NodeJS.Timeout | null = null;
  private closedWith: Error | null = null;
  private notificationHandlers: NotificationHandler[] = [];
  private closeHandlers: ((err: Error) => void)[] = [];
  readonly name: string;

  private constructor(
    private readonly socket: Socket,
    endpoint: Endpoint,
    private readonly opts: ConnectionOptions,
  ) {
    this.name = formatEndpoint(endpoint);
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.shutdown(unreachable(this.name, `connection failed: ${err.message}`, err)));
    socket.on('close', () => this.shutdown(unreachable(this.name, 'connection closed by the server')));
    if (opts.keepaliveMs > 0) {
      this.keepalive = setInterval(() => this.probe(), Math.max(10, Math.floor(opts.keepaliveMs / 2)));
      this.keepalive.unref();
    }
  }

  /** Connects; rejects with a transient OVSDB_UNREACHABLE naming the endpoint. */
  static connect(endpoint: Endpoint, opts: ConnectionOptions): Promise<JsonRpcConnection> {
    const name = formatEndpoint(endpoint);
    return new Promise((resolve, reject) => {
      const socket = netConnect(connectOptions(endpoint));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(unreachable(name, `no connection within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      const onError = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(unreachable(name, describeConnectError(err), err));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new JsonRpcConnection(socket, endpoint, opts));
      });
    });
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Sends a request; resolves with `result`, rejects OVSDB_ERROR on an RPC error. */
  request(method: string, params: unknown[], timeoutMs = this.opts.timeoutMs): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(unreachable(this.name, `no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.send({ method, params, id });
    });
  }

  onNotification(fn: NotificationHandler): void {
    this.notificationHandlers.push(fn);
  }

  /** Called once, when the connection ends for any reason (including close()). */
  onClose(fn: (err: Error) => void): void {
    if (this.closedWith) fn(this.closedWith);
    else this.closeHandlers.push(fn);
  }

  close(): void {
    this.shutdown(unreachable(this.name, 'connection closed'));
  }

  private send(msg: unknown): void {
    if (this.closedWith) return;
    this.socket.write(JSON.stringify(msg));
  }

  private onData(chunk: Buffer): void {
    this.lastHeard = Date.now();
    let messages: unknown[];
    try {
      messages = this.splitter.push(chunk);
    } catch (err) {
      const why = err instanceof FramingError ? err.message : errorMessage(err);
      this.opts.logger.warn({ endpoint: this.name, err: why }, 'ovsdb: malformed stream, reconnecting');
      this.shutdown(new VmtraceError('OVSDB_ERROR', `OVSDB at ${this.name} sent a malformed stream: ${why}`, { transient: true }));
      return;
    }
    for (const m of messages) this.dispatch(m);
  }

  private dispatch(msg: unknown): void {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.opts.logger.warn({ endpoint: this.name }, 'ovsdb: ignoring a message that is not an object');
      return;
    }
    const m = msg as { method?: unknown; params?: unknown; id?: unknown; result?: unknown; error?: unknown };
    if (typeof m.method === 'string') {
      // A request from the server (only `echo` is defined) or a notification (id null).
      if (m.id !== null && m.id !== undefined) {
        if (m.method === 'echo') this.send({ id: m.id, result: m.params ?? [], error: null });
        else this.send({ id: m.id, result: null, error: `unknown method ${m.method}` });
        return;
      }
      for (const fn of this.notificationHandlers) {
        try {
          fn(m.method, m.params);
        } catch (err) {
          this.opts.logger.error({ endpoint: this.name, err: errorMessage(err) }, 'ovsdb: notification handler failed');
        }
      }
      return;
    }
    if (typeof m.id !== 'number') {
      this.opts.logger.warn({ endpoint: this.name, id: m.id }, 'ovsdb: ignoring a reply with an unknown id');
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return; // answered after its timeout: already reported to the caller
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error !== null && m.error !== undefined) {
      p.reject(new VmtraceError('OVSDB_ERROR', `OVSDB at ${this.name} refused ${p.method}: ${describeRpcError(m.error)}`));
    } else {
      p.resolve(m.result);
    }
  }

  /** Keepalive: after keepaliveMs of silence, an echo must come back within timeoutMs. */
  private probe(): void {
    if (this.closedWith || Date.now() - this.lastHeard < this.opts.keepaliveMs) return;
    if ([...this.pending.values()].some((p) => p.method === 'echo')) return;
    this.request('echo', ['vmtrace-keepalive']).catch((err: Error) => {
      if (this.closedWith) return;
      this.opts.logger.warn({ endpoint: this.name, err: err.message }, 'ovsdb: keepalive failed, reconnecting');
      this.shutdown(unreachable(this.name, `server stopped answering (${err.message})`));
    });
  }

  private shutdown(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    if (this.keepalive) clearInterval(this.keepalive);
    this.socket.destroy();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    for (const fn of this.closeHandlers.splice(0)) fn(err);
  }
}

export function unreachable(endpoint: string, why: string, cause?: unknown): VmtraceError {
  return new VmtraceError('OVSDB_UNREACHABLE', `OVSDB at ${endpoint} unreachable: ${why}`, {
    transient: true,
    cause,
  });
}

function describeConnectError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such socket (is ovsdb-server running?)';
    case 'ECONNREFUSED':
      return 'connection refused (is ovsdb-server running?)';
    case 'EACCES':
      return 'permission denied on the socket';
    default:
      return err.message;
  }
}

function describeRpcError(e: unknown): string {
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null) {
    const o = e as { error?: unknown; details?: unknown };
    if (typeof o.error === 'string') return typeof o.details === 'string' ? `${o.error}: ${o.details}` : o.error;
  }
  return JSON.stringify(e);
}
