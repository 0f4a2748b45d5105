// The one place where vSphere's wire shapes (ManagedObjectReference, xsi:type polymorphism,
// property paths) become vmtrace facts (shared/model.ts). Everything here is pure: XNode in,
// plain values out. Unexpected data is skipped with a log line through `warn`; only clean values
// leave this folder.

import type {
  HostDvsMembership,
  HostFact,
  HostPortgroup,
  HostVmknic,
  NetworkFact,
  PhysicalNic,
  PowerState,
  VlanRange,
  VlanSpec,
  VmFact,
  VnicFact,
} from '../../../shared/model.js';
import { child, childrenNamed, textOf, type XNode } from './xml-stream.js';

export type Warn = (msg: string, ctx?: Record<string, unknown>) => void;

export interface MoRef {
  type: string;
  value: string;
}

export function moref(n: XNode | undefined): MoRef | null {
  if (!n) return null;
  const value = n.text.trim();
  const type = n.attrs.type;
  if (!value || !type) return null;
  return { type, value };
}

export function factKey(vcenter: string, moid: string): string {
  return `${vcenter}/${moid}`;
}

/**
 * The properties rule 1 needs, in three filters, each on its own dedicated property collector
 * (a fourth watches the event collector):
 * - HOT_PROPERTIES (VirtualMachine view): where each VM runs — what a vMotion moves — exactly
 *   the filter a bare placement watcher would use;
 * - VM_PROPERTIES (same view): names, power states, UUIDs, templates, vNICs;
 * - INVENTORY_PROPERTIES (HostSystem/Network/DVS view): host networking, portgroups, DVS.
 * Why not one: a collector re-evaluates its whole filter on every object change anywhere
 * (govmomi's simulator re-collects every object of the view, every property path, for each
 * change; vCenter does comparable bookkeeping), so VM placement must not wait behind 10,000
 * VMs' device lists, and a view mixing VMs with hosts makes every change type-check each object
 * against every property spec. Split, the placement filter costs what a bare client's does.
 */
export const HOT_PROPERTIES: ReadonlyArray<{ type: string; pathSet: string[] }> = [
  { type: 'VirtualMachine', pathSet: ['runtime.host'] },
];

export const VM_PROPERTIES: ReadonlyArray<{ type: string; pathSet: string[] }> = [
  { type: 'VirtualMachine', pathSet: ['name', 'runtime.powerState', 'config.instanceUuid', 'config.template', 'config.hardware.device'] },
];

export const INVENTORY_PROPERTIES: ReadonlyArray<{ type: string; pathSet: string[] }> = [
  {
    type: 'HostSystem',
    pathSet: [
      'name',
      'runtime.connectionState',
      // the parts of config.network rule 1 reads (not DNS, routes, net stacks…)
      'config.network.pnic',
      'config.network.vswitch',
      'config.network.portgroup',
      'config.network.proxySwitch',
      'config.network.vnic',
    ],
  },
  { type: 'Network', pathSet: ['name'] },
  // config.uplink (API 6.5+) and the DVS's uplinkPortgroup list both mark uplink portgroups
  { type: 'DistributedVirtualPortgroup', pathSet: ['config.distributedVirtualSwitch', 'config.defaultPortConfig', 'config.uplink'] },
  // the DVS's config carries its uuid (hosts name it by uuid), uplink portgroups and PVLAN map
  { type: 'DistributedVirtualSwitch', pathSet: ['config'] },
];

/** The ContainerView types of each filter. */
export const VM_VIEW_TYPES = ['VirtualMachine'];
export const INVENTORY_VIEW_TYPES = ['HostSystem', 'Network', 'DistributedVirtualSwitch'];

/** Both filters together, over one view: what a one-shot read (checkVcenter) retrieves. */
export const ALL_PROPERTIES: ReadonlyArray<{ type: string; pathSet: string[] }> = [
  { type: 'VirtualMachine', pathSet: [...HOT_PROPERTIES[0]!.pathSet, ...VM_PROPERTIES[0]!.pathSet] },
  ...INVENTORY_PROPERTIES,
];


