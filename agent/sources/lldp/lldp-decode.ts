// IEEE 802.1AB LLDPDU decoder (the bytes after the Ethernet header). Pure, bounds-checked,
// never throws: see reader.ts for the cursor and decode-result.ts for the single error exit.

import { ByteReader, hex, hexAt, ipv4, ipv6, mac, macAt, text, textAt } from './reader.js';
import { fail, ok, type DecodeError, type Result } from './decode-result.js';
import type { LldpFrame, LldpId, LldpMgmtAddress, LldpTlv, MedInventoryField, OrgValue } from './lldp-types.js';

export const OUI_DOT1 = 0x0080c2;
export const OUI_DOT3 = 0x00120f;
export const OUI_MED = 0x0012bb;
export const OUI_IANA = 0x00005e;

const TLV_NAMES: Record<number, string> = {
  0: 'End',
  1: 'Chassis ID',
  2: 'Port ID',
  3: 'Time To Live',
  4: 'Port Description',
  5: 'System Name',
  6: 'System Description',
  7: 'System Capabilities',
  8: 'Management Address',
  127: 'Organisational',
};

export function lldpTlvName(type: number): string {
  return `${TLV_NAMES[type] ?? 'Reserved'} (${type})`;
}

/** Thrown nowhere: a handler returns a reason string when its TLV is malformed. */
type Bad = string;

export function decodeLldp(pdu: Uint8Array): Result<LldpFrame, DecodeError<LldpTlv>> {
  const r = new ByteReader(pdu);
  const tlvs: LldpTlv[] = [];
  const f: LldpFrame = {
    chassisId: { subtype: 0, id: '', raw: '' },
    portId: { subtype: 0, id: '', raw: '' },
    ttl: 0,
    portDescr: null,
    sysName: null,
    sysDescr: null,
    capabilities: null,
    mgmtAddresses: [],
    pvid: null,
    vlanNames: [],
    linkAggregation: null,
    maxFrameSize: null,
    med: null,
    orgUnknown: [],
    unknownTlvs: 0,
    tlvs,
  };
  const bad = (type: number, offset: number, reason: string) =>
    fail<LldpTlv>({ protocol: 'lldp', tlv: type < 0 ? 'frame' : lldpTlvName(type), tlvType: type, offset, reason, partial: tlvs });

  let index = 0;
  let gotEnd = false;
  while (r.remaining > 0 && !gotEnd) {
    const start = r.pos;
    if (!r.has(2)) return bad(-1, start, 'TLV header truncated');
    const head = r.u16();
    const type = head >>> 9;
    const len = head & 0x1ff;
    // structure: chassis ID first, port ID second, TTL third (802.1AB 8.2)
    const expected = index < 3 ? index + 1 : 0;
    if (expected && type !== expected) {
      return bad(type, start, `expected ${lldpTlvName(expected)} as TLV ${index + 1}, found ${lldpTlvName(type)}`);
    }
    if (index >= 3 && type >= 1 && type <= 3) return bad(type, start, `duplicate ${lldpTlvName(type)}`);
    const out = r.inWindow(len, (w) => decodeTlv(type, len, w, f));
    if (!out) return bad(type, start, `length ${len} runs past the end of the frame (${pdu.length - start - 2} bytes left)`);
    const res = out.value;
    if (typeof res === 'string') return bad(type, start, res);
    if (out.overRead) return bad(type, start, `TLV shorter than its content (length ${len})`);
    tlvs.push(res);
    if (type === 0) gotEnd = true;
    index++;
  }
  if (index < 3) return bad(-1, r.pos, 'mandatory TLVs missing (chassis ID, port ID, TTL)');
  return ok(f);
}

