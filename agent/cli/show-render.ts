// What `vmtrace show` prints: aligned tables for people, stable JSON for scripts.
//
// ---- README: `vmtrace show … --json` -------------------------------------------------------
// One JSON object per run, on one line, followed by a newline. Always present: "agent" (the
// HOST:PORT read). Then, by subcommand (shapes from shared/status.ts; keys are never removed
// or renamed, new keys may be added):
//
//   summary    {"agent", "summary": AgentSummary}
//                AgentSummary = {switchName, version, mode: "enforce"|"dry-run",
//                  startedAt: ms since epoch, vcenters: [{name, state:
//                  "connecting"|"syncing"|"synced"|"disconnected", lastSync: ms|null, error: string|null}],
//                  counts: {ports, managedPorts, hosts, vms, vnics, neighbors},
//                  counters: {vlanAdds, vlanRemoves, plansApplied, plansRefused, limitRefusals,
//                    applyErrors, malformedFrames, snmpBadPackets?},
//                  lastChangeLatencyMs: number|null, avgChangeLatencyMs: number|null,
//                  frozen: boolean, frozenReason: string|null}
//   ports      {"agent", "ports": PortStatus[]}
//                PortStatus = {ifIndex, name, neighborHost|null, neighborNic|null,
//                  neighborProtocol: "lldp"|"cdp"|"pinned"|null, managed: boolean,
//                  staticVlans, vlans (on the device now), dynamicVlans (needed by VMs),
//                  ownedVlans, missingVlans (needed, not on the port), surplusVlans (owned, on
//                  the port, needed by none): sorted VLAN id arrays,
//                  state: "ok"|"frozen"|"limit", reason: string|null}
//   neighbors  {"agent", "neighbors": NeighborStatus[]}
//                NeighborStatus = {ifIndex, port, protocol: "lldp"|"cdp"|"pinned", chassisId,
//                  portId, sysName|null, sysDescr|null, mgmtAddresses: string[], ttl (s),
//                  host|null, nic|null}
//   vms        {"agent", "vms": VmStatus[], "vnics": VnicStatus[]}
//                VmStatus = {index, name, vcenter, moid, uuid|null, powerState, host|null}
//                VnicStatus = {index, vmIndex (VmStatus.index), vmName, mac, portgroup|null,
//                  vlan|null, vni|null, ifIndex (switch port facing the VM's host)|null}
//   vtep       {"agent", "vteps": VtepStatus[]}
//                VtepStatus = {index, vni, vlan|null, port|null, remoteMacs, remoteVteps: string[]}
//   events     {"agent", "events": EventStatus[]}  (oldest first)
//                EventStatus = {index, at: ms since epoch, kind, port|null, vlan|null, message}
//
// Times are milliseconds since the Unix epoch (UTC); VLAN sets are arrays of numbers (the
// human tables print them as ranges, "1,10-20").
// ---------------------------------------------------------------------------------------------

import type {
  AgentSummary,
  EventStatus,
  NeighborStatus,
  PortStatus,
  VmStatus,
  VnicStatus,
  VtepStatus,
} from '../../shared/status.js';
import { formatVlans } from '../../shared/vlan.js';
import { dash, humanAge, humanMs, humanTime, renderPairs, renderTable } from './show-table.js';

export type ShowWhat = 'summary' | 'ports' | 'neighbors' | 'vms' | 'vtep' | 'events';
export const SHOW_WHAT: readonly ShowWhat[] = ['summary', 'ports', 'neighbors', 'vms', 'vtep', 'events'];

export type ShowResult =
  | { what: 'summary'; summary: AgentSummary }
  | { what: 'ports'; ports: PortStatus[] }
  | { what: 'neighbors'; neighbors: NeighborStatus[] }
  | { what: 'vms'; vms: VmStatus[]; vnics: VnicStatus[] }
  | { what: 'vtep'; vteps: VtepStatus[] }
  | { what: 'events'; events: EventStatus[] };

export function renderJson(agent: string, result: ShowResult): string {
  const { what: _what, ...payload } = result;
  return JSON.stringify({ agent, ...payload }) + '\n';
}

export function renderHuman(result: ShowResult, now: number): string {
  switch (result.what) {
    case 'summary':
      return renderSummary(result.summary, now);
    case 'ports':
      return renderPorts(result.ports);
    case 'neighbors':
      return renderNeighbors(result.neighbors);
    case 'vms':
      return renderVms(result.vms, result.vnics);
    case 'vtep':
      return renderVteps(result.vteps);
    case 'events':
      return renderEvents(result.events, now);
  }
}

const vl = (v: number[]): string => dash(formatVlans(v));

