// Cisco Discovery Protocol v1/v2 decoder (the PDU after the LLC/SNAP header). Pure,
// bounds-checked, never throws. TLV lengths include their 4-byte header.

import { ByteReader, hex, hexAt, ipv4, ipv6 } from './reader.js';
import { fail, ok, type DecodeError, type Result } from './decode-result.js';

export interface CdpAddress {
  /** 'ipv4' | 'ipv6' | 'other' */
  family: 'ipv4' | 'ipv6' | 'other';
  address: string;
  /** the address bytes, hex */
  raw: string;
}

export type CdpTlv =
  | { type: number; kind: 'text'; name: string; text: string }
  | { type: number; kind: 'addresses'; name: string; addresses: CdpAddress[] }
  | { type: number; kind: 'number'; name: string; value: number }
  | { type: number; kind: 'voice-vlan'; name: string; vlan: number }
  /** everything we do not decode (protocol hello, prefixes, power …), kept raw */
  | { type: number; kind: 'raw'; name: string; raw: string };

export interface CdpFrame {
  version: number;
  ttl: number;
  checksum: number;
  deviceId: string | null;
  portId: string | null;
  addresses: CdpAddress[];
  mgmtAddresses: CdpAddress[];
  /** CDP capability word: 0x01 router, 0x02 TB bridge, 0x04 SR bridge, 0x08 switch, 0x10 host,
   *  0x20 IGMP, 0x40 repeater, 0x80 phone … */
  capabilities: number | null;
  softwareVersion: string | null;
  platform: string | null;
  nativeVlan: number | null;
  /** 'full' | 'half' */
  duplex: 'full' | 'half' | null;
  vtpDomain: string | null;
  voiceVlan: number | null;
  sysName: string | null;
  tlvs: CdpTlv[];
}

export const CDP_TLV_NAMES: Record<number, string> = {
  0x01: 'Device-ID',
  0x02: 'Addresses',
  0x03: 'Port-ID',
  0x04: 'Capabilities',
  0x05: 'Version',
  0x06: 'Platform',
  0x07: 'IP Prefixes',
  0x08: 'Protocol Hello',
  0x09: 'VTP Domain',
  0x0a: 'Native VLAN',
  0x0b: 'Duplex',
  0x0e: 'VoIP VLAN Reply',
  0x0f: 'VoIP VLAN Query',
  0x10: 'Power Consumption',
  0x11: 'MTU',
  0x12: 'Trust Bitmap',
  0x13: 'Untrusted Port CoS',
  0x14: 'System Name',
  0x15: 'System OID',
  0x16: 'Management Addresses',
  0x17: 'Physical Location',
  0x1a: 'Power Available',
};

export function cdpTlvName(type: number): string {
  return `${CDP_TLV_NAMES[type] ?? 'Unknown'} (0x${type.toString(16).padStart(2, '0')})`;
}

type Bad = string;

export function decodeCdp(pdu: Uint8Array): Result<CdpFrame, DecodeError<CdpTlv>> {
  const r = new ByteReader(pdu);
  const tlvs: CdpTlv[] = [];
  const bad = (type: number, offset: number, reason: string) =>
    fail<CdpTlv>({ protocol: 'cdp', tlv: type < 0 ? 'frame' : cdpTlvName(type), tlvType: type, offset, reason, partial: tlvs });
  if (!r.has(4)) return bad(-1, 0, `CDP header truncated (${pdu.length} bytes)`);
  const version = r.u8();
  if (version !== 1 && version !== 2) return bad(-1, 0, `unknown CDP version ${version}`);
  const f: CdpFrame = {
    version,
    ttl: r.u8(),
    checksum: r.u16(),
    deviceId: null,
    portId: null,
    addresses: [],
    mgmtAddresses: [],
    capabilities: null,
    softwareVersion: null,
    platform: null,
    nativeVlan: null,
    duplex: null,
    vtpDomain: null,
    voiceVlan: null,
    sysName: null,
    tlvs,
  };
  while (r.remaining > 0) {
    const start = r.pos;
    if (!r.has(4)) return bad(-1, start, `TLV header truncated (${r.remaining} bytes left)`);
    const type = r.u16();
    const len = r.u16();
    if (len < 4) return bad(type, start, `length ${len} shorter than the TLV header`);
    const out = r.inWindow(len - 4, (w) => decodeTlv(type, w, f));
    if (!out) return bad(type, start, `length ${len} runs past the end of the frame (${pdu.length - start} bytes left)`);
    const t = out.value;
    if (typeof t === 'string') return bad(type, start, t);
    if (out.overRead) return bad(type, start, `TLV shorter than its content (length ${len})`);
    tlvs.push(t);
  }
  if (f.deviceId === null) return bad(-1, r.pos, 'no Device-ID TLV');
  return ok(f);
}

