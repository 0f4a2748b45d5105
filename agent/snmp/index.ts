// The SNMP side of the agent, for agent/main.ts: serves VMTRACE-MIB (and LLDP-MIB when
// configured) from the state view, standalone over UDP and/or as an AgentX subagent of the
// switch's snmpd, and sends notifications. Config values arrive parsed and secrets read.

import { VmtraceError } from '../../shared/errors.js';
import { oidArray } from '../../shared/mib/oids.js';
import type { AgentStateView } from '../../shared/status.js';
import type { Logger } from '../log.js';
import { AgentXSubagent } from './agentx.js';
import { badPackets, newCounters, type SnmpCounters } from './counters.js';
import { Notifier, type NotificationFields, type NotificationKind, type RateLimit, type TrapTarget } from './notifier.js';
import { throttled } from './throttle.js';
import { StaticSegment, TreeCache } from './tree.js';
import { engineIdFor, parseListen, UdpAgent, type CommunityConfig } from './udp-agent.js';
import type { UsmUserConfig } from './usm.js';
import { compareOids, rowToVarbind, type MibRow, type Varbind } from './varbind.js';
import { snmpStatsSegments, systemSegment, vmtraceSegments } from './vmtrace-mib.js';

export type { MibRow } from './varbind.js';
export type { NotificationKind, NotificationFields, TrapTarget } from './notifier.js';
export type { UsmUserConfig } from './usm.js';
export type { CommunityConfig } from './udp-agent.js';
export type { SnmpCounters } from './counters.js';

export const LLDP_MIB = [1, 0, 8802, 1, 1, 2];

export interface SnmpConfig {
  /** "udp:127.0.0.1:16100": the standalone agent */
  listen?: string;
  /** "tcp:127.0.0.1:705", "unix:/var/agentx/master" or a path: AgentX subagent */
  agentx?: string;
  communities: CommunityConfig[];
  users: UsmUserConfig[];
  traps: TrapTarget[];
  /** serve LLDP-MIB (off when the switch's lldpd serves it) */
  lldpMib: boolean;
  /** hex SNMP engine id; default derived from the switch name */
  engineId?: string;
  trapRate?: RateLimit;
  /** how long a built tree is reused, ms (default 1000) */
  cacheMs?: number;
  /** AgentX liveness: ping interval (default 10 s) and answer timeout (default 3 s) */
  agentxPingMs?: number;
  agentxTimeoutMs?: number;
}

export interface SnmpHandle {
  stop(): Promise<void>;
  notify(kind: NotificationKind, fields?: NotificationFields): void;
  /** rebuild the tree on the next request (call after a change for instant visibility) */
  invalidate(): void;
  counters(): SnmpCounters & { badPackets: number };
  engineId: string;
  /** the bound UDP address of the standalone agent, if any */
  listening: { address: string; port: number } | null;
  /** resolves once the AgentX session is open (immediately if no AgentX) */
  agentxReady(): Promise<void>;
  /**
   * ms since epoch at which the AgentX master's sysUpTime was 0, null before the first session
   * (or without AgentX): the base of LLDP-MIB time marks when snmpd serves them.
   */
  agentxMasterStart(): number | null;
}

/** LLDP rows (sorted by OID by contract; re-sorted by the segment if not) as varbinds. */
function lldpVarbinds(rows: MibRow[], onBad: (n: number) => void): Varbind[] {
  const out: Varbind[] = [];
  let bad = 0;
  for (const row of rows) {
    const vb = rowToVarbind(row);
    if (vb && compareOids(vb.oid.slice(0, LLDP_MIB.length), LLDP_MIB) === 0) out.push(vb);
    else bad++;
  }
  if (bad) onBad(bad);
  return out;
}

