// `vmtrace lldp decode FILE.pcap [--json]`: every LLDP/CDP frame of a capture as our decoders
// see it (a troubleshooting tool, like lldpctl for a capture file).
//
// JSON output (stable; copy into the README):
//
//   {
//     "file": "capture.pcap",
//     "format": "pcap" | "pcapng",
//     "linkType": 1,                        // LINKTYPE_* of the (first) interface
//     "linkTypeName": "EN10MB (Ethernet)",
//     "truncated": null | "why",            // the file ends inside a record
//     "summary": { "frames": 5, "lldp": 4, "cdp": 0, "malformed": 1, "ignored": 0, "unsupported": 0 },
//     "frames": [
//       { "number": 1, "time": "2026-11-24T07:56:47.490Z", "length": 134, "kind": "lldp",
//         "src": "00:50:56:aa:bb:01",
//         "lldp": {                          // agent/sources/lldp/lldp-types.ts LldpFrame
//           "chassisId": { "subtype": 4, "id": "00:50:56:aa:bb:01", "raw": "005056aabb01" },
//           "portId": { "subtype": 5, "id": "vmnic0", "raw": "766d6e696330" },
//           "ttl": 4, "portDescr": "vmnic0", "sysName": "esx-01.lab", "sysDescr": "VMware ESXi …",
//           "capabilities": { "supported": 156, "enabled": 128 } | null,
//           "mgmtAddresses": [ { "family": 1, "address": "192.0.2.11", "raw": "c000020b",
//                                "ifSubtype": 2, "ifId": 2, "oid": "" } ],
//           "pvid": null | 1, "vlanNames": [ { "vlan": 1, "name": "default" } ],
//           "linkAggregation": null | { "status": 1, "portId": 0 }, "maxFrameSize": null | 1522,
//           "med": null | { "capabilities": 47, "deviceType": 4, "policies": [...], "inventory": {...} },
//           "orgUnknown": [ { "oui": 9953, "subtype": 1, "raw": "…" } ], "unknownTlvs": 0,
//           "tlvs": [ { "type": 1, "kind": "chassis-id", "value": {...} }, …,
//                     { "type": 127, "kind": "org", "oui": 4623, "subtype": 3, "name": "Link Aggregation",
//                       "value": { "kind": "link-aggregation", "status": 1, "portId": 0 }, "raw": "…" },
//                     { "type": 0, "kind": "end" } ] } },
//       { "number": 2, …, "kind": "cdp", "src": "…",
//         "cdp": { "version": 2, "ttl": 180, "checksum": 2464, "deviceId": "myswitch",
//                  "portId": "FastEthernet0/1", "addresses": [ { "family": "ipv4", "address": "…", "raw": "…" } ],
//                  "mgmtAddresses": [...], "capabilities": 40 | null, "softwareVersion": "…" | null,
//                  "platform": "…" | null, "nativeVlan": 1 | null, "duplex": "full" | "half" | null,
//                  "vtpDomain": "…" | null, "voiceVlan": null | 10, "sysName": null | "…",
//                  "tlvs": [ { "type": 1, "kind": "text", "name": "Device-ID", "text": "myswitch" }, … ] } },
//       { "number": 3, …, "kind": "malformed", "src": "…",
//         "error": { "protocol": "lldp", "tlv": "Organisational (127)", "tlvType": 127, "offset": 0,
//                    "reason": "expected Chassis ID (1) as TLV 1, …", "partial": [ /* TLVs before the fault */ ] } },
//       { "number": 4, …, "kind": "ignored", "reason": "Cisco SNAP PID 0x2004 is not CDP" },
//       { "number": 5, …, "kind": "unsupported-link", "linkType": 104, "linkTypeName": "C_HDLC (Cisco HDLC)" }
//     ]
//   }
//
// Exit status: 0 when the file could be read (malformed frames are reported, not fatal);
// an unreadable or damaged file throws VmtraceError PCAP_INVALID (exit 1).

import { readFile } from 'node:fs/promises';
import { VmtraceError, errorMessage } from '../../shared/errors.js';
import { decodeCaptureFile, type DecodedCapture, type FileFrame } from '../sources/lldp/capture-file.js';
import type { LldpFrame, LldpTlv } from '../sources/lldp/lldp-types.js';
import type { CdpFrame } from '../sources/lldp/cdp-decode.js';
import { lldpTlvName, orgName } from '../sources/lldp/lldp-decode.js';

