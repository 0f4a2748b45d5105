// hardware_vtep rows as read in one transaction, with their uuids, and the VtepState they mean
// (DESIGN rule 10): Physical_Port.vlan_bindings → Logical_Switch(tunnel_key = VNI),
// Ucast_Macs_Remote(MAC → Physical_Locator.dst_ip), Mcast_Macs_Remote("unknown-dst" →
// Physical_Locator_Set). Pure: the driver does the I/O.

import type { VtepState } from '../../../shared/model.js';
import { VmtraceError } from '../../../shared/errors.js';
import { type OvsdbRow, type OpResult, intSet, mapEntries, nameOf, optionalInt, uuidOf, uuidSet } from './wire.js';

export const VTEP_DB = 'hardware_vtep';
export const UNKNOWN_DST = 'unknown-dst';
export const VXLAN = 'vxlan_over_ipv4';

export interface VtepSnapshot {
  /** Physical_Switch name in use */
  switchName: string;
  ports: Map<string, { uuid: string; bindings: Map<number, string> }>;
  logicalSwitches: Map<string, { name: string; vni: number | null }>;
  lsByVni: Map<number, string>;
  locators: Map<string, string>;
  /** dst_ip → uuid of a vxlan_over_ipv4 locator without its own tunnel_key */
  locatorByIp: Map<string, string>;
  ucast: { uuid: string; mac: string; ls: string; locator: string }[];
  mcast: { uuid: string; mac: string; ls: string; locatorSet: string }[];
  locatorSets: Map<string, string[]>;
}

export const SNAPSHOT_OPS = [
  { op: 'select', table: 'Physical_Switch', where: [], columns: ['_uuid', 'name', 'ports'] },
  { op: 'select', table: 'Physical_Port', where: [], columns: ['_uuid', 'name', 'vlan_bindings'] },
  { op: 'select', table: 'Logical_Switch', where: [], columns: ['_uuid', 'name', 'tunnel_key'] },
  { op: 'select', table: 'Physical_Locator', where: [], columns: ['_uuid', 'encapsulation_type', 'dst_ip', 'tunnel_key'] },
  { op: 'select', table: 'Physical_Locator_Set', where: [], columns: ['_uuid', 'locators'] },
  { op: 'select', table: 'Ucast_Macs_Remote', where: [], columns: ['_uuid', 'MAC', 'logical_switch', 'locator'] },
  { op: 'select', table: 'Mcast_Macs_Remote', where: [], columns: ['_uuid', 'MAC', 'logical_switch', 'locator_set'] },
];

function str(row: OvsdbRow, col: string): string {
  const v = row[col];
  return typeof v === 'string' ? v : '';
}

function id(row: OvsdbRow, col = '_uuid'): string {
  return uuidOf(row[col]) ?? '';
}

/**
 * Builds the snapshot; `wantSwitch` names the Physical_Switch (default: the one named like
 * `fallbackName`, else the only one). No Physical_Switch at all = no ports to bind.
 */
