// Reads one vmtrace agent's VMTRACE-MIB over SNMP into the shapes of shared/status.ts, for
// `vmtrace show` and the TUI. One reader per agent; its session is reused across polls.
//
// What the MIB carries with less precision than the JSON shapes (so a round trip keeps it
// only that well): times are whole seconds (startedAt, lastSync, event at come back as
// seconds × 1000); a latency of 0 means "none yet" and reads back as null; VLAN 0 and 4095 are
// never in the bitmaps; remote VTEP lists are cut by the agent at 255 characters.

import { VmtraceError } from '../errors.js';
import { ENUMS, OIDS, type VmtraceName } from '../mib/oids.js';
import type {
  AgentSummary,
  EventStatus,
  NeighborStatus,
  PortStatus,
  VmStatus,
  VnicStatus,
  VtepStatus,
} from '../status.js';
import type { SourceStatus } from '../model.js';
import { SnmpClient, type ClientOptions, type ColumnRows } from './client.js';
import type { SnmpCredentials } from './credentials.js';
import type { SnmpVarbind } from './net-snmp-client.js';
import { formatAgentTarget, type AgentTarget } from './target.js';
import { counter, enumValue, int, octets, text, textOrNull, truthValue, vlans } from './values.js';

/** Column number of a table column: the last arc of its OID. */
function col(name: VmtraceName): number {
  return Number(OIDS[name].slice(OIDS[name].lastIndexOf('.') + 1));
}

/** value → label of an enumerated object, from the generated ENUMS. */
function labels<K extends keyof typeof ENUMS, L extends string>(name: K, rename: Record<string, L> = {}): Record<number, L> {
  const out: Record<number, L> = {};
  for (const [label, value] of Object.entries(ENUMS[name])) out[value as number] = (rename[label] ?? label) as L;
  return out;
}

const MODE = labels('vmtraceMode', { dryRun: 'dry-run' }) as Record<number, AgentSummary['mode']>;
const VCENTER_STATE = labels('vmtraceVcenterState') as Record<number, SourceStatus['state']>;
const PORT_PROTOCOL = labels('vmtracePortNeighborProtocol') as Record<number, 'none' | 'lldp' | 'cdp' | 'pinned'>;
const PORT_STATE = labels('vmtracePortState') as Record<number, PortStatus['state']>;
const POWER = labels('vmtraceVmPowerState');
const NEIGHBOR_PROTOCOL = labels('vmtraceNeighborProtocol') as Record<number, NeighborStatus['protocol']>;

/** One table: its entry OID and the columns read, each turned into a row field. */
interface TableSpec<R> {
  entry: VmtraceName;
  columns: VmtraceName[];
  row(index: number, cell: (name: VmtraceName) => SnmpVarbind): R;
}

const SCALARS = [
  'vmtraceSwitchName',
  'vmtraceVersion',
  'vmtraceMode',
  'vmtraceStartTime',
  'vmtracePortCount',
  'vmtraceManagedPortCount',
  'vmtraceHostCount',
  'vmtraceVmCount',
  'vmtraceVnicCount',
  'vmtraceNeighborCount',
  'vmtraceVlanAdds',
  'vmtraceVlanRemoves',
  'vmtracePlansApplied',
  'vmtracePlansRefused',
  'vmtraceLimitRefusals',
  'vmtraceApplyErrors',
  'vmtraceMalformedFrames',
  'vmtraceSnmpBadPackets',
  'vmtraceLastChangeLatency',
  'vmtraceAvgChangeLatency',
  'vmtraceFrozen',
  'vmtraceFrozenReason',
] as const satisfies readonly VmtraceName[];

const epochMs = (vb: SnmpVarbind): number | null => {
  const s = int(vb);
  return s === 0 ? null : s * 1000;
};
const orNullIfZero = (n: number): number | null => (n === 0 ? null : n);
const vlanOrNone = (vb: SnmpVarbind): number | null => {
  const n = int(vb);
  return n < 0 ? null : n;
};
const list = (vb: SnmpVarbind): string[] => text(vb).split(',').map((s) => s.trim()).filter((s) => s !== '');
const mac = (vb: SnmpVarbind): string => [...octets(vb)].map((b) => b.toString(16).padStart(2, '0')).join(':');