// ---------------------------------------------------------------------------------------------
// What we read of the large values, as keep-trees: while parsing, any element of such a value
// that is not in its tree is skipped, never built. With 10,000 VMs most bytes are devices we do
// not read (disks, controllers, labels), and host network objects carry much we do not need;
// the host's parts are also kept between updates, so keeping them small bounds our memory.

type KeepTree = { [member: string]: KeepTree | true };

const VNIC_KEEP: KeepTree = {
  key: true,
  macAddress: true,
  backing: { network: true, port: true, deviceName: true, opaqueNetworkId: true },
  connectable: { connected: true },
};
const PNIC_KEEP: KeepTree = { key: true, device: true, mac: true };
const VSWITCH_KEEP: KeepTree = { name: true, key: true, pnic: true, spec: { bridge: { nicDevice: true } } };
const PORTGROUP_KEEP: KeepTree = { key: true, vswitch: true, spec: { name: true, vlanId: true, vswitchName: true } };
const PROXY_KEEP: KeepTree = { dvsUuid: true, key: true, pnic: true, spec: { backing: { pnicSpec: { pnicDevice: true } } } };
const VMKNIC_KEEP: KeepTree = {
  device: true,
  key: true,
  portgroup: true,
  spec: { ip: { ipAddress: true }, mac: true, portgroup: true, distributedVirtualPort: { portgroupKey: true } },
};

/** Items of array values (named by their type) and members of HostNetworkInfo (named by role). */
const VALUE_ITEMS: Record<string, KeepTree> = {
  VirtualDevice: VNIC_KEEP,
  PhysicalNic: PNIC_KEEP,
  pnic: PNIC_KEEP,
  HostVirtualSwitch: VSWITCH_KEEP,
  vswitch: VSWITCH_KEEP,
  HostPortGroup: PORTGROUP_KEEP,
  portgroup: PORTGROUP_KEEP,
  HostProxySwitch: PROXY_KEEP,
  proxySwitch: PROXY_KEEP,
  HostVirtualNic: VMKNIC_KEEP,
  vnic: VMKNIC_KEEP,
};