export async function lldpDecodeCommand(file: string, opts: { json: boolean }, out: NodeJS.WritableStream): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new VmtraceError('PCAP_INVALID', `cannot read ${file}: ${errorMessage(e)}`, { cause: e });
  }
  const d = decodeCaptureFile(bytes);
  if (!d.ok) throw new VmtraceError('PCAP_INVALID', `${file}: ${d.error}`);
  out.write(opts.json ? `${JSON.stringify(toJson(file, d.value), null, 2)}\n` : human(file, d.value));
  return 0;
}

function summary(c: DecodedCapture) {
  const s = { frames: c.frames.length, lldp: 0, cdp: 0, malformed: 0, ignored: 0, unsupported: 0 };
  for (const f of c.frames) {
    if (f.kind === 'lldp') s.lldp++;
    else if (f.kind === 'cdp') s.cdp++;
    else if (f.kind === 'malformed') s.malformed++;
    else if (f.kind === 'ignored') s.ignored++;
    else s.unsupported++;
  }
  return s;
}

export function toJson(file: string, c: DecodedCapture): unknown {
  return {
    file,
    format: c.format,
    linkType: c.linkType,
    linkTypeName: c.linkTypeName,
    truncated: c.truncated,
    summary: summary(c),
    frames: c.frames.map((f) => {
      const base = { number: f.number, time: isoTime(f.time), length: f.length, kind: f.kind };
      switch (f.kind) {
        case 'lldp':
          return { ...base, src: f.src, lldp: f.frame };
        case 'cdp':
          return { ...base, src: f.src, cdp: f.frame };
        case 'malformed':
          return { ...base, src: f.src, error: f.error };
        case 'ignored':
          return { ...base, reason: f.reason };
        case 'unsupported-link':
          return { ...base, linkType: f.linkType, linkTypeName: f.linkTypeName };
      }
    }),
  };
}

function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// ---------------------------------------------------------------------------------------------
// Human output, lldpctl style: one block per frame, labels aligned.

const RULE = '-'.repeat(79);
const CHASSIS_SUBTYPES = ['reserved', 'chassis', 'ifalias', 'port', 'mac', 'ip', 'ifname', 'local'];
const PORT_SUBTYPES = ['reserved', 'ifalias', 'port', 'mac', 'ip', 'ifname', 'circuit', 'local'];
const CAPS = ['Other', 'Repeater', 'Bridge', 'Wlan', 'Router', 'Tel', 'Docsis', 'Station', 'CVLAN', 'SVLAN', 'TPMR'];
const CDP_CAPS = ['Router', 'TB-Bridge', 'SR-Bridge', 'Switch', 'Host', 'IGMP', 'Repeater', 'Phone', 'Remote', 'CVTA', 'MAC-Relay'];

/** Identifiers on one line: control characters as \xNN. */
function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function line(label: string, value: string | number): string {
  const text = String(value).replace(/\n/g, '\n' + ' '.repeat(16));
  return `  ${`${label}:`.padEnd(14)}${text}\n`;
}

function human(file: string, c: DecodedCapture): string {
  let s = `${file}: ${c.format}, ${c.linkTypeName}, ${c.frames.length} frame(s)\n`;
  for (const f of c.frames) s += RULE + '\n' + frameBlock(f);
  s += RULE + '\n';
  const sum = summary(c);
  s += `${sum.frames} frames: ${sum.lldp} LLDP, ${sum.cdp} CDP, ${sum.malformed} malformed, ${sum.ignored} ignored, ${sum.unsupported} not Ethernet\n`;
  if (c.truncated) s += `file truncated: ${c.truncated}\n`;
  return s;
}

