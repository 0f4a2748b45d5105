// What an LLDPDU decodes to (IEEE 802.1AB-2016, with the 802.1/802.3 organisational TLVs and
// ANSI/TIA-1057 LLDP-MED). Plain JSON-safe data: bytes travel as lower-case hex strings, so a
// frame can be logged, stored or printed by `vmtrace lldp decode --json` as is.

export interface LldpId {
  /** chassis ID subtype (1-7) or port ID subtype (1-7) */
  subtype: number;
  /** readable form: MAC `aa:bb:…`, network address as IP text, names as text, circuit id as hex */
  id: string;
  /** the ID bytes after the subtype, hex (LLDP-MIB serves these) */
  raw: string;
}

export interface LldpMgmtAddress {
  /** IANA address family number (1 IPv4, 2 IPv6, 6 802 MAC …) */
  family: number;
  /** IP text for IPv4/IPv6, MAC text for 802, hex otherwise */
  address: string;
  /** the address bytes, hex (LLDP-MIB index) */
  raw: string;
  /** interface numbering subtype: 1 unknown, 2 ifIndex, 3 system port number */
  ifSubtype: number;
  ifId: number;
  /** dotted OID text, '' when none */
  oid: string;
}

export interface LldpCapabilities {
  /** 802.1AB bit map: 0x01 other, 0x02 repeater, 0x04 bridge, 0x08 WLAN AP, 0x10 router,
   *  0x20 telephone, 0x40 DOCSIS, 0x80 station only, 0x100 C-VLAN, 0x200 S-VLAN, 0x400 TPMR */
  supported: number;
  enabled: number;
}

/** Decoded value of a known organisational TLV. */
export type OrgValue =
  | { kind: 'dot1-pvid'; pvid: number }
  | { kind: 'dot1-ppvid'; flags: number; ppvid: number }
  | { kind: 'dot1-vlan-name'; vlan: number; name: string }
  | { kind: 'dot1-protocol-identity'; protocol: string }
  | { kind: 'link-aggregation'; status: number; portId: number }
  | { kind: 'dot3-mac-phy'; autoneg: number; pmdCapability: number; mauType: number }
  | { kind: 'dot3-power'; mdiSupport: number; pairs: number; powerClass: number; extra: string }
  | { kind: 'dot3-max-frame-size'; size: number }
  | { kind: 'med-capabilities'; capabilities: number; deviceType: number }
  | { kind: 'med-network-policy'; app: number; unknown: boolean; tagged: boolean; vlan: number; priority: number; dscp: number }
  | { kind: 'med-location'; format: number; data: string }
  | { kind: 'med-ext-power'; powerType: number; source: number; priority: number; milliwatts: number }
  | { kind: 'med-inventory'; field: MedInventoryField; value: string }
  | { kind: 'mud-url'; url: string };

export type MedInventoryField = 'hardwareRevision' | 'firmwareRevision' | 'softwareRevision' | 'serialNumber' | 'manufacturer' | 'model' | 'assetId';

export type LldpTlv =
  | { type: 0; kind: 'end' }
  | { type: 1; kind: 'chassis-id'; value: LldpId }
  | { type: 2; kind: 'port-id'; value: LldpId }
  | { type: 3; kind: 'ttl'; ttl: number }
  | { type: 4; kind: 'port-description'; text: string }
  | { type: 5; kind: 'system-name'; text: string }
  | { type: 6; kind: 'system-description'; text: string }
  | { type: 7; kind: 'capabilities'; value: LldpCapabilities }
  | { type: 8; kind: 'management-address'; value: LldpMgmtAddress }
  /** known org TLVs carry `value`; unknown ones `value: null`, kept raw */
  | { type: 127; kind: 'org'; oui: number; subtype: number; name: string | null; value: OrgValue | null; raw: string }
  /** reserved TLV types 9-126: counted, kept raw, not fatal */
  | { type: number; kind: 'unknown'; raw: string };

export interface LldpFrame {
  chassisId: LldpId;
  portId: LldpId;
  ttl: number;
  portDescr: string | null;
  sysName: string | null;
  sysDescr: string | null;
  capabilities: LldpCapabilities | null;
  mgmtAddresses: LldpMgmtAddress[];
  /** 802.1 Port VLAN ID, null when absent */
  pvid: number | null;
  vlanNames: { vlan: number; name: string }[];
  /** 802.3 (or 802.1-2009) link aggregation: aggregated port id when the status says aggregated */
  linkAggregation: { status: number; portId: number } | null;
  maxFrameSize: number | null;
  med: {
    capabilities: number;
    deviceType: number;
    policies: Extract<OrgValue, { kind: 'med-network-policy' }>[];
    inventory: Partial<Record<MedInventoryField, string>>;
  } | null;
  /** organisational TLVs we do not decode, kept raw */
  orgUnknown: { oui: number; subtype: number; raw: string }[];
  /** count of reserved (9-126) TLVs */
  unknownTlvs: number;
  /** every TLV in frame order (the END included) */
  tlvs: LldpTlv[];
}
