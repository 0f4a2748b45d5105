// The real standalone vmtrace SNMP agent (agent/snmp UdpAgent + VMTRACE-MIB from a state
// view) on a free loopback port, with one v2c community and one v3 authPriv user: the peer
// `vmtrace show` and the Prometheus exporter read in tests.

import { silentLogger } from '../../agent/log.js';
import { badPackets, newCounters } from '../../agent/snmp/counters.js';
import { TreeCache } from '../../agent/snmp/tree.js';
import { engineIdFor, UdpAgent } from '../../agent/snmp/udp-agent.js';
import { vmtraceVarbinds } from '../../agent/snmp/vmtrace-mib.js';
import type { AgentStateView } from '../../shared/status.js';

export interface RunningAgent {
  port: number;
  address: string;
  community: string;
  v3: { user: string; authKey: string; privKey: string };
  stop(): Promise<void>;
}

export async function startAgent(view: AgentStateView): Promise<RunningAgent> {
  const community = `show-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const v3 = { user: 'nms', authKey: 'show-auth-key-1', privKey: 'show-priv-key-1' };
  const counters = newCounters();
  const cache = new TreeCache(() => vmtraceVarbinds(view, { snmpBadPackets: badPackets(counters) }), 0);
  const agent = new UdpAgent(
    {
      host: '127.0.0.1',
      port: 0,
      communities: [{ community, from: '127.0.0.1/32' }],
      users: [{ name: v3.user, auth: 'sha256', authKey: v3.authKey, priv: 'aes128', privKey: v3.privKey }],
      engineId: engineIdFor(`show-test-${process.pid}`),
    },
    () => cache.current(),
    counters,
    silentLogger(),
  );
  await agent.start();
  const port = agent.address!.port;
  return { port, address: `127.0.0.1:${port}`, community, v3, stop: () => agent.stop() };
}