function decodeTlv(type: number, w: ByteReader, f: CdpFrame): CdpTlv | Bad {
  const name = CDP_TLV_NAMES[type] ?? `Unknown (0x${type.toString(16)})`;
  switch (type) {
    case 0x01:
    case 0x03:
    case 0x05:
    case 0x06:
    case 0x09:
    case 0x14: {
      const t = w.restText();
      if (type === 0x01) f.deviceId = t;
      else if (type === 0x03) f.portId = t;
      else if (type === 0x05) f.softwareVersion = t;
      else if (type === 0x06) f.platform = t;
      else if (type === 0x09) f.vtpDomain = t;
      else f.sysName = t;
      return { type, kind: 'text', name, text: t };
    }
    case 0x02:
    case 0x16: {
      const a = decodeAddresses(w);
      if (typeof a === 'string') return a;
      if (type === 0x02) f.addresses.push(...a);
      else f.mgmtAddresses.push(...a);
      return { type, kind: 'addresses', name, addresses: a };
    }
    case 0x04:
      if (!w.has(4)) return `${name}: ${w.remaining} bytes, need 4`;
      f.capabilities = w.u32();
      return { type, kind: 'number', name, value: f.capabilities };
    case 0x0a:
      if (!w.has(2)) return `${name}: ${w.remaining} bytes, need 2`;
      f.nativeVlan = w.u16();
      return { type, kind: 'number', name, value: f.nativeVlan };
    case 0x0b: {
      if (!w.has(1)) return `${name}: empty`;
      const value = w.u8();
      f.duplex = value ? 'full' : 'half';
      return { type, kind: 'number', name, value };
    }
    case 0x0e: {
      if (!w.has(3)) return `${name}: ${w.remaining} bytes, need 3`;
      w.u8();
      const vlan = w.u16();
      f.voiceVlan = vlan;
      return { type, kind: 'voice-vlan', name, vlan };
    }
    case 0x10:
    case 0x11:
      if (!w.has(2)) return `${name}: ${w.remaining} bytes, need 2`;
      return { type, kind: 'number', name, value: w.u16() };
    default:
      return { type, kind: 'raw', name, raw: w.restHex() };
  }
}

const IPV6_8022 = 'aaaa0300000086dd';

/** Address list: count, then {protocol type, protocol length, protocol, address length, address}. */
function decodeAddresses(w: ByteReader): CdpAddress[] | Bad {
  if (!w.has(4)) return 'address count truncated';
  const count = w.u32();
  const out: CdpAddress[] = [];
  for (let i = 0; i < count; i++) {
    if (!w.has(2)) return `address ${i + 1} of ${count} truncated`;
    const ptype = w.u8();
    const plen = w.u8();
    if (!w.has(plen + 2)) return `address ${i + 1}: protocol length ${plen} runs past the TLV`;
    const proto = w.bytes(plen);
    const alen = w.u16();
    if (!w.has(alen)) return `address ${i + 1}: address length ${alen} runs past the TLV`;
    const a = w.bytes(alen);
    const raw = hex(a);
    if (ptype === 1 && plen === 1 && proto[0] === 0xcc && alen === 4) out.push({ family: 'ipv4', address: ipv4(a), raw });
    else if (ptype === 2 && hexAt(proto, 0, proto.length) === IPV6_8022 && alen === 16) out.push({ family: 'ipv6', address: ipv6(a), raw });
    else out.push({ family: 'other', address: raw, raw });
  }
  return out;
}