function decodeTlv(type: number, len: number, w: ByteReader, f: LldpFrame): LldpTlv | Bad {
  switch (type) {
    case 0:
      if (len !== 0) return `END with a body (length ${len})`;
      return { type: 0, kind: 'end' };
    case 1: {
      if (len < 2 || len > 256) return `length ${len} outside 2-256`;
      const id = decodeId(w, CHASSIS_MAC, CHASSIS_NET, -1);
      if (typeof id === 'string') return id;
      f.chassisId = id;
      return { type: 1, kind: 'chassis-id', value: id };
    }
    case 2: {
      if (len < 2 || len > 256) return `length ${len} outside 2-256`;
      const id = decodeId(w, PORT_MAC, PORT_NET, PORT_CIRCUIT);
      if (typeof id === 'string') return id;
      f.portId = id;
      return { type: 2, kind: 'port-id', value: id };
    }
    case 3:
      if (len < 2) return `length ${len}, need 2`;
      f.ttl = w.u16();
      return { type: 3, kind: 'ttl', ttl: f.ttl };
    case 4:
      f.portDescr = w.restText();
      return { type: 4, kind: 'port-description', text: f.portDescr };
    case 5:
      f.sysName = w.restText();
      return { type: 5, kind: 'system-name', text: f.sysName };
    case 6:
      f.sysDescr = w.restText();
      return { type: 6, kind: 'system-description', text: f.sysDescr };
    case 7: {
      if (len < 4) return `length ${len}, need 4`;
      const value = { supported: w.u16(), enabled: w.u16() };
      f.capabilities = value;
      return { type: 7, kind: 'capabilities', value };
    }
    case 8: {
      const m = decodeMgmt(w);
      if (typeof m === 'string') return m;
      f.mgmtAddresses.push(m);
      return { type: 8, kind: 'management-address', value: m };
    }
    case 127:
      return decodeOrg(w, len, f);
    default:
      f.unknownTlvs++;
      return { type, kind: 'unknown', raw: w.restHex() };
  }
}

const CHASSIS_MAC = 4;
const CHASSIS_NET = 5;
const PORT_MAC = 3;
const PORT_NET = 4;
const PORT_CIRCUIT = 6;

function decodeId(w: ByteReader, macSub: number, netSub: number, circuitSub: number): LldpId | Bad {
  const subtype = w.u8();
  const { buf, pos, end } = w;
  const raw = hexAt(buf, pos, end);
  w.pos = end;
  const n = end - pos;
  if (subtype === macSub) {
    if (n !== 6) return `MAC address subtype with ${n} bytes`;
    return { subtype, id: macAt(buf, pos), raw };
  }
  if (subtype === netSub) {
    const a = address(buf.subarray(pos, end));
    if (typeof a === 'string') return a;
    return { subtype, id: a.text, raw };
  }
  // circuit id is binary; 0 and 8-255 are reserved: keep them readable as hex rather than guess
  if (subtype === circuitSub || subtype === 0 || subtype > 7) return { subtype, id: raw, raw };
  return { subtype, id: textAt(buf, pos, end), raw };
}

/** `family` byte + address bytes (chassis/port "network address", management address). */
function address(b: Uint8Array): { family: number; text: string } | Bad {
  if (b.length < 2) return 'network address too short';
  const family = b[0]!;
  const a = b.subarray(1);
  if (family === 1) {
    if (a.length !== 4) return `IPv4 address of ${a.length} bytes`;
    return { family, text: ipv4(a) };
  }
  if (family === 2) {
    if (a.length !== 16) return `IPv6 address of ${a.length} bytes`;
    return { family, text: ipv6(a) };
  }
  if (family === 6 && a.length === 6) return { family, text: mac(a) };
  return { family, text: hex(a) };
}

function decodeMgmt(w: ByteReader): LldpMgmtAddress | Bad {
  if (!w.has(1)) return 'missing address string length';
  const strLen = w.u8();
  if (strLen < 2 || strLen > 32) return `address string length ${strLen} outside 2-32`;
  if (!w.has(strLen + 5)) return `address string length ${strLen} runs past the TLV`;
  const addrBytes = w.bytes(strLen);
  const a = address(addrBytes);
  if (typeof a === 'string') return a;
  const ifSubtype = w.u8();
  const ifId = w.u32();
  let oid = '';
  if (w.remaining > 0) {
    const oidLen = w.u8();
    if (oidLen > 128) return `OID length ${oidLen} over 128`;
    if (!w.has(oidLen)) return `OID length ${oidLen} runs past the TLV`;
    oid = berOid(w.bytes(oidLen));
  }
  return { family: a.family, address: a.text, raw: hex(addrBytes.subarray(1)), ifSubtype, ifId, oid };
}

