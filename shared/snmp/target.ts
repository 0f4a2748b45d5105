// `--agent HOST[:PORT]`: where one vmtrace agent answers SNMP. IPv6 literals take brackets
// when a port follows ("[2001:db8::1]:16100"); a bare IPv6 literal is a host without port.

import { isIP } from 'node:net';
import { VmtraceError } from '../errors.js';

export const DEFAULT_AGENT_HOST = '127.0.0.1';
/** The standalone agent's port (config `snmp.listen` default). */
export const DEFAULT_AGENT_PORT = 16100;

export interface AgentTarget {
  host: string;
  port: number;
  transport: 'udp4' | 'udp6';
}

export function parseAgentTarget(text: string | undefined): AgentTarget {
  const raw = (text ?? '').trim();
  if (raw === '') return { host: DEFAULT_AGENT_HOST, port: DEFAULT_AGENT_PORT, transport: 'udp4' };
  let host = raw;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(raw);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (isIP(raw) !== 6) {
    const colon = raw.lastIndexOf(':');
    if (colon >= 0) {
      host = raw.slice(0, colon);
      portText = raw.slice(colon + 1);
    }
  }
  if (host === '' || /\s/.test(host)) throw new VmtraceError('USAGE', `"${raw}" is not HOST[:PORT]`);
  let port = DEFAULT_AGENT_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new VmtraceError('USAGE', `"${raw}": port must be 1-65535`);
    }
    port = Number(portText);
  }
  return { host, port, transport: isIP(host) === 6 ? 'udp6' : 'udp4' };
}

export function formatAgentTarget(t: AgentTarget): string {
  return t.transport === 'udp6' ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}
