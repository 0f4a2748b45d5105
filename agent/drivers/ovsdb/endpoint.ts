// OVSDB endpoints as ovs-vsctl writes them: `unix:/path` or `tcp:host:port` (`tcp:[v6]:port`).
// SSL endpoints are not supported yet: refused with a clear message rather than half-working.

import type { NetConnectOpts } from 'node:net';
import { VmtraceError } from '../../../shared/errors.js';

export type Endpoint = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseEndpoint(text: string): Endpoint {
  const fail = (why: string): never => {
    throw new VmtraceError('CONFIG_INVALID', `OVSDB endpoint "${text}": ${why} (use unix:/path or tcp:host:port)`);
  };
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (path === '') fail('empty socket path');
    return { kind: 'unix', path };
  }
  if (text.startsWith('tcp:')) {
    const rest = text.slice(4);
    const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(rest) ?? /^([^:\[\]]+):(\d+)$/.exec(rest);
    if (!m) return fail('expected tcp:host:port');
    const port = Number(m[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail('port out of range');
    return { kind: 'tcp', host: m[1]!, port };
  }
  return fail('unsupported scheme');
}

export function connectOptions(ep: Endpoint): NetConnectOpts {
  return ep.kind === 'unix' ? { path: ep.path } : { host: ep.host, port: ep.port };
}

export function formatEndpoint(ep: Endpoint): string {
  if (ep.kind === 'unix') return `unix:${ep.path}`;
  return ep.host.includes(':') ? `tcp:[${ep.host}]:${ep.port}` : `tcp:${ep.host}:${ep.port}`;
}
