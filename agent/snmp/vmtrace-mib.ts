// AgentStateView → the instances of VMTRACE-MIB, in OID order (scalars, then each table
// column by column, rows by index), so the tree needs no sort. OIDs and enum numbers come
// from shared/mib/oids.ts, generated from the MIB itself.

import { ENUMS, oidArray, type VmtraceName } from '../../shared/mib/oids.js';
import type { AgentStateView } from '../../shared/status.js';
import { formatVlans, vlanBitmap } from '../../shared/vlan.js';
import type { VlanId } from '../../shared/model.js';
import type { SnmpCounters } from './counters.js';
import { DynamicSegment, StaticSegment, TableSegment, type Cell, type Column, type Segment } from './tree.js';
import { T, type Varbind } from './varbind.js';

const MAX_TEXT = 255;

/** DisplayString: UTF-8, at most 255 octets (cut on a character boundary, ending in '...'). */
export function text(s: string | null | undefined): Cell {
  const buf = Buffer.from(s ?? '', 'utf8');
  if (buf.length <= MAX_TEXT) return [T.OctetString, buf];
  let cut = MAX_TEXT - 3;
  while (cut > 0 && (buf[cut]! & 0xc0) === 0x80) cut--;
  return [T.OctetString, Buffer.concat([buf.subarray(0, cut), Buffer.from('...')])];
}

const int = (n: number): Cell => [T.Integer, n | 0];
const gauge = (n: number): Cell => [T.Gauge32, Math.max(0, Math.min(0xffffffff, Math.round(n)))];
const c64 = (n: number | undefined): Cell => [T.Counter64, BigInt(Math.max(0, Math.floor(n ?? 0)))];
const truth = (b: boolean): Cell => int(b ? 1 : 2);
const epoch = (ms: number | null | undefined): Cell => gauge(ms ? Math.floor(ms / 1000) : 0);
const vlanOrNone = (v: VlanId | null | undefined): Cell => int(v === null || v === undefined ? -1 : v);

/** 512-octet bitmap; VLAN 0 and 4095 never set (MIB: VmtraceVlanBitmap). */
function bitmap(vlans: VlanId[]): Cell {
  return [T.OctetString, vlanBitmap(vlans.filter((v) => v > 0 && v < 4095))];
}

function vlanList(vlans: VlanId[]): Cell {
  return text(formatVlans(vlans.filter((v) => v > 0 && v < 4095)));
}

function mac(m: string): Cell {
  const bytes = m.split(/[:-]/).map((h) => parseInt(h, 16));
  const ok = bytes.length === 6 && bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255);
  return [T.OctetString, Buffer.from(ok ? bytes : [0, 0, 0, 0, 0, 0])];
}

function enumOf<N extends keyof typeof ENUMS>(name: N, key: string, fallback: number): Cell {
  const table = ENUMS[name] as Record<string, number>;
  return int(table[key] ?? fallback);
}

function scalar(out: Varbind[], name: VmtraceName, cell: Cell): void {
  out.push({ oid: [...oidArray(name), 0], type: cell[0], value: cell[1] });
}

function table<R>(
  out: Segment[],
  entry: VmtraceName,
  rows: readonly R[],
  index: (r: R) => number,
  columns: Array<[column: number, cell: (r: R) => Cell]>,
): void {
  const cols: Column<R>[] = columns.map(([column, cell]) => ({ column, cell }));
  out.push(new TableSegment(oidArray(entry), rows, index, cols));
}

export interface VmtraceMibExtras {
  /** our own count of dropped SNMP packets (overrides the view's) */
  snmpBadPackets?: number;
  /** a table the view could not produce: served empty, reported here */
  onError?: (table: string, err: unknown) => void;
}

