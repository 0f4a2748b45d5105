// The real standalone vmtrace SNMP agent (agent/snmp startSnmp, VMTRACE-MIB from a state
// view) on a free loopback port, with one v2c community and one v3 authPriv user: the peer
// `vmtrace show` and the Prometheus exporter read in tests.

import { silentLogger } from '../../agent/log.js';
import { startSnmp } from '../../agent/snmp/index.js';
import type { AgentStateView } from '../../shared/status.js';
import { freeUdpPort } from './show-net.js';

export interface RunningAgent {
  port: number;
  address: string;
  community: string;
  v3: { user: string; authKey: string; privKey: string };
  stop(): Promise<void>;
}

export async function startAgent(view: AgentStateView, host: '127.0.0.1' | '::1' = '127.0.0.1'): Promise<RunningAgent> {
  const community = `show-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const v3 = { user: 'nms', authKey: 'show-auth-key-1', privKey: 'show-priv-key-1' };
  // startSnmp takes a fixed port: pick a free one (a race with another binder is harmless
  // here: the start fails loudly and the test says so).
  const port = await freeUdpPort(host);
  const handle = await startSnmp(
    {
      listen: host === '::1' ? `udp:[::1]:${port}` : `udp:127.0.0.1:${port}`,
      communities: [{ community, from: host === '::1' ? '::1/128' : '127.0.0.1/32' }],
      users: [{ name: v3.user, auth: 'sha256', authKey: v3.authKey, priv: 'aes128', privKey: v3.privKey }],
      traps: [],
      lldpMib: false,
    },
    view,
    () => [],
    silentLogger(),
  );
  const address = host === '::1' ? `[::1]:${port}` : `127.0.0.1:${port}`;
  return { port, address, community, v3, stop: () => handle.stop() };
}
