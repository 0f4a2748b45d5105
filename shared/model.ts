// The domain model shared by the agent, the TUI and the tests. Plain data, no I/O: sources
// produce these facts, the core turns them into desired state and plans.

/** 802.1Q VLAN id. 0 = untagged (rides the native VLAN), 4095 = "all VLANs" on a standard portgroup. */
export type VlanId = number;

export interface VlanRange {
  from: VlanId;
  to: VlanId;
}

/** How a portgroup carries its VMs' traffic on the wire. */
export type VlanSpec =
  | { kind: 'vlan'; vlan: VlanId }
  | { kind: 'trunk'; ranges: VlanRange[] }
  | { kind: 'pvlan'; primary: VlanId; secondary: VlanId }
  /** No VLAN information (overlay/NSX opaque network, unknown backing). */
  | { kind: 'none' };

// ---------------------------------------------------------------------------------------------
// vCenter facts. Every key is `${vcenter}/${moid}` so two vCenters' `host-12` never collide.

export interface PhysicalNic {
  /** `vmnic0` */
  device: string;
  /** lower-case colon-separated MAC */
  mac: string;
}

/** A portgroup as one host sees it: standard portgroups are per host (same name, other VLAN). */
export interface HostPortgroup {
  name: string;
  vlan: VlanSpec;
  /** The host's physical NICs carrying it (the vSwitch's uplinks); null when unknown. */
  uplinks: string[] | null;
}

/** A host's membership in a distributed switch: which of its pNICs are that DVS's uplinks. */
export interface HostDvsMembership {
  /** DVS uuid or moid, as `NetworkFact.dvs` names it */
  dvs: string;
  uplinks: string[];
}

export interface HostVmknic {
  device: string;
  /** name of a standard portgroup, or the key of a distributed portgroup */
  portgroup: string;
  ip: string | null;
  mac: string | null;
}

export interface HostFact {
  key: string;
  vcenter: string;
  moid: string;
  /** DNS name as vCenter knows it, e.g. `esx-01.lab.example` */
  name: string;
  pnics: PhysicalNic[];
  portgroups: HostPortgroup[];
  dvs: HostDvsMembership[];
  vmknics: HostVmknic[];
  /** connected + not in maintenance; informational */
  connectionState?: string;
}

export interface NetworkFact {
  key: string;
  vcenter: string;
  moid: string;
  name: string;
  kind: 'standard' | 'distributed' | 'opaque';
  /** distributed portgroups carry their own VLAN; standard ones take it from each host */
  vlan: VlanSpec | null;
  /** distributed: the DVS it belongs to (matches HostDvsMembership.dvs) */
  dvs: string | null;
  /** distributed: uplink portgroups are not VM networks */
  uplink?: boolean;
}

export type PowerState = 'poweredOn' | 'poweredOff' | 'suspended';

export interface VnicFact {
  /** device key within the VM (4000, 4001, …) */
  key: number;
  mac: string;
  /** NetworkFact.key of the backing network (standard Network or distributed portgroup), null if unknown */
  network: string | null;
  connected: boolean;
}

export interface VmFact {
  key: string;
  vcenter: string;
  moid: string;
  name: string;
  uuid: string | null;
  powerState: PowerState;
  template: boolean;
  /** HostFact.key of runtime.host */
  host: string | null;
  vnics: VnicFact[];
}