/** The segments of VMTRACE-MIB over a snapshot of the view (tables are virtual: see tree.ts). */
export function vmtraceSegments(view: AgentStateView, extras: VmtraceMibExtras = {}): Segment[] {
  const scalars: Varbind[] = [];
  const out: Segment[] = [];
  // One failing table (a store error, a bug) empties that table, not the whole MIB.
  const rows = <R>(table: string, read: () => R[]): R[] => {
    try {
      return read();
    } catch (err) {
      extras.onError?.(table, err);
      return [];
    }
  };
  const s = view.summary();
  scalar(scalars, 'vmtraceSwitchName', text(s.switchName));
  scalar(scalars, 'vmtraceVersion', text(s.version));
  scalar(scalars, 'vmtraceMode', int(s.mode === 'dry-run' ? ENUMS.vmtraceMode.dryRun : ENUMS.vmtraceMode.enforce));
  scalar(scalars, 'vmtraceStartTime', epoch(s.startedAt));
  scalar(scalars, 'vmtraceVcenterCount', gauge(s.vcenters.length));
  scalar(scalars, 'vmtraceVcentersSynced', gauge(s.vcenters.filter((v) => v.state === 'synced').length));
  scalar(scalars, 'vmtracePortCount', gauge(s.counts.ports));
  scalar(scalars, 'vmtraceManagedPortCount', gauge(s.counts.managedPorts));
  scalar(scalars, 'vmtraceHostCount', gauge(s.counts.hosts));
  scalar(scalars, 'vmtraceVmCount', gauge(s.counts.vms));
  scalar(scalars, 'vmtraceVnicCount', gauge(s.counts.vnics));
  scalar(scalars, 'vmtraceNeighborCount', gauge(s.counts.neighbors));
  scalar(scalars, 'vmtraceVlanAdds', c64(s.counters.vlanAdds));
  scalar(scalars, 'vmtraceVlanRemoves', c64(s.counters.vlanRemoves));
  scalar(scalars, 'vmtracePlansApplied', c64(s.counters.plansApplied));
  scalar(scalars, 'vmtracePlansRefused', c64(s.counters.plansRefused));
  scalar(scalars, 'vmtraceLimitRefusals', c64(s.counters.limitRefusals));
  scalar(scalars, 'vmtraceApplyErrors', c64(s.counters.applyErrors));
  scalar(scalars, 'vmtraceMalformedFrames', c64(s.counters.malformedFrames));
  scalar(scalars, 'vmtraceSnmpBadPackets', c64(extras.snmpBadPackets ?? s.counters.snmpBadPackets));
  scalar(scalars, 'vmtraceLastChangeLatency', gauge(s.lastChangeLatencyMs ?? 0));
  scalar(scalars, 'vmtraceAvgChangeLatency', gauge(s.avgChangeLatencyMs ?? 0));
  scalar(scalars, 'vmtraceFrozen', truth(s.frozen));
  scalar(scalars, 'vmtraceFrozenReason', text(s.frozen ? s.frozenReason : ''));
  out.push(new StaticSegment(oidArray('vmtraceScalars'), scalars));

  table(out, 'vmtraceVcenterEntry', s.vcenters.map((v, i) => ({ v, i: i + 1 })), (r) => r.i, [
    [2, (r) => text(r.v.name)],
    [3, (r) => enumOf('vmtraceVcenterState', r.v.state, ENUMS.vmtraceVcenterState.disconnected)],
    [4, (r) => epoch(r.v.lastSync)],
    [5, (r) => text(r.v.error ?? '')],
  ]);

  table(out, 'vmtracePortEntry', rows('ports', () => view.ports()), (p) => p.ifIndex, [
    [2, (p) => text(p.name)],
    [3, (p) => text(p.neighborHost)],
    [4, (p) => text(p.neighborNic)],
    [5, (p) => enumOf('vmtracePortNeighborProtocol', p.neighborProtocol ?? 'none', ENUMS.vmtracePortNeighborProtocol.none)],
    [6, (p) => truth(p.managed)],
    [7, (p) => bitmap(p.vlans)],
    [8, (p) => vlanList(p.vlans)],
    [9, (p) => bitmap(p.staticVlans)],
    [10, (p) => vlanList(p.staticVlans)],
    [11, (p) => bitmap(p.dynamicVlans)],
    [12, (p) => vlanList(p.dynamicVlans)],
    [13, (p) => bitmap(p.ownedVlans)],
    [14, (p) => vlanList(p.ownedVlans)],
    [15, (p) => bitmap(p.missingVlans)],
    [16, (p) => vlanList(p.missingVlans)],
    [17, (p) => bitmap(p.surplusVlans)],
    [18, (p) => vlanList(p.surplusVlans)],
    [19, (p) => enumOf('vmtracePortState', p.state, ENUMS.vmtracePortState.ok)],
    [20, (p) => text(p.state === 'ok' ? '' : p.reason)],
    [21, (p) => gauge(p.vlans.length)],
    [22, (p) => gauge(p.missingVlans.length)],
    [23, (p) => gauge(p.surplusVlans.length)],
  ]);

  table(out, 'vmtraceVmEntry', rows('vms', () => view.vms()), (v) => v.index, [
    [2, (v) => text(v.name)],
    [3, (v) => text(v.vcenter)],
    [4, (v) => text(v.moid)],
    [5, (v) => text(v.uuid)],
    [6, (v) => enumOf('vmtraceVmPowerState', v.powerState, ENUMS.vmtraceVmPowerState.unknown)],
    [7, (v) => text(v.host)],
  ]);

  table(out, 'vmtraceVnicEntry', rows('vnics', () => view.vnics()), (n) => n.index, [
    [2, (n) => int(Math.max(0, n.vmIndex))],
    [3, (n) => text(n.vmName)],
    [4, (n) => mac(n.mac)],
    [5, (n) => text(n.portgroup)],
    [6, (n) => vlanOrNone(n.vlan)],
    [7, (n) => gauge(n.vni ?? 0)],
    [8, (n) => int(n.ifIndex ?? 0)],
  ]);

  table(out, 'vmtraceVtepEntry', rows('vteps', () => view.vteps()), (v) => v.index, [
    [2, (v) => gauge(v.vni)],
    [3, (v) => vlanOrNone(v.vlan)],
    [4, (v) => text(v.port)],
    [5, (v) => gauge(v.remoteMacs)],
    [6, (v) => text(v.remoteVteps.join(','))],
  ]);

  table(out, 'vmtraceEventEntry', rows('events', () => view.events()), (e) => e.index, [
    [2, (e) => epoch(e.at)],
    [3, (e) => text(e.kind)],
    [4, (e) => text(e.port)],
    [5, (e) => vlanOrNone(e.vlan)],
    [6, (e) => text(e.message)],
  ]);

  table(out, 'vmtraceNeighborEntry', rows('neighbors', () => view.neighbors()).map((n, i) => ({ n, i: i + 1 })), (r) => r.i, [
    [2, (r) => int(Math.max(0, r.n.ifIndex))],
    [3, (r) => text(r.n.port)],
    [4, (r) => enumOf('vmtraceNeighborProtocol', r.n.protocol, ENUMS.vmtraceNeighborProtocol.lldp)],
    [5, (r) => text(r.n.chassisId)],
    [6, (r) => text(r.n.portId)],
    [7, (r) => text(r.n.sysName)],
    [8, (r) => text(r.n.sysDescr)],
    [9, (r) => text(r.n.mgmtAddresses.join(','))],
    [10, (r) => gauge(r.n.ttl)],
    [11, (r) => text(r.n.host)],
    [12, (r) => text(r.n.nic)],
  ]);
  return out;
}