export function parseSnapshot(results: OpResult[], wantSwitch: string | null, fallbackName: string, endpoint: string): VtepSnapshot {
  const rows = results.map((r, i) => {
    if (r.error) throw new VmtraceError('OVSDB_ERROR', `hardware_vtep at ${endpoint}: read ${SNAPSHOT_OPS[i]?.table} failed: ${r.error}`);
    return r.rows ?? [];
  });
  const [switches, ports, lss, locs, sets, ucast, mcast] = rows as OvsdbRow[][];
  const pick =
    wantSwitch !== null
      ? switches!.find((s) => nameOf(s) === wantSwitch)
      : (switches!.find((s) => nameOf(s) === fallbackName) ?? (switches!.length === 1 ? switches![0] : undefined));
  if (!pick && (wantSwitch !== null || switches!.length > 1)) {
    const names = switches!.map(nameOf).join(', ') || 'none';
    throw new VmtraceError(
      'OVSDB_BRIDGE_MISSING',
      `hardware_vtep at ${endpoint}: Physical_Switch "${wantSwitch ?? fallbackName}" not found (present: ${names})`,
    );
  }
  const ourPorts = new Set(pick ? uuidSet(pick['ports']) : []);
  const snap: VtepSnapshot = {
    switchName: pick ? nameOf(pick) : (wantSwitch ?? fallbackName),
    ports: new Map(),
    logicalSwitches: new Map(),
    lsByVni: new Map(),
    locators: new Map(),
    locatorByIp: new Map(),
    ucast: [],
    mcast: [],
    locatorSets: new Map(),
  };
  for (const p of ports!) {
    if (!ourPorts.has(id(p))) continue;
    const bindings = new Map<number, string>();
    for (const [k, v] of mapEntries(p['vlan_bindings'])) {
      const ls = uuidOf(v);
      if (typeof k === 'number' && ls) bindings.set(k, ls);
    }
    snap.ports.set(nameOf(p), { uuid: id(p), bindings });
  }
  for (const ls of lss!) {
    const vni = optionalInt(ls['tunnel_key']);
    snap.logicalSwitches.set(id(ls), { name: nameOf(ls), vni });
    if (vni !== null && !snap.lsByVni.has(vni)) snap.lsByVni.set(vni, id(ls));
  }
  for (const l of locs!) {
    const ip = str(l, 'dst_ip');
    snap.locators.set(id(l), ip);
    if (str(l, 'encapsulation_type') === VXLAN && intSet(l['tunnel_key']).length === 0 && !snap.locatorByIp.has(ip)) {
      snap.locatorByIp.set(ip, id(l));
    }
  }
  for (const s of sets!) snap.locatorSets.set(id(s), uuidSet(s['locators']));
  for (const u of ucast!) snap.ucast.push({ uuid: id(u), mac: str(u, 'MAC'), ls: id(u, 'logical_switch'), locator: id(u, 'locator') });
  for (const m of mcast!) snap.mcast.push({ uuid: id(m), mac: str(m, 'MAC'), ls: id(m, 'logical_switch'), locatorSet: id(m, 'locator_set') });
  return snap;
}

/** What the rows mean, sorted; rows whose Logical_Switch has no tunnel_key are not VNIs and are left out. */
export function snapshotState(s: VtepSnapshot): VtepState {
  const vniOf = (ls: string): number | null => s.logicalSwitches.get(ls)?.vni ?? null;
  const state: VtepState = { bindings: [], macs: [], flood: [] };
  for (const [port, p] of s.ports) {
    for (const [vlan, ls] of p.bindings) {
      const vni = vniOf(ls);
      if (vni !== null) state.bindings.push({ port, vlan, vni });
    }
  }
  for (const u of s.ucast) {
    const vni = vniOf(u.ls);
    const ip = s.locators.get(u.locator);
    if (vni !== null && ip !== undefined) state.macs.push({ vni, mac: u.mac.toLowerCase(), vtep: ip });
  }
  for (const m of s.mcast) {
    const vni = vniOf(m.ls);
    if (vni === null || m.mac !== UNKNOWN_DST) continue;
    const vteps = (s.locatorSets.get(m.locatorSet) ?? []).map((l) => s.locators.get(l)).filter((ip): ip is string => ip !== undefined);
    state.flood.push({ vni, vteps: [...new Set(vteps)] });
  }
  return sortVtepState(state);
}

const nameCollator = new Intl.Collator('en', { numeric: true });

export function sortVtepState(s: VtepState): VtepState {
  return {
    bindings: [...s.bindings].sort((a, b) => nameCollator.compare(a.port, b.port) || a.vlan - b.vlan),
    macs: [...s.macs].sort((a, b) => a.vni - b.vni || a.mac.localeCompare(b.mac)),
    flood: [...s.flood]
      .map((f) => ({ vni: f.vni, vteps: [...f.vteps].sort() }))
      .filter((f) => f.vteps.length > 0)
      .sort((a, b) => a.vni - b.vni),
  };
}