const VCENTERS: TableSpec<SourceStatus> = {
  entry: 'vmtraceVcenterEntry',
  columns: ['vmtraceVcenterName', 'vmtraceVcenterState', 'vmtraceVcenterLastSync', 'vmtraceVcenterError'],
  row: (_i, c) => ({
    name: text(c('vmtraceVcenterName')),
    state: enumValue(c('vmtraceVcenterState'), VCENTER_STATE),
    lastSync: epochMs(c('vmtraceVcenterLastSync')),
    error: textOrNull(c('vmtraceVcenterError')),
  }),
};

const PORTS: TableSpec<PortStatus> = {
  entry: 'vmtracePortEntry',
  columns: [
    'vmtracePortName',
    'vmtracePortNeighborHost',
    'vmtracePortNeighborNic',
    'vmtracePortNeighborProtocol',
    'vmtracePortManaged',
    'vmtracePortStaticVlans',
    'vmtracePortVlans',
    'vmtracePortDynamicVlans',
    'vmtracePortOwnedVlans',
    'vmtracePortMissingVlans',
    'vmtracePortSurplusVlans',
    'vmtracePortState',
    'vmtracePortReason',
  ],
  row: (ifIndex, c) => {
    const protocol = enumValue(c('vmtracePortNeighborProtocol'), PORT_PROTOCOL);
    return {
      ifIndex,
      name: text(c('vmtracePortName')),
      neighborHost: textOrNull(c('vmtracePortNeighborHost')),
      neighborNic: textOrNull(c('vmtracePortNeighborNic')),
      neighborProtocol: protocol === 'none' ? null : protocol,
      managed: truthValue(c('vmtracePortManaged')),
      staticVlans: vlans(c('vmtracePortStaticVlans')),
      vlans: vlans(c('vmtracePortVlans')),
      dynamicVlans: vlans(c('vmtracePortDynamicVlans')),
      ownedVlans: vlans(c('vmtracePortOwnedVlans')),
      missingVlans: vlans(c('vmtracePortMissingVlans')),
      surplusVlans: vlans(c('vmtracePortSurplusVlans')),
      state: enumValue(c('vmtracePortState'), PORT_STATE),
      reason: textOrNull(c('vmtracePortReason')),
    };
  },
};

const VMS: TableSpec<VmStatus> = {
  entry: 'vmtraceVmEntry',
  columns: ['vmtraceVmName', 'vmtraceVmVcenter', 'vmtraceVmMoid', 'vmtraceVmUuid', 'vmtraceVmPowerState', 'vmtraceVmHost'],
  row: (index, c) => ({
    index,
    name: text(c('vmtraceVmName')),
    vcenter: text(c('vmtraceVmVcenter')),
    moid: text(c('vmtraceVmMoid')),
    uuid: textOrNull(c('vmtraceVmUuid')),
    powerState: enumValue(c('vmtraceVmPowerState'), POWER),
    host: textOrNull(c('vmtraceVmHost')),
  }),
};

const VNICS: TableSpec<VnicStatus> = {
  entry: 'vmtraceVnicEntry',
  columns: [
    'vmtraceVnicVmIndex',
    'vmtraceVnicVmName',
    'vmtraceVnicMac',
    'vmtraceVnicPortgroup',
    'vmtraceVnicVlan',
    'vmtraceVnicVni',
    'vmtraceVnicIfIndex',
  ],
  row: (index, c) => ({
    index,
    vmIndex: int(c('vmtraceVnicVmIndex')),
    vmName: text(c('vmtraceVnicVmName')),
    mac: mac(c('vmtraceVnicMac')),
    portgroup: textOrNull(c('vmtraceVnicPortgroup')),
    vlan: vlanOrNone(c('vmtraceVnicVlan')),
    vni: orNullIfZero(int(c('vmtraceVnicVni'))),
    ifIndex: orNullIfZero(int(c('vmtraceVnicIfIndex'))),
  }),
};