const SYSTEM = [1, 3, 6, 1, 2, 1, 1];

/**
 * SNMPv2-MIB system group for the standalone agent (an NMS identifies a device by sysObjectID
 * and sysDescr before anything else). Under AgentX it is never asked: only VMTRACE-MIB and
 * LLDP-MIB are registered, snmpd serves its own system group. sysUpTime counts from the
 * agent's start, the base LLDP-MIB time marks use in standalone mode.
 */
export function systemSegment(view: AgentStateView): Segment {
  const s = view.summary();
  return new DynamicSegment(SYSTEM, () => [
    { oid: [...SYSTEM, 1, 0], type: T.OctetString, value: Buffer.from(`vmtrace ${s.version} agent on ${s.switchName}`) },
    { oid: [...SYSTEM, 2, 0], type: T.ObjectIdentifier, value: oidArray('vmtraceMIB') },
    { oid: [...SYSTEM, 3, 0], type: T.TimeTicks, value: Math.max(0, Math.floor((Date.now() - s.startedAt) / 10)) >>> 0 },
    { oid: [...SYSTEM, 5, 0], type: T.OctetString, value: Buffer.from(s.switchName) },
  ]);
}

const SNMP_GROUP = [1, 3, 6, 1, 2, 1, 11];
const USM_STATS = [1, 3, 6, 1, 6, 3, 15, 1, 1];

/**
 * The standalone agent's own health in the standard places (SNMPv2-MIB snmp group, usmStats),
 * where NMS templates already look for bad community names and failed v3 authentications.
 */
export function snmpStatsSegments(c: SnmpCounters): Segment[] {
  const c32 = (oid: number[], v: number): Varbind => ({ oid, type: T.Counter32, value: v >>> 0 });
  return [
    new DynamicSegment(SNMP_GROUP, () => [
      c32([...SNMP_GROUP, 1, 0], c.inPkts),
      c32([...SNMP_GROUP, 2, 0], c.outPkts),
      c32([...SNMP_GROUP, 3, 0], c.inBadVersions),
      c32([...SNMP_GROUP, 4, 0], c.inBadCommunityNames),
      c32([...SNMP_GROUP, 5, 0], c.inBadCommunityUses),
      c32([...SNMP_GROUP, 6, 0], c.inASNParseErrs),
      c32([...SNMP_GROUP, 31, 0], c.silentDrops),
    ]),
    new DynamicSegment(USM_STATS, () => [
      c32([...USM_STATS, 1, 0], c.usmUnsupportedSecLevels),
      c32([...USM_STATS, 2, 0], c.usmNotInTimeWindows),
      c32([...USM_STATS, 3, 0], c.usmUnknownUserNames),
      c32([...USM_STATS, 4, 0], c.usmUnknownEngineIDs),
      c32([...USM_STATS, 5, 0], c.usmWrongDigests),
      c32([...USM_STATS, 6, 0], c.usmDecryptionErrors),
    ]),
  ];
}

/** Former name (test/helpers/show-agent.ts uses it with TreeCache); prefer startSnmp(). */
export const vmtraceVarbinds = vmtraceSegments;
