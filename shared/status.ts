// The agent's state as operators see it: served over SNMP (VMTRACE-MIB), read back by
// `vmtrace show --json` and the TUI. These shapes are the stable JSON contract of `show`.

import type { NeighborProtocol, SourceStatus, VlanId } from './model.js';

export type PortState = 'ok' | 'frozen' | 'limit';

export interface AgentSummary {
  switchName: string;
  version: string;
  mode: 'enforce' | 'dry-run';
  /** ms since epoch the agent started */
  startedAt: number;
  vcenters: SourceStatus[];
  counts: { ports: number; managedPorts: number; hosts: number; vms: number; vnics: number; neighbors: number };
  /** monotonically increasing since start */
  counters: {
    vlanAdds: number;
    vlanRemoves: number;
    plansApplied: number;
    plansRefused: number;
    limitRefusals: number;
    applyErrors: number;
    malformedFrames: number;
    snmpBadPackets?: number;
  };
  /** ms: last and mean latency from fact change to applied change */
  lastChangeLatencyMs: number | null;
  avgChangeLatencyMs: number | null;
  frozen: boolean;
  frozenReason: string | null;
}

export interface PortStatus {
  ifIndex: number;
  name: string;
  neighborHost: string | null;
  neighborNic: string | null;
  neighborProtocol: NeighborProtocol | null;
  managed: boolean;
  staticVlans: VlanId[];
  /** on the device now */
  vlans: VlanId[];
  /** needed by VMs behind the port */
  dynamicVlans: VlanId[];
  ownedVlans: VlanId[];
  /** needed here but not on the port (limit, range, frozen) */
  missingVlans: VlanId[];
  /** owned, on the port, needed by no VM (hold-down or frozen) */
  surplusVlans: VlanId[];
  state: PortState;
  reason: string | null;
}

export interface VmStatus {
  index: number;
  name: string;
  vcenter: string;
  moid: string;
  uuid: string | null;
  powerState: string;
  host: string | null;
}

export interface VnicStatus {
  index: number;
  vmIndex: number;
  vmName: string;
  mac: string;
  portgroup: string | null;
  vlan: VlanId | null;
  vni: number | null;
  /** ifIndex of the switch port facing the VM's host, null if none */
  ifIndex: number | null;
}

export interface VtepStatus {
  index: number;
  vni: number;
  vlan: VlanId | null;
  port: string | null;
  remoteMacs: number;
  remoteVteps: string[];
}

export interface EventStatus {
  index: number;
  at: number;
  kind: string;
  port: string | null;
  vlan: VlanId | null;
  message: string;
}

/** One LLDP/CDP neighbour as `show neighbors` prints it. */
export interface NeighborStatus {
  ifIndex: number;
  port: string;
  protocol: NeighborProtocol;
  chassisId: string;
  portId: string;
  sysName: string | null;
  sysDescr: string | null;
  mgmtAddresses: string[];
  ttl: number;
  /** resolved vCenter host and NIC, if matched */
  host: string | null;
  nic: string | null;
}

/** Everything the SNMP agent serves, read fresh on each request (cheap: precomputed arrays). */
export interface AgentStateView {
  summary(): AgentSummary;
  ports(): PortStatus[];
  vms(): VmStatus[];
  vnics(): VnicStatus[];
  vteps(): VtepStatus[];
  events(): EventStatus[];
  neighbors(): NeighborStatus[];
}

/** Everything a view serves, as plain data (what `show` reads back in one go). */
export interface StatusSnapshot {
  summary: AgentSummary;
  ports: PortStatus[];
  vms: VmStatus[];
  vnics: VnicStatus[];
  vteps: VtepStatus[];
  events: EventStatus[];
  neighbors: NeighborStatus[];
}

/** A view over fixed data: tests, benches, and anything replaying a snapshot. */
export function viewOf(d: StatusSnapshot): AgentStateView {
  return {
    summary: () => d.summary,
    ports: () => d.ports,
    vms: () => d.vms,
    vnics: () => d.vnics,
    vteps: () => d.vteps,
    events: () => d.events,
    neighbors: () => d.neighbors,
  };
}