export function renderSummary(s: AgentSummary, now: number): string {
  const c = s.counters;
  const pairs: [string, string][] = [
    ['switch', s.switchName],
    ['version', s.version],
    ['mode', s.mode],
    ['state', s.frozen ? `FROZEN: ${s.frozenReason ?? 'no reason given'}` : 'ok'],
    ['started', humanTime(s.startedAt, now)],
    [
      'counts',
      `${s.counts.ports} ports (${s.counts.managedPorts} managed), ${s.counts.neighbors} neighbors, ` +
        `${s.counts.hosts} hosts, ${s.counts.vms} VMs, ${s.counts.vnics} vNICs`,
    ],
    ['VLANs', `${c.vlanAdds} added, ${c.vlanRemoves} removed`],
    ['plans', `${c.plansApplied} applied, ${c.plansRefused} refused`],
    ['errors', `${c.applyErrors} apply, ${c.limitRefusals} limit refusals, ${c.malformedFrames} malformed frames` +
      (c.snmpBadPackets === undefined ? '' : `, ${c.snmpBadPackets} bad SNMP packets`)],
    ['change latency', `last ${humanMs(s.lastChangeLatencyMs)}, mean ${humanMs(s.avgChangeLatencyMs)}`],
  ];
  let out = renderPairs(pairs);
  out += '\n';
  out += s.vcenters.length === 0
    ? 'no vCenter configured\n'
    : renderTable(
        [{ header: 'VCENTER' }, { header: 'STATE' }, { header: 'LAST SYNC' }, { header: 'ERROR' }],
        s.vcenters.map((v) => [v.name, v.state, v.lastSync === null ? 'never' : humanTime(v.lastSync, now), dash(v.error)]),
      );
  return out;
}

export function renderPorts(ports: PortStatus[]): string {
  if (ports.length === 0) return 'no ports\n';
  return renderTable(
    [
      { header: 'IFINDEX', align: 'right' },
      { header: 'PORT' },
      { header: 'MANAGED' },
      { header: 'STATE' },
      { header: 'NEIGHBOR' },
      { header: 'VLANS' },
      { header: 'STATIC' },
      { header: 'NEEDED' },
      { header: 'OWNED' },
      { header: 'MISSING' },
      { header: 'SURPLUS' },
      { header: 'REASON' },
    ],
    ports.map((p) => [
      String(p.ifIndex),
      p.name,
      p.managed ? 'yes' : 'no',
      p.state,
      p.neighborHost === null
        ? '-'
        : `${p.neighborHost}${p.neighborNic === null ? '' : ` ${p.neighborNic}`}${p.neighborProtocol === null ? '' : ` (${p.neighborProtocol})`}`,
      vl(p.vlans),
      vl(p.staticVlans),
      vl(p.dynamicVlans),
      vl(p.ownedVlans),
      vl(p.missingVlans),
      vl(p.surplusVlans),
      dash(p.reason),
    ]),
  );
}

export function renderNeighbors(neighbors: NeighborStatus[]): string {
  if (neighbors.length === 0) return 'no neighbors\n';
  return renderTable(
    [
      { header: 'PORT' },
      { header: 'PROTO' },
      { header: 'SYSNAME' },
      { header: 'PORT ID' },
      { header: 'CHASSIS ID' },
      { header: 'MGMT' },
      { header: 'TTL', align: 'right' },
      { header: 'HOST' },
      { header: 'NIC' },
    ],
    neighbors.map((n) => [
      n.port,
      n.protocol,
      dash(n.sysName),
      n.portId,
      n.chassisId,
      dash(n.mgmtAddresses.join(',')),
      String(n.ttl),
      dash(n.host),
      dash(n.nic),
    ]),
  );
}

export function renderVms(vms: VmStatus[], vnics: VnicStatus[]): string {
  if (vms.length === 0 && vnics.length === 0) return 'no VMs\n';
  const vmTable = renderTable(
    [{ header: 'VM' }, { header: 'VCENTER' }, { header: 'MOID' }, { header: 'POWER' }, { header: 'HOST' }, { header: 'UUID' }],
    vms.map((v) => [v.name, v.vcenter, v.moid, v.powerState, dash(v.host), dash(v.uuid)]),
  );
  if (vnics.length === 0) return vmTable;
  const vnicTable = renderTable(
    [
      { header: 'VM' },
      { header: 'MAC' },
      { header: 'PORTGROUP' },
      { header: 'VLAN', align: 'right' },
      { header: 'VNI', align: 'right' },
      { header: 'IFINDEX', align: 'right' },
    ],
    vnics.map((n) => [n.vmName, n.mac, dash(n.portgroup), dash(n.vlan), dash(n.vni), dash(n.ifIndex)]),
  );
  return `${vmTable}\n${vnicTable}`;
}

export function renderVteps(vteps: VtepStatus[]): string {
  if (vteps.length === 0) return 'no VTEP bindings\n';
  return renderTable(
    [
      { header: 'VNI', align: 'right' },
      { header: 'VLAN', align: 'right' },
      { header: 'PORT' },
      { header: 'REMOTE MACS', align: 'right' },
      { header: 'REMOTE VTEPS' },
    ],
    vteps.map((v) => [String(v.vni), dash(v.vlan), dash(v.port), String(v.remoteMacs), dash(v.remoteVteps.join(','))]),
  );
}

export function renderEvents(events: EventStatus[], now: number): string {
  if (events.length === 0) return 'no events\n';
  return renderTable(
    [{ header: 'TIME' }, { header: 'AGE', align: 'right' }, { header: 'KIND' }, { header: 'PORT' }, { header: 'VLAN', align: 'right' }, { header: 'MESSAGE' }],
    events.map((e) => {
      const iso = new Date(e.at).toISOString();
      return [`${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`, humanAge(now - e.at), e.kind, dash(e.port), dash(e.vlan), e.message];
    }),
  );
}