export async function startSnmp(
  cfg: SnmpConfig,
  view: AgentStateView,
  lldpRows: () => MibRow[],
  logger: Logger,
): Promise<SnmpHandle> {
  const log = logger.child({ module: 'snmp' });
  for (const c of cfg.communities) {
    if (c.community === 'public' || c.community === '') {
      throw new VmtraceError('CONFIG_INVALID', 'snmp: the community "public" (or an empty one) is refused; use a secret from a file');
    }
  }
  for (const u of [...cfg.users, ...cfg.traps.flatMap((t) => (t.user ? [t.user] : []))]) {
    if (u.authKey.length < 8 || u.privKey.length < 8) {
      throw new VmtraceError('CONFIG_INVALID', `snmp: user ${u.name}: SNMPv3 auth and priv keys need at least 8 characters`);
    }
  }
  for (const t of cfg.traps) {
    if (!t.user && !t.community) throw new VmtraceError('CONFIG_INVALID', `snmp: trap target ${t.target} needs a community or a v3 user`);
  }
  const engineId = cfg.engineId ? Buffer.from(cfg.engineId.replace(/^0x/i, ''), 'hex') : engineIdFor(view.summary().switchName);
  if (engineId.length < 5 || engineId.length > 32) throw new VmtraceError('CONFIG_INVALID', 'snmp: engineId must be 5 to 32 octets');
  const counters = newCounters();
  let lastViewError = '';
  const warnView = throttled(60_000, (suppressed) => log.warn({ err: lastViewError, suppressed }, 'snmp: a table of the state view failed; served empty'));
  const viewError = (table: string, err: unknown): void => {
    counters.viewErrors++;
    lastViewError = `${table}: ${(err as Error)?.message ?? String(err)}`;
    warnView();
  };
  const cache = new TreeCache(() => {
    const own = [systemSegment(view), ...snmpStatsSegments(counters), ...vmtraceSegments(view, { snmpBadPackets: badPackets(counters), onError: viewError })];
    if (!cfg.lldpMib) return own;
    let rows: MibRow[] = [];
    try {
      rows = lldpRows();
    } catch (err) {
      viewError('lldpRemTable', err);
    }
    const lldp = lldpVarbinds(rows, (n) => viewError('lldpRemTable', new Error(`${n} rows with a bad type, value or OID`)));
    return [new StaticSegment(LLDP_MIB, lldp), ...own];
  }, cfg.cacheMs ?? 1000);
  const tree = () => cache.current();

  let udp: UdpAgent | null = null;
  let agentx: AgentXSubagent | null = null;
  const notifier = new Notifier(cfg.traps, engineId, counters, log, cfg.trapRate);
  try {
    if (cfg.listen) {
      const { host, port } = parseListen(cfg.listen);
      udp = new UdpAgent({ host, port, communities: cfg.communities, users: cfg.users, engineId }, tree, counters, log);
      await udp.start();
    }
    if (cfg.agentx) {
      const subtrees = [oidArray('vmtraceMIB'), ...(cfg.lldpMib ? [LLDP_MIB] : [])];
      agentx = new AgentXSubagent(
        {
          address: cfg.agentx,
          subtrees,
          id: oidArray('vmtraceMIB'),
          descr: 'vmtrace agent',
          ...(cfg.agentxPingMs ? { pingIntervalMs: cfg.agentxPingMs } : {}),
          ...(cfg.agentxTimeoutMs ? { responseTimeoutMs: cfg.agentxTimeoutMs } : {}),
        },
        tree,
        counters,
        log,
      );
      agentx.start();
    }
  } catch (err) {
    await udp?.stop();
    notifier.close();
    if (err instanceof VmtraceError) throw err;
    throw new VmtraceError('SNMP_ERROR', `snmp: cannot start: ${(err as Error).message}`, { cause: err });
  }
  log.info({ engineId: engineId.toString('hex'), listen: cfg.listen ?? null, agentx: cfg.agentx ?? null }, 'snmp: started');
  return {
    engineId: engineId.toString('hex'),
    listening: udp?.address ?? null,
    stop: async () => {
      notifier.close();
      await Promise.all([udp?.stop(), agentx?.stop()]);
    },
    notify: (kind, fields) => notifier.notify(kind, fields ?? {}),
    invalidate: () => cache.invalidate(),
    counters: () => ({ ...counters, badPackets: badPackets(counters) }),
    agentxReady: () => agentx?.whenOpen() ?? Promise.resolve(),
    agentxMasterStart: () => agentx?.masterStartMs ?? null,
  };
}