const VTEPS: TableSpec<VtepStatus> = {
  entry: 'vmtraceVtepEntry',
  columns: ['vmtraceVtepVni', 'vmtraceVtepVlan', 'vmtraceVtepPort', 'vmtraceVtepRemoteMacs', 'vmtraceVtepRemoteVteps'],
  row: (index, c) => ({
    index,
    vni: int(c('vmtraceVtepVni')),
    vlan: vlanOrNone(c('vmtraceVtepVlan')),
    port: textOrNull(c('vmtraceVtepPort')),
    remoteMacs: int(c('vmtraceVtepRemoteMacs')),
    remoteVteps: list(c('vmtraceVtepRemoteVteps')),
  }),
};

const EVENTS: TableSpec<EventStatus> = {
  entry: 'vmtraceEventEntry',
  columns: ['vmtraceEventTime', 'vmtraceEventKind', 'vmtraceEventPort', 'vmtraceEventVlan', 'vmtraceEventMessage'],
  row: (index, c) => ({
    index,
    at: int(c('vmtraceEventTime')) * 1000,
    kind: text(c('vmtraceEventKind')),
    port: textOrNull(c('vmtraceEventPort')),
    vlan: vlanOrNone(c('vmtraceEventVlan')),
    message: text(c('vmtraceEventMessage')),
  }),
};

const NEIGHBORS: TableSpec<NeighborStatus> = {
  entry: 'vmtraceNeighborEntry',
  columns: [
    'vmtraceNeighborIfIndex',
    'vmtraceNeighborPort',
    'vmtraceNeighborProtocol',
    'vmtraceNeighborChassisId',
    'vmtraceNeighborPortId',
    'vmtraceNeighborSysName',
    'vmtraceNeighborSysDescr',
    'vmtraceNeighborMgmtAddrs',
    'vmtraceNeighborTtl',
    'vmtraceNeighborHost',
    'vmtraceNeighborNic',
  ],
  row: (_index, c) => ({
    ifIndex: int(c('vmtraceNeighborIfIndex')),
    port: text(c('vmtraceNeighborPort')),
    protocol: enumValue(c('vmtraceNeighborProtocol'), NEIGHBOR_PROTOCOL),
    chassisId: text(c('vmtraceNeighborChassisId')),
    portId: text(c('vmtraceNeighborPortId')),
    sysName: textOrNull(c('vmtraceNeighborSysName')),
    sysDescr: textOrNull(c('vmtraceNeighborSysDescr')),
    mgmtAddresses: list(c('vmtraceNeighborMgmtAddrs')),
    ttl: int(c('vmtraceNeighborTtl')),
    host: textOrNull(c('vmtraceNeighborHost')),
    nic: textOrNull(c('vmtraceNeighborNic')),
  }),
};

/** One agent's whole state, as the view on the agent side holds it. */
export interface AgentSnapshot {
  summary: AgentSummary;
  ports: PortStatus[];
  vms: VmStatus[];
  vnics: VnicStatus[];
  vteps: VtepStatus[];
  events: EventStatus[];
  neighbors: NeighborStatus[];
}

export class AgentReader {
  readonly agent: string;
  private readonly client: SnmpClient;

  constructor(target: AgentTarget, creds: SnmpCredentials, opts: ClientOptions = {}) {
    this.agent = formatAgentTarget(target);
    this.client = new SnmpClient(target, creds, opts);
  }

  close(): void {
    this.client.close();
  }