/** PruneRule for ObjectUpdate/ObjectContent subtrees (see xml-stream.ts). */
export function pruneValues(path: readonly string[], from: number): boolean {
  for (let i = Math.max(0, from - 1); i < path.length - 2; i++) {
    if (path[i] !== 'val') continue;
    let tree: KeepTree | true | undefined = VALUE_ITEMS[path[i + 1]!];
    if (tree === undefined) return false;
    for (let j = i + 2; j < path.length; j++) {
      if (tree === true) return false;
      tree = tree[path[j]!];
      if (tree === undefined) return true;
    }
    return false;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// ObjectUpdate (WaitForUpdatesEx) and ObjectContent (RetrievePropertiesEx), normalised.

export interface PropChange {
  name: string;
  op: 'assign' | 'remove' | 'add' | 'indirectRemove';
  val: XNode | undefined;
}

export interface ObjectChange {
  kind: 'enter' | 'modify' | 'leave';
  obj: MoRef;
  changes: PropChange[];
}

export function readObjectUpdate(n: XNode, warn: Warn): ObjectChange | null {
  const obj = moref(child(n, 'obj'));
  const kind = textOf(n, 'kind')?.trim();
  if (!obj || (kind !== 'enter' && kind !== 'modify' && kind !== 'leave')) {
    warn('skipping malformed ObjectUpdate', { kind, obj });
    return null;
  }
  const changes: PropChange[] = [];
  for (const c of childrenNamed(n, 'changeSet')) {
    const name = textOf(c, 'name')?.trim();
    const op = (textOf(c, 'op')?.trim() ?? 'assign') as PropChange['op'];
    if (!name) continue;
    changes.push({ name, op, val: child(c, 'val') });
  }
  return { kind, obj, changes };
}

/** RetrievePropertiesEx answers `objects` (ObjectContent): the same thing as an 'enter'. */
export function readObjectContent(n: XNode, warn: Warn): ObjectChange | null {
  const obj = moref(child(n, 'obj'));
  if (!obj) {
    warn('skipping ObjectContent without obj');
    return null;
  }
  const changes: PropChange[] = [];
  for (const p of childrenNamed(n, 'propSet')) {
    const name = textOf(p, 'name')?.trim();
    if (name) changes.push({ name, op: 'assign', val: child(p, 'val') });
  }
  return { kind: 'enter', obj, changes };
}

// ---------------------------------------------------------------------------------------------
// Leaf values.

function int(n: XNode | undefined): number | null {
  if (!n) return null;
  const v = Number(n.text.trim());
  return Number.isInteger(v) ? v : null;
}

function bool(n: XNode | undefined): boolean | null {
  if (!n) return null;
  const t = n.text.trim();
  return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : null;
}

const MAC_RE = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

function mac(s: string | undefined): string | null {
  if (!s) return null;
  const t = s.trim();
  return MAC_RE.test(t) ? t.toLowerCase().replace(/-/g, ':') : null;
}

function vlanId(v: number | null): v is number {
  return v !== null && v >= 0 && v <= 4095;
}

// ---------------------------------------------------------------------------------------------
// Per-object state, built from property changes. Each property is translated the moment it
// arrives into a compact value, so no XML is kept between updates.

export interface HostNetwork {
  pnics: PhysicalNic[];
  portgroups: HostPortgroup[];
  dvs: HostDvsMembership[];
  vmknics: HostVmknic[];
}

/** The raw parts of HostNetworkInfo we watch, each replaced whole when it changes. */
export type HostNetworkPart = 'pnic' | 'vswitch' | 'portgroup' | 'proxySwitch' | 'vnic';

export interface HostState {
  name?: string;
  /** per part, the array elements as received (small: a host has a handful of each) */
  parts: Partial<Record<HostNetworkPart, XNode[]>>;
  /** derived from parts, rebuilt when a part changes */
  network?: HostNetwork;
  connectionState?: string;
}

export interface VmState {
  name?: string;
  uuid?: string | null;
  template?: boolean;
  powerState?: PowerState;
  host?: string | null;
  vnics?: VnicFact[];
}

/** VLAN of a distributed portgroup before the DVS's PVLAN map is applied. */
export type RawDvVlan = VlanSpec | { kind: 'pvlan-secondary'; secondary: number };

export interface NetState {
  kind: 'standard' | 'distributed' | 'opaque';
  name?: string;
  dvsMoid?: string | null;
  vlan?: RawDvVlan | null;
  uplink?: boolean;
}

export interface DvsState {
  name?: string;
  uuid?: string;
  uplinkPortgroups: string[];
  /** secondary → primary (promiscuous entries map to themselves) */
  pvlan: Map<number, number>;
}

/** Apply one property change to a host's state. Returns false if the property was not understood. */
export function applyHostProp(s: HostState, c: PropChange, warn: Warn): boolean {
  const removed = c.op === 'remove' || c.op === 'indirectRemove' || c.val === undefined;
  switch (c.name) {
    case 'name':
      if (removed) delete s.name;
      else s.name = c.val!.text.trim();
      return true;
    case 'runtime.connectionState':
      if (removed) delete s.connectionState;
      else s.connectionState = c.val!.text.trim();
      return true;
    case 'config.network': {
      // a server that reports the parent path: split it into the parts we keep
      s.parts = {};
      for (const part of ['pnic', 'vswitch', 'portgroup', 'proxySwitch', 'vnic'] as const) {
        s.parts[part] = removed ? [] : c.val!.children.filter((x) => x.name === part);
      }
      s.network = readHostNetwork(partsNode(s.parts), warn);
      return true;
    }
    default: {
      const m = /^config\.network\.(pnic|vswitch|portgroup|proxySwitch|vnic)$/.exec(c.name);
      if (!m) {
        warn('ignoring unexpected HostSystem property', { property: c.name });
        return false;
      }
      const part = m[1] as HostNetworkPart;
      // an ArrayOfX value: its children are the elements; rename them to the HostNetworkInfo member
      s.parts[part] = removed ? [] : c.val!.children.map((x) => ({ ...x, name: part }));
      s.network = readHostNetwork(partsNode(s.parts), warn);
      return true;
    }
  }
}

function partsNode(parts: HostState['parts']): XNode {
  const children: XNode[] = [];
  for (const list of Object.values(parts)) if (list) children.push(...list);
  return { name: 'network', type: 'HostNetworkInfo', attrs: {}, text: '', children };
}

/** HostNetworkInfo → pNICs, per-host standard portgroups with their uplinks, DVS memberships, vmknics. */
export function readHostNetwork(n: XNode, warn: Warn): HostNetwork {
  const pnicByKey = new Map<string, string>();
  const pnics: PhysicalNic[] = [];
  for (const p of childrenNamed(n, 'pnic')) {
    const device = textOf(p, 'device')?.trim();
    const m = mac(textOf(p, 'mac'));
    if (!device || !m) {
      warn('skipping physical NIC without device or MAC', { device });
      continue;
    }
    const key = textOf(p, 'key')?.trim();
    if (key) pnicByKey.set(key, device);
    pnics.push({ device, mac: m });
  }
  const devicesOf = (keys: XNode[]): string[] => {
    const out: string[] = [];
    for (const k of keys) {
      const t = k.text.trim();
      const d = pnicByKey.get(t) ?? /PhysicalNic-(.+)$/.exec(t)?.[1];
      if (d) out.push(d);
    }
    return out;
  };

  // vSwitch uplinks, by switch key and by name (portgroups name either)
  const uplinksByVswitch = new Map<string, string[]>();
  for (const v of childrenNamed(n, 'vswitch')) {
    let uplinks = devicesOf(childrenNamed(v, 'pnic'));
    if (uplinks.length === 0) {
      // no runtime list: the bridge spec names the NICs
      uplinks = childrenNamed(child(child(v, 'spec'), 'bridge'), 'nicDevice').map((d) => d.text.trim()).filter(Boolean);
    }
    const key = textOf(v, 'key')?.trim();
    const name = textOf(v, 'name')?.trim();
    if (key) uplinksByVswitch.set(key, uplinks);
    if (name) uplinksByVswitch.set(name, uplinks);
  }

  const portgroups: HostPortgroup[] = [];
  for (const pg of childrenNamed(n, 'portgroup')) {
    const spec = child(pg, 'spec');
    const name = textOf(spec, 'name')?.trim();
    const vlan = int(child(spec, 'vlanId'));
    if (!name || !vlanId(vlan)) {
      warn('skipping standard portgroup without name or valid VLAN', { name, vlan });
      continue;
    }
    const byKey = uplinksByVswitch.get(textOf(pg, 'vswitch')?.trim() ?? '');
    const uplinks = byKey ?? uplinksByVswitch.get(textOf(spec, 'vswitchName')?.trim() ?? '') ?? null;
    portgroups.push({ name, vlan: { kind: 'vlan', vlan }, uplinks });
  }

  const dvs: HostDvsMembership[] = [];
  for (const ps of childrenNamed(n, 'proxySwitch')) {
    const uuid = textOf(ps, 'dvsUuid')?.trim();
    if (!uuid) {
      warn('skipping proxy switch without dvsUuid');
      continue;
    }
    let uplinks = devicesOf(childrenNamed(ps, 'pnic'));
    if (uplinks.length === 0) {
      const pnicSpecs = childrenNamed(child(child(ps, 'spec'), 'backing'), 'pnicSpec');
      uplinks = pnicSpecs.map((p) => textOf(p, 'pnicDevice')?.trim() ?? '').filter(Boolean);
    }
    dvs.push({ dvs: uuid, uplinks });
  }

  const vmknics: HostVmknic[] = [];
  for (const v of childrenNamed(n, 'vnic')) {
    const device = textOf(v, 'device')?.trim();
    const spec = child(v, 'spec');
    const dvPort = child(spec, 'distributedVirtualPort');
    const portgroup = textOf(v, 'portgroup')?.trim() || textOf(spec, 'portgroup')?.trim() || textOf(dvPort, 'portgroupKey')?.trim();
    if (!device || !portgroup) {
      warn('skipping vmknic without device or portgroup', { device });
      continue;
    }
    const ip = textOf(child(spec, 'ip'), 'ipAddress')?.trim() || null;
    vmknics.push({ device, portgroup: dvPort ? `dv:${portgroup}` : portgroup, ip, mac: mac(textOf(spec, 'mac')) });
  }
  return { pnics, portgroups, dvs, vmknics };
}

export function applyVmProp(vcenter: string, s: VmState, c: PropChange, warn: Warn): boolean {
  const removed = c.op === 'remove' || c.op === 'indirectRemove' || c.val === undefined;
  const v = c.val;
  switch (c.name) {
    case 'name':
      if (removed) delete s.name;
      else s.name = v!.text.trim();
      return true;
    case 'config.instanceUuid':
      s.uuid = removed ? null : v!.text.trim() || null;
      return true;
    case 'config.template':
      s.template = removed ? false : bool(v) ?? false;
      return true;
    case 'runtime.powerState': {
      const t = removed ? '' : v!.text.trim();
      if (t === 'poweredOn' || t === 'poweredOff' || t === 'suspended') s.powerState = t;
      else {
        warn('ignoring unknown VM power state', { powerState: t });
        return false;
      }
      return true;
    }
    case 'runtime.host': {
      const r = removed ? null : moref(v);
      s.host = r ? factKey(vcenter, r.value) : null;
      return true;
    }
    case 'config.hardware.device':
      s.vnics = removed ? [] : readVnics(vcenter, v!, warn);
      return true;
    default:
      warn('ignoring unexpected VirtualMachine property', { property: c.name });
      return false;
  }
}

/** ArrayOfVirtualDevice → the Ethernet cards (any device with a MAC and an Ethernet backing). */
export function readVnics(vcenter: string, arr: XNode, warn: Warn): VnicFact[] {
  const out: VnicFact[] = [];
  for (const d of arr.children) {
    const macText = textOf(d, 'macAddress');
    if (macText === undefined) continue; // disks, controllers, …
    const key = int(child(d, 'key'));
    const m = mac(macText);
    if (key === null || !m) {
      warn('skipping virtual NIC without key or valid MAC', { type: d.type, key });
      continue;
    }
    const backing = child(d, 'backing');
    let network: string | null = null;
    const btype = backing?.type ?? '';
    if (btype.endsWith('DistributedVirtualPortBackingInfo')) {
      const pgKey = textOf(child(backing, 'port'), 'portgroupKey')?.trim();
      network = pgKey ? factKey(vcenter, pgKey) : null;
    } else if (btype.endsWith('NetworkBackingInfo') || child(backing, 'network')) {
      const r = moref(child(backing, 'network'));
      network = r ? factKey(vcenter, r.value) : null;
    }
    // a card without connect info cannot be disconnected: it is connected
    const connectable = child(d, 'connectable');
    const connected = connectable ? (bool(child(connectable, 'connected')) ?? false) : true;
    out.push({ key, mac: m, network, connected });
  }
  return out;
}

export function applyNetworkProp(s: NetState, c: PropChange, warn: Warn): boolean {
  const removed = c.op === 'remove' || c.op === 'indirectRemove' || c.val === undefined;
  switch (c.name) {
    case 'name':
      if (removed) delete s.name;
      else s.name = c.val!.text.trim();
      return true;
    case 'config.distributedVirtualSwitch':
      s.dvsMoid = removed ? null : (moref(c.val)?.value ?? null);
      return true;
    case 'config.defaultPortConfig':
      s.vlan = removed ? null : readDvVlan(c.val!, warn);
      return true;
    case 'config.uplink':
      s.uplink = removed ? false : bool(c.val) ?? false;
      return true;
    default:
      warn('ignoring unexpected network property', { property: c.name });
      return false;
  }
}

/** VMwareDVSPortSetting.vlan: VlanIdSpec | TrunkVlanSpec | PvlanSpec (by xsi:type). */
export function readDvVlan(portSetting: XNode, warn: Warn): RawDvVlan | null {
  const v = child(portSetting, 'vlan');
  if (!v) return { kind: 'none' };
  const t = v.type ?? '';
  if (t.endsWith('VlanIdSpec')) {
    const id = int(child(v, 'vlanId'));
    if (!vlanId(id)) {
      warn('skipping distributed portgroup VLAN id out of range', { vlanId: id });
      return null;
    }
    return { kind: 'vlan', vlan: id };
  }
  if (t.endsWith('TrunkVlanSpec')) {
    const ranges: VlanRange[] = [];
    for (const r of childrenNamed(v, 'vlanId')) {
      const from = int(child(r, 'start'));
      const to = int(child(r, 'end'));
      if (!vlanId(from) || !vlanId(to) || from > to) {
        warn('skipping malformed VLAN trunk range', { from, to });
        continue;
      }
      ranges.push({ from, to });
    }
    return { kind: 'trunk', ranges };
  }
  if (t.endsWith('PvlanSpec')) {
    const id = int(child(v, 'pvlanId'));
    if (!vlanId(id)) {
      warn('skipping private VLAN id out of range', { pvlanId: id });
      return null;
    }
    return { kind: 'pvlan-secondary', secondary: id };
  }
  warn('unknown distributed portgroup VLAN type', { type: t });
  return null;
}

export function applyDvsProp(s: DvsState, c: PropChange, warn: Warn): boolean {
  if (c.name !== 'config') {
    warn('ignoring unexpected DVS property', { property: c.name });
    return false;
  }
  const cfg = c.val;
  s.uplinkPortgroups = [];
  s.pvlan = new Map();
  if (!cfg || c.op === 'remove') return true;
  const name = textOf(cfg, 'name')?.trim();
  const uuid = textOf(cfg, 'uuid')?.trim();
  if (name) s.name = name;
  if (uuid) s.uuid = uuid;
  for (const u of childrenNamed(cfg, 'uplinkPortgroup')) {
    const r = moref(u);
    if (r) s.uplinkPortgroups.push(r.value);
  }
  for (const e of childrenNamed(cfg, 'pvlanConfig')) {
    const primary = int(child(e, 'primaryVlanId'));
    const secondary = int(child(e, 'secondaryVlanId'));
    if (vlanId(primary) && vlanId(secondary)) s.pvlan.set(secondary, primary);
    else warn('skipping malformed PVLAN map entry', { primary, secondary });
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Facts.

export function hostFact(vcenter: string, moid: string, s: HostState): HostFact | null {
  if (!s.name) return null;
  const net = s.network ?? { pnics: [], portgroups: [], dvs: [], vmknics: [] };
  const f: HostFact = {
    key: factKey(vcenter, moid),
    vcenter,
    moid,
    name: s.name,
    pnics: net.pnics,
    portgroups: net.portgroups,
    dvs: net.dvs,
    // distributed vmknic portgroups are named by their NetworkFact key
    vmknics: net.vmknics.map((v) => (v.portgroup.startsWith('dv:') ? { ...v, portgroup: factKey(vcenter, v.portgroup.slice(3)) } : v)),
  };
  if (s.connectionState !== undefined) f.connectionState = s.connectionState;
  return f;
}

export function vmFact(vcenter: string, moid: string, s: VmState): VmFact | null {
  if (s.name === undefined || s.powerState === undefined) return null;
  return {
    key: factKey(vcenter, moid),
    vcenter,
    moid,
    name: s.name,
    uuid: s.uuid ?? null,
    powerState: s.powerState,
    template: s.template ?? false,
    host: s.host ?? null,
    vnics: s.vnics ?? [],
  };
}

export function networkFact(
  vcenter: string,
  moid: string,
  s: NetState,
  dvs: DvsState | undefined,
  warn: Warn,
): NetworkFact | null {
  if (!s.name) return null;
  const base = { key: factKey(vcenter, moid), vcenter, moid, name: s.name };
  if (s.kind === 'standard') return { ...base, kind: 'standard', vlan: null, dvs: null };
  if (s.kind === 'opaque') return { ...base, kind: 'opaque', vlan: { kind: 'none' }, dvs: null };
  let vlan: VlanSpec | null = null;
  const raw = s.vlan ?? null;
  if (raw && raw.kind === 'pvlan-secondary') {
    const primary = dvs?.pvlan.get(raw.secondary);
    if (primary === undefined) {
      if (dvs) warn('private VLAN not in the DVS PVLAN map', { portgroup: s.name, secondary: raw.secondary });
      vlan = { kind: 'none' };
    } else vlan = { kind: 'pvlan', primary, secondary: raw.secondary };
  } else vlan = raw ?? { kind: 'none' };
  const uplink = s.uplink === true || (dvs?.uplinkPortgroups.includes(moid) ?? false);
  return { ...base, kind: 'distributed', vlan, dvs: dvs?.uuid ?? null, uplink };
}
