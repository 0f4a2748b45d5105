// TLS to vCenter: either the certificate's SHA-256 thumbprint is pinned, or a CA file is
// trusted (with the usual host-name check). Never neither.
//
// Pinning: vCenter's certificate is usually self-signed, so the chain check cannot pass and
// Node's `checkServerIdentity` is then never consulted. We therefore hand the socket to the HTTP
// layer only after comparing the presented certificate's fingerprint256 with the pin, in the
// agent's `createConnection`: nothing (no password, no cookie) is written before that check.

import https from 'node:https';
import tls from 'node:tls';
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import { VmtraceError } from '../../../shared/errors.js';

export interface TlsConfig {
  thumbprint?: string | undefined;
  caFile?: string | undefined;
}

/** `aa:bb…`, `AABB…`, `SHA256:…` → `AA:BB:…` (the form Node's fingerprint256 uses). */
export function normalizeThumbprint(t: string): string {
  const hex = t.replace(/^sha-?256[:=\s]*/i, '').replace(/[^0-9a-f]/gi, '').toUpperCase();
  if (hex.length !== 64) {
    throw new VmtraceError('CONFIG_INVALID', `vCenter thumbprint must be a SHA-256 fingerprint (64 hex digits), got ${hex.length}`);
  }
  return hex.match(/../g)!.join(':');
}

/** A keep-alive HTTPS agent that enforces the configured trust. */
export function makeAgent(cfg: TlsConfig, vcenter: string): https.Agent {
  const common = { keepAlive: true, maxSockets: 4, maxFreeSockets: 2 };
  if (cfg.thumbprint) {
    const pin = normalizeThumbprint(cfg.thumbprint);
    const agent = new https.Agent({ ...common, rejectUnauthorized: false });
    type CreateConn = (opts: tls.ConnectionOptions, cb: (err: Error | null, s?: net.Socket) => void) => net.Socket | undefined;
    (agent as unknown as { createConnection: CreateConn }).createConnection = (opts, cb) => {
      const socket = tls.connect({ ...opts, rejectUnauthorized: false });
      let done = false;
      const finish = (err: Error | null): void => {
        if (done) return;
        done = true;
        socket.removeListener('error', onError);
        if (err) {
          socket.destroy();
          cb(err);
        } else cb(null, socket);
      };
      const onError = (err: Error): void => finish(err);
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        const presented = socket.getPeerX509Certificate()?.fingerprint256 ?? '(none)';
        if (presented !== pin) {
          finish(
            new VmtraceError(
              'VCENTER_TLS_MISMATCH',
              `vCenter ${vcenter}: certificate thumbprint ${presented} does not match the configured ${pin}`,
            ),
          );
        } else finish(null);
      });
      return undefined;
    };
    return agent;
  }
  if (cfg.caFile) {
    let ca: Buffer;
    try {
      ca = readFileSync(cfg.caFile);
    } catch (err) {
      throw new VmtraceError('CONFIG_UNREADABLE', `vCenter ${vcenter}: cannot read caFile ${cfg.caFile}`, { cause: err });
    }
    return new https.Agent({ ...common, ca, rejectUnauthorized: true });
  }
  throw new VmtraceError('CONFIG_INVALID', `vCenter ${vcenter}: set a thumbprint or a caFile (TLS checks are never disabled)`);
}