  async summary(): Promise<AgentSummary> {
    const values = await this.client.get(SCALARS.map((n) => `${OIDS[n]}.0`));
    const s = (name: (typeof SCALARS)[number]): SnmpVarbind => {
      const vb = values[SCALARS.indexOf(name)];
      if (!vb) {
        // An SNMP agent answered, but not ours (or its view hides VMTRACE-MIB): the operator
        // pointed at the wrong thing, a user error rather than an internal one.
        throw new VmtraceError('NOT_FOUND', `agent ${this.agent} does not serve ${name}.0: is it a vmtrace agent, and does its view include VMTRACE-MIB?`);
      }
      return vb;
    };
    const vcenters = await this.table(VCENTERS);
    return {
      switchName: text(s('vmtraceSwitchName')),
      version: text(s('vmtraceVersion')),
      mode: enumValue(s('vmtraceMode'), MODE),
      startedAt: epochMs(s('vmtraceStartTime')) ?? 0,
      vcenters,
      counts: {
        ports: int(s('vmtracePortCount')),
        managedPorts: int(s('vmtraceManagedPortCount')),
        hosts: int(s('vmtraceHostCount')),
        vms: int(s('vmtraceVmCount')),
        vnics: int(s('vmtraceVnicCount')),
        neighbors: int(s('vmtraceNeighborCount')),
      },
      counters: {
        vlanAdds: counter(s('vmtraceVlanAdds')),
        vlanRemoves: counter(s('vmtraceVlanRemoves')),
        plansApplied: counter(s('vmtracePlansApplied')),
        plansRefused: counter(s('vmtracePlansRefused')),
        limitRefusals: counter(s('vmtraceLimitRefusals')),
        applyErrors: counter(s('vmtraceApplyErrors')),
        malformedFrames: counter(s('vmtraceMalformedFrames')),
        snmpBadPackets: counter(s('vmtraceSnmpBadPackets')),
      },
      lastChangeLatencyMs: orNullIfZero(int(s('vmtraceLastChangeLatency'))),
      avgChangeLatencyMs: orNullIfZero(int(s('vmtraceAvgChangeLatency'))),
      frozen: truthValue(s('vmtraceFrozen')),
      frozenReason: textOrNull(s('vmtraceFrozenReason')),
    };
  }

  /** Everything at once (the TUI's poll, `where`): the walks run side by side on one session. */
  async snapshot(): Promise<AgentSnapshot> {
    const [summary, ports, vms, vnics, vteps, events, neighbors] = await Promise.all([
      this.summary(),
      this.ports(),
      this.vms(),
      this.vnics(),
      this.vteps(),
      this.events(),
      this.neighbors(),
    ]);
    return { summary, ports, vms, vnics, vteps, events, neighbors };
  }

  ports(): Promise<PortStatus[]> {
    return this.table(PORTS);
  }

  vms(): Promise<VmStatus[]> {
    return this.table(VMS);
  }

  vnics(): Promise<VnicStatus[]> {
    return this.table(VNICS);
  }

  vteps(): Promise<VtepStatus[]> {
    return this.table(VTEPS);
  }

  events(): Promise<EventStatus[]> {
    return this.table(EVENTS);
  }

  neighbors(): Promise<NeighborStatus[]> {
    return this.table(NEIGHBORS);
  }

  /**
   * Walks a table and builds its rows in index order. A row that lacks a column (it came or
   * went while the columns were walked) is left out: a walk is never a snapshot.
   */
  private async table<R>(spec: TableSpec<R>): Promise<R[]> {
    const rows: ColumnRows = await this.client.walkColumns(OIDS[spec.entry], spec.columns.map(col));
    const out: { index: number; row: R }[] = [];
    for (const [suffix, cells] of rows) {
      if (!/^\d+$/.test(suffix)) {
        throw new VmtraceError('SNMP_ERROR', `agent ${this.agent}: ${spec.entry} row index "${suffix}" is not one integer`);
      }
      if (spec.columns.some((name) => !cells.has(col(name)))) continue;
      const index = Number(suffix);
      out.push({ index, row: spec.row(index, (name) => cells.get(col(name))!) });
    }
    return out.sort((a, b) => a.index - b.index).map((r) => r.row);
  }
}