/** BER-encoded OID body to dotted text; hex when it does not parse. */
function berOid(b: Uint8Array): string {
  if (b.length === 0) return '';
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) return hex(b);
    if ((b[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

// ---------------------------------------------------------------------------------------------
// Organisational TLVs

const DOT1_NAMES: Record<number, string> = {
  1: 'Port VLAN ID',
  2: 'Port and Protocol VLAN ID',
  3: 'VLAN Name',
  4: 'Protocol Identity',
  5: 'VID Usage Digest',
  6: 'Management VID',
  7: 'Link Aggregation',
  8: 'Congestion Notification',
  9: 'ETS Configuration',
  10: 'ETS Recommendation',
  11: 'Priority Flow Control Configuration',
  12: 'Application Priority',
  13: 'EVB',
  14: 'CDCP',
};
const DOT3_NAMES: Record<number, string> = {
  1: 'MAC/PHY Configuration/Status',
  2: 'Power Via MDI',
  3: 'Link Aggregation',
  4: 'Maximum Frame Size',
};
const MED_NAMES: Record<number, string> = {
  1: 'Media Capabilities',
  2: 'Network Policy',
  3: 'Location Identification',
  4: 'Extended Power-via-MDI',
  5: 'Inventory - Hardware Revision',
  6: 'Inventory - Firmware Revision',
  7: 'Inventory - Software Revision',
  8: 'Inventory - Serial Number',
  9: 'Inventory - Manufacturer Name',
  10: 'Inventory - Model Name',
  11: 'Inventory - Asset ID',
};
const MED_INVENTORY: Record<number, MedInventoryField> = {
  5: 'hardwareRevision',
  6: 'firmwareRevision',
  7: 'softwareRevision',
  8: 'serialNumber',
  9: 'manufacturer',
  10: 'model',
  11: 'assetId',
};

export function orgName(oui: number, subtype: number): string | null {
  if (oui === OUI_DOT1) return DOT1_NAMES[subtype] ?? null;
  if (oui === OUI_DOT3) return DOT3_NAMES[subtype] ?? null;
  if (oui === OUI_MED) return MED_NAMES[subtype] ?? null;
  if (oui === OUI_IANA && subtype === 1) return 'Manufacturer Usage Description URL';
  return null;
}

function decodeOrg(w: ByteReader, len: number, f: LldpFrame): LldpTlv | Bad {
  if (len < 4) return `length ${len}, need 4 (OUI + subtype)`;
  const oui = w.u24();
  const subtype = w.u8();
  const raw = hexAt(w.buf, w.pos, w.end);
  // the value is read inside the TLV's own window, which decodeLldp checks for over-reads
  const value = orgValue(oui, subtype, w, f);
  if (typeof value === 'string') return value;
  if (w.failed) return `${orgName(oui, subtype) ?? 'organisational TLV'} shorter than its content`;
  if (value === null) f.orgUnknown.push({ oui, subtype, raw });
  return { type: 127, kind: 'org', oui, subtype, name: orgName(oui, subtype), value, raw };
}

function need(v: ByteReader, n: number, what: string): Bad | null {
  return v.has(n) ? null : `${what}: ${v.remaining} bytes, need ${n}`;
}

function orgValue(oui: number, subtype: number, v: ByteReader, f: LldpFrame): OrgValue | null | Bad {
  if (oui === OUI_DOT1) {
    switch (subtype) {
      case 1: {
        const e = need(v, 2, 'Port VLAN ID');
        if (e) return e;
        f.pvid = v.u16();
        return { kind: 'dot1-pvid', pvid: f.pvid };
      }
      case 2: {
        const e = need(v, 3, 'Port and Protocol VLAN ID');
        if (e) return e;
        return { kind: 'dot1-ppvid', flags: v.u8(), ppvid: v.u16() };
      }
      case 3: {
        const e = need(v, 3, 'VLAN Name');
        if (e) return e;
        const vlan = v.u16();
        const n = v.u8();
        if (n > 32 || !v.has(n)) return `VLAN name length ${n} invalid`;
        const name = text(v.bytes(n));
        f.vlanNames.push({ vlan, name });
        return { kind: 'dot1-vlan-name', vlan, name };
      }
      case 4: {
        const e = need(v, 1, 'Protocol Identity');
        if (e) return e;
        const n = v.u8();
        if (!v.has(n)) return `protocol identity length ${n} runs past the TLV`;
        return { kind: 'dot1-protocol-identity', protocol: hex(v.bytes(n)) };
      }
      case 7:
        return linkAgg(v, f);
      default:
        return null;
    }
  }
  if (oui === OUI_DOT3) {
    switch (subtype) {
      case 1: {
        const e = need(v, 5, 'MAC/PHY Configuration/Status');
        if (e) return e;
        return { kind: 'dot3-mac-phy', autoneg: v.u8(), pmdCapability: v.u16(), mauType: v.u16() };
      }
      case 2: {
        const e = need(v, 3, 'Power Via MDI');
        if (e) return e;
        return { kind: 'dot3-power', mdiSupport: v.u8(), pairs: v.u8(), powerClass: v.u8(), extra: hex(v.rest()) };
      }
      case 3:
        return linkAgg(v, f);
      case 4: {
        const e = need(v, 2, 'Maximum Frame Size');
        if (e) return e;
        f.maxFrameSize = v.u16();
        return { kind: 'dot3-max-frame-size', size: f.maxFrameSize };
      }
      default:
        return null;
    }
  }
  if (oui === OUI_MED) return medValue(subtype, v, f);
  if (oui === OUI_IANA && subtype === 1) {
    if (v.remaining < 1) return 'empty MUD URL';
    return { kind: 'mud-url', url: text(v.rest()) };
  }
  return null;
}

function linkAgg(v: ByteReader, f: LldpFrame): OrgValue | Bad {
  const e = need(v, 5, 'Link Aggregation');
  if (e) return e;
  const value = { status: v.u8(), portId: v.u32() };
  f.linkAggregation = value;
  return { kind: 'link-aggregation', ...value };
}

function medOf(f: LldpFrame): NonNullable<LldpFrame['med']> {
  if (!f.med) f.med = { capabilities: 0, deviceType: 0, policies: [], inventory: {} };
  return f.med;
}

function medValue(subtype: number, v: ByteReader, f: LldpFrame): OrgValue | null | Bad {
  switch (subtype) {
    case 1: {
      const e = need(v, 3, 'LLDP-MED capabilities');
      if (e) return e;
      const m = medOf(f);
      m.capabilities = v.u16();
      m.deviceType = v.u8();
      return { kind: 'med-capabilities', capabilities: m.capabilities, deviceType: m.deviceType };
    }
    case 2: {
      const e = need(v, 4, 'LLDP-MED network policy');
      if (e) return e;
      const app = v.u8();
      const word = v.u24();
      const p = {
        kind: 'med-network-policy' as const,
        app,
        unknown: (word & 0x800000) !== 0,
        tagged: (word & 0x400000) !== 0,
        vlan: (word >>> 9) & 0xfff,
        priority: (word >>> 6) & 0x7,
        dscp: word & 0x3f,
      };
      medOf(f).policies.push(p);
      return p;
    }
    case 3: {
      const e = need(v, 1, 'LLDP-MED location');
      if (e) return e;
      const format = v.u8();
      const data = v.rest();
      const bad = checkLocation(format, data);
      if (bad) return bad;
      return { kind: 'med-location', format, data: format === 3 ? text(data) : hex(data) };
    }
    case 4: {
      const e = need(v, 3, 'LLDP-MED extended power');
      if (e) return e;
      const b = v.u8();
      return { kind: 'med-ext-power', powerType: b >>> 6, source: (b >>> 4) & 3, priority: b & 0xf, milliwatts: v.u16() * 100 };
    }
    default: {
      const field = MED_INVENTORY[subtype];
      if (!field) return null;
      if (v.remaining > 32) return `inventory string of ${v.remaining} bytes, max 32`;
      const value = v.restText();
      medOf(f).inventory[field] = value;
      return { kind: 'med-inventory', field, value };
    }
  }
}

/** Location data per ANSI/TIA-1057 10.2.4: coordinate LCI 16 bytes, civic LCI length-prefixed. */
function checkLocation(format: number, d: Uint8Array): Bad | null {
  if (format === 1) return d.length === 16 ? null : `coordinate LCI of ${d.length} bytes, need 16`;
  if (format === 2) {
    if (d.length < 1) return 'civic LCI without length';
    const lci = d[0]!;
    // what (1) + country code (2) at least, and all of it inside the TLV
    if (lci < 3 || lci + 1 > d.length) return `civic LCI length ${lci} invalid for ${d.length - 1} bytes`;
    let p = 4;
    while (p < lci + 1) {
      if (p + 2 > lci + 1) return 'civic address element header truncated';
      const n = d[p + 1]!;
      if (p + 2 + n > lci + 1) return `civic address element of ${n} bytes runs past the LCI`;
      p += 2 + n;
    }
    return null;
  }
  if (format === 3) return d.length >= 10 && d.length <= 25 ? null : `ELIN of ${d.length} bytes, need 10-25`;
  return null;
}