function frameBlock(f: FileFrame): string {
  const head = `Frame ${f.number}  ${isoTime(f.time)}  ${f.length} bytes`;
  switch (f.kind) {
    case 'lldp':
      return `${head}  LLDP from ${f.src}\n${lldpLines(f.frame)}`;
    case 'cdp':
      return `${head}  CDPv${f.frame.version} from ${f.src}\n${cdpLines(f.frame)}`;
    case 'malformed': {
      let s = `${head}  ${f.protocol.toUpperCase()} MALFORMED from ${f.src}\n`;
      s += line('Error', `${f.error.tlv} at offset ${f.error.offset}: ${f.error.reason}`);
      if (f.protocol === 'lldp') for (const t of f.error.partial) s += tlvLine(t);
      else for (const t of f.error.partial) s += line(t.name, t.kind === 'text' ? t.text : t.kind === 'number' ? t.value : '…');
      return s;
    }
    case 'ignored':
      return `${head}  ignored: ${f.reason}\n`;
    case 'unsupported-link':
      return `${head}  not decoded: link type ${f.linkTypeName} is not Ethernet\n`;
  }
}

function capList(bits: number, enabled: number, names: string[]): string {
  const out: string[] = [];
  names.forEach((n, i) => {
    if (bits & (1 << i)) out.push(`${n} ${enabled & (1 << i) ? 'on' : 'off'}`);
  });
  return out.join(', ') || 'none';
}

function tlvLine(t: LldpTlv): string {
  switch (t.kind) {
    case 'chassis-id':
      return line('ChassisID', `${CHASSIS_SUBTYPES[t.value.subtype] ?? t.value.subtype} ${printable(t.value.id)}`);
    case 'port-id':
      return line('PortID', `${PORT_SUBTYPES[t.value.subtype] ?? t.value.subtype} ${printable(t.value.id)}`);
    case 'ttl':
      return line('TTL', t.ttl);
    case 'port-description':
      return line('PortDescr', t.text);
    case 'system-name':
      return line('SysName', t.text);
    case 'system-description':
      return line('SysDescr', t.text);
    case 'capabilities':
      return line('Capability', capList(t.value.supported, t.value.enabled, CAPS));
    case 'management-address': {
      const m = t.value;
      const iface = m.ifSubtype === 2 ? `ifIndex ${m.ifId}` : m.ifSubtype === 3 ? `port ${m.ifId}` : `iface ${m.ifId}`;
      return line(m.family === 1 ? 'MgmtIP' : m.family === 2 ? 'MgmtIPv6' : 'MgmtAddr', `${m.address} (${iface})`);
    }
    case 'org': {
      const name = orgName(t.oui, t.subtype) ?? `OUI ${t.oui.toString(16).padStart(6, '0')} subtype ${t.subtype}`;
      const v = t.value ? describeOrg(t.value) : t.raw;
      return line('Org', `${name}: ${v}`);
    }
    case 'end':
      return '';
    case 'unknown':
      return line('Unknown', `${lldpTlvName(t.type)}: ${t.raw}`);
  }
}

function describeOrg(v: NonNullable<Extract<LldpTlv, { kind: 'org' }>['value']>): string {
  const { kind: _kind, ...rest } = v;
  return Object.entries(rest)
    .map(([k, x]) => `${k} ${typeof x === 'string' ? JSON.stringify(x) : String(x)}`)
    .join(', ');
}

function lldpLines(f: LldpFrame): string {
  return f.tlvs.map(tlvLine).join('');
}

function cdpLines(f: CdpFrame): string {
  let s = '';
  s += line('DeviceID', f.deviceId ?? '');
  s += line('PortID', f.portId ?? '');
  s += line('TTL', f.ttl);
  if (f.platform !== null) s += line('Platform', f.platform);
  if (f.softwareVersion !== null) s += line('Version', f.softwareVersion.trimEnd());
  if (f.capabilities !== null) s += line('Capability', capList(f.capabilities, f.capabilities, CDP_CAPS).replace(/ on/g, ''));
  for (const a of f.addresses) s += line('Address', a.address);
  for (const a of f.mgmtAddresses) s += line('MgmtAddress', a.address);
  if (f.nativeVlan !== null) s += line('NativeVLAN', f.nativeVlan);
  if (f.voiceVlan !== null) s += line('VoiceVLAN', f.voiceVlan);
  if (f.duplex !== null) s += line('Duplex', f.duplex);
  if (f.vtpDomain !== null) s += line('VTPDomain', f.vtpDomain);
  return s;
}
