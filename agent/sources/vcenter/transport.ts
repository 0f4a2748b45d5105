// One HTTP transport per vCenter session: the pinned TLS agent, the `vmware_soap_session`
// cookie, a client-side timeout on every request, and streaming of response bodies. Both the
// `soap` client (small calls, via its `request` hook) and our streaming calls go through it, so
// the cookie and the timeouts live in one place.

import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { VmtraceError, errorMessage } from '../../../shared/errors.js';

export const SESSION_COOKIE = 'vmware_soap_session';

/** Node's codes for a certificate chain or name the trusted CA does not accept. */
const TLS_TRUST_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
export const USER_AGENT = 'vmtrace/0.1';

export interface PostOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
}

export interface StreamResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

export class Transport {
  private cookie: string | null = null;
  private readonly inflight = new Set<import('node:http').ClientRequest>();
  private closed = false;

  constructor(
    readonly url: URL,
    private readonly agent: https.Agent,
    private readonly vcenter: string,
  ) {}

  get sessionCookie(): string | null {
    return this.cookie;
  }

  /** POST `body`, feeding the decoded response text to `onText` chunk by chunk. */
  postStream(body: string, onText: (text: string) => void, opts: PostOptions): Promise<StreamResult> {
    if (this.closed) return Promise.reject(new VmtraceError('VCENTER_UNREACHABLE', `vCenter ${this.vcenter}: transport closed`, { transient: true }));
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {
        'Content-Type': 'text/xml; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        SOAPAction: '"urn:vim25/6.5"',
        'User-Agent': USER_AGENT,
        ...opts.headers,
      };
      if (this.cookie) headers.Cookie = `${SESSION_COOKIE}=${this.cookie}`;
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      const req = https.request(
        this.url,
        { method: 'POST', agent: this.agent, headers },
        (res) => {
          this.keepCookie(res.headers['set-cookie']);
          const decoder = new StringDecoder('utf8');
          res.on('data', (chunk: Buffer) => {
            if (settled) return;
            try {
              onText(decoder.write(chunk));
            } catch (err) {
              fail(err instanceof Error ? err : new Error(String(err)));
              return;
            }
            // libuv hands over up to ~2 MB of a fast peer in one loop turn; parsing all of it
            // at once would block the event loop for hundreds of ms. Yield after each chunk.
            res.pause();
            setImmediate(() => res.resume());
          });
          res.on('end', () => {
            if (settled) return;
            try {
              const rest = decoder.end();
              if (rest) onText(rest);
            } catch (err) {
              fail(err instanceof Error ? err : new Error(String(err)));
              return;
            }
            settled = true;
            clearTimeout(timer);
            this.inflight.delete(req);
            resolve({ status: res.statusCode ?? 0, headers: res.headers });
          });
          res.on('error', (err) => fail(this.netError(err)));
          res.on('aborted', () => fail(this.netError(new Error('response aborted'))));
        },
      );
      // The timeout covers the whole exchange, not only idle gaps: a peer that trickles bytes
      // forever must not hold us either.
      const timer = setTimeout(
        () => fail(new VmtraceError('VCENTER_TIMEOUT', `vCenter ${this.vcenter}: no answer within ${opts.timeoutMs} ms`, { transient: true })),
        opts.timeoutMs,
      );
      this.inflight.add(req);
      req.on('close', () => this.inflight.delete(req));
      req.on('error', (err) => fail(this.netError(err)));
      req.end(body);
    });
  }

  /** POST and collect the whole body (small calls). */
  async post(body: string, opts: PostOptions): Promise<StreamResult & { body: string }> {
    let text = '';
    const r = await this.postStream(body, (t) => (text += t), opts);
    return { ...r, body: text };
  }

  /** The function `soap` calls instead of axios: same shape, our transport. */
  soapRequest(timeoutMs: number) {
    return async (options: { data?: string; headers?: Record<string, string> }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(options.headers ?? {})) {
        const lk = k.toLowerCase();
        if (lk === 'content-length' || lk === 'host' || lk === 'user-agent') continue;
        headers[k] = String(v);
      }
      const r = await this.post(options.data ?? '', { timeoutMs, headers });
      return { status: r.status, statusText: '', headers: r.headers, data: r.body, config: options };
    };
  }

  /** Abort every request in flight (stop, or a session being abandoned). */
  abortAll(): void {
    for (const req of this.inflight) req.destroy(new Error('aborted'));
    this.inflight.clear();
  }

  close(): void {
    this.closed = true;
    this.abortAll();
    this.agent.destroy();
  }

  private keepCookie(setCookie: string[] | undefined): void {
    for (const c of setCookie ?? []) {
      const m = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(c);
      if (m) this.cookie = m[1] ?? null;
    }
  }

  private netError(err: Error): Error {
    if (err instanceof VmtraceError) return err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code && TLS_TRUST_ERRORS.has(code)) {
      // a certificate the configured CA does not vouch for: an operator must act
      return new VmtraceError('VCENTER_TLS_MISMATCH', `vCenter ${this.vcenter} (${this.url.host}): certificate not trusted (${code}: ${err.message})`, {
        cause: err,
      });
    }
    return new VmtraceError('VCENTER_UNREACHABLE', `vCenter ${this.vcenter} (${this.url.host}): ${code ?? errorMessage(err)}`, {
      cause: err,
      transient: true,
    });
  }
}