/** What one vCenter source says about its link to vCenter. */
export interface SourceStatus {
  name: string;
  state: 'connecting' | 'syncing' | 'synced' | 'disconnected';
  /** ms since epoch of the last completed (re)sync, null if never */
  lastSync: number | null;
  error?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Neighbours (LLDP/CDP), learned per switch interface.

export type NeighborProtocol = 'lldp' | 'cdp' | 'pinned';

export interface Neighbor {
  /** switch interface the frame came in on (a LAG member, or the port itself) */
  iface: string;
  protocol: NeighborProtocol;
  /** chassis id as text (MAC in lower-case colon form when the subtype is MAC) */
  chassisId: string;
  chassisIdSubtype: number;
  portId: string;
  portIdSubtype: number;
  sysName: string | null;
  sysDescr: string | null;
  portDescr: string | null;
  mgmtAddresses: string[];
  ttl: number;
  /** ms since epoch, the last frame */
  lastSeen: number;
  /** ms since epoch, the last change of content (LLDP-MIB time mark) */
  lastChange: number;
  /** chassis / port id bytes after the subtype, lower-case hex (LLDP-MIB serves the raw bytes) */
  chassisIdRaw?: string;
  portIdRaw?: string;
  /** 802.1AB capability bits (0x04 bridge, 0x10 router, 0x80 station …); CDP mapped as lldpd does */
  capabilities?: { supported: number; enabled: number } | null;
  /** management addresses with their LLDP details (mgmtAddresses holds the same addresses as text) */
  mgmt?: NeighborMgmtAddress[];
  /** LLDP-MIB lldpRemIndex: per remote chassis, assigned on first sight (lldpd's counter) */
  remIndex?: number;
  /** CDP-only details */
  cdp?: NeighborCdp | null;
}

export interface NeighborMgmtAddress {
  /** IANA address family (1 IPv4, 2 IPv6, 6 MAC) */
  family: number;
  address: string;
  /** address bytes, lower-case hex */
  raw: string;
  /** interface numbering: 1 unknown, 2 ifIndex, 3 system port number */
  ifSubtype: number;
  ifId: number;
  /** dotted OID, '' when none */
  oid: string;
}

export interface NeighborCdp {
  deviceId: string;
  platform: string | null;
  softwareVersion: string | null;
  nativeVlan: number | null;
  duplex: 'full' | 'half' | null;
  vtpDomain: string | null;
  /** CDP capability word */
  capabilities: number | null;
}

/** A neighbour resolved to a vCenter host NIC (core/match). */
export interface NeighborMatch {
  iface: string;
  hostKey: string;
  nic: string;
  via: 'name+port' | 'mac' | 'pinned';
}

// ---------------------------------------------------------------------------------------------
// The switch.

/** A switch port as the device reports it. A LAG is one port with several member interfaces. */
export interface DevicePort {
  name: string;
  interfaces: string[];
  /** VLANs allowed on the trunk; [] means the device has none set (OVS: all VLANs!) */
  trunks: VlanId[];
  /** access/native VLAN, if any */
  tag: VlanId | null;
  ifIndex: number | null;
}

export interface DeviceSnapshot {
  ports: DevicePort[];
}

// ---------------------------------------------------------------------------------------------
// Plans: what the controller applies to the device.

/** Which rule of DESIGN §3 produced a decision. */
export type Rule = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

export interface VlanChange {
  vlan: VlanId;
  rule: Rule;
  reason: string;
}

export interface PortChange {
  port: string;
  add: VlanChange[];
  remove: VlanChange[];
}

/** A decision not to act, shown to the operator. */
export interface Holdback {
  port: string;
  vlan: VlanId | null;
  rule: Rule;
  kind: 'hold-down' | 'frozen' | 'limit' | 'range' | 'guard' | 'orphaned' | 'anomaly';
  reason: string;
  /** hold-down: ms since epoch when removal becomes due */
  until?: number;
}

export interface Plan {
  /** ms since epoch the plan was computed for */
  at: number;
  changes: PortChange[];
  holdbacks: Holdback[];
  /** rule 5: the plan's removals were refused as a whole */
  guardTripped: boolean;
}

// ---------------------------------------------------------------------------------------------
// VTEP (hardware_vtep): rule 10.

export interface VtepBinding {
  port: string;
  vlan: VlanId;
  vni: number;
}

export interface VtepRemoteMac {
  vni: number;
  mac: string;
  /** remote VTEP IP (the host's vmknic on the VTEP portgroup) */
  vtep: string;
}

export interface VtepState {
  bindings: VtepBinding[];
  macs: VtepRemoteMac[];
  /** per VNI, the locators flooded for unknown-dst */
  flood: { vni: number; vteps: string[] }[];
}

// ---------------------------------------------------------------------------------------------
// Journal entries, stored and served over SNMP.

export type JournalKind =
  | 'vlan-added'
  | 'vlan-removed'
  | 'plan-refused'
  | 'limit-reached'
  | 'vcenter-state'
  | 'vcenter-gap'
  | 'vm-event'
  | 'neighbor'
  | 'anomaly'
  | 'agent'
  | 'out-of-band'
  /** mode: dry-run — what enforce mode would have changed */
  | 'dry-run';

export interface JournalEntry {
  id?: number;
  at: number;
  kind: JournalKind;
  port: string | null;
  vlan: VlanId | null;
  message: string;
}
