// Every capture in ../shared/fixtures/lldp, frame by frame, against the tshark JSON decode beside
// it (TLV sequence and the values tshark prints: chassis/port id, TTL, names, descriptions; CDP
// device/port id, platform, native VLAN, VTP domain, duplex) and, for what tshark's JSON leaves
// folded (capabilities, management addresses, CDP addresses, capability word, software version),
// the tcpdump -vv decode beside it. Malformed captures must come out malformed, with the TLVs
// before the fault equal to what tshark still shows.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeCaptureFile, type FileFrame } from '../../agent/sources/lldp/capture-file.js';
import type { LldpFrame, LldpTlv } from '../../agent/sources/lldp/lldp-types.js';
import type { CdpFrame, CdpTlv } from '../../agent/sources/lldp/cdp-decode.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/lldp');

/** Frames we report malformed, with the reason; tshark agrees on the TLVs before the fault. */
const MALFORMED: Record<string, Record<number, RegExp>> = {
  // snaplen 96 cut the System Description TLV: the frame is incomplete
  'assim-procurve.lldp.pcap': { 1: /runs past the end/, 2: /runs past the end/ },
  // civic LCI length 2 cannot hold what + country code (tshark: _ws.malformed)
  'lldpd-test-med-loc-malformed.pcap': { 1: /civic LCI length 2/ },
  // END TLV with a 194-byte body: 802.1AB requires length 0, lldpd drops such frames
  // (tshark prints it as "End of LLDPDU" without a warning; the TLVs before it agree)
  'tcpdump-lldp-infinite-loop-2.pcap': { 1: /END with a body/ },
  // first TLV is not a chassis ID (tshark: "Invalid Chassis ID")
  'tcpdump-lldp_8021_linkagg.pcap': { 1: /expected Chassis ID/, 2: /expected Chassis ID/ },
  'tcpdump-lldp_8023_mtu-oobr.pcap': { 1: /expected Chassis ID/ },
  'tcpdump-lldp_mgmt_addr_tlv_asan.pcap': { 1: /expected Chassis ID/ },
  // second TLV is not a port ID (tshark: "Invalid Port ID")
  'tcpdump-lldp_asan.pcap': { 1: /expected Port ID/ },
};

// ---------------------------------------------------------------------------------------------
// The oracles

/** tshark's JSON repeats keys (two "Management Address" TLVs): parse keeping every entry in order. */
type Ordered = string | [string, Ordered][];
function parseOrdered(src: string): Ordered {
  let i = 0;
  const ws = () => { while (/\s/.test(src[i]!)) i++; };
  const str = (): string => {
    const start = i;
    i++;
    while (src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(src.slice(start, i)) as string;
  };
  const value = (): Ordered => {
    ws();
    if (src[i] === '"') return str();
    if (src[i] === '{' || src[i] === '[') {
      const obj = src[i] === '{';
      const close = obj ? '}' : ']';
      i++;
      const out: [string, Ordered][] = [];
      ws();
      let n = 0;
      while (src[i] !== close) {
        ws();
        let k = String(n++);
        if (obj) { k = str(); ws(); i++; }
        out.push([k, value()]);
        ws();
        if (src[i] === ',') i++;
        ws();
      }
      i++;
      return out;
    }
    const m = /^[^,}\]\s]+/.exec(src.slice(i))!;
    i += m[0].length;
    return m[0];
  };
  return value();
}
function get(o: Ordered | undefined, k: string): Ordered | undefined {
  return Array.isArray(o) ? o.find(([kk]) => kk === k)?.[1] : undefined;
}
function entries(o: Ordered | undefined): [string, Ordered][] {
  return Array.isArray(o) ? o : [];
}

interface TsharkFrame {
  number: number;
  malformedFlag: boolean;
  lldp: string[] | null;
  cdp: { labels: string[]; version: number; ttl: number; checksum: number } | null;
}
function tshark(file: string): TsharkFrame[] {
  const root = parseOrdered(readFileSync(join(FIXTURES, `${file}.tshark.json`), 'utf8'));
  return entries(root).map(([, pkt]) => {
    const layers = get(get(pkt, '_source'), 'layers');
    const number = Number(get(get(layers, 'frame'), 'frame.number'));
    const lldp = get(layers, 'lldp');
    const cdp = get(layers, 'cdp');
    return {
      number,
      malformedFlag: get(layers, '_ws.malformed') !== undefined,
      lldp: lldp ? entries(lldp).map(([k]) => k) : null,
      cdp: cdp
        ? {
            labels: entries(cdp).map(([k]) => k).filter((k) => !k.startsWith('cdp.')),
            version: Number(get(cdp, 'cdp.version')),
            ttl: Number(get(cdp, 'cdp.ttl')),
            checksum: Number(get(cdp, 'cdp.checksum')),
          }
        : null,
    };
  });
}

/** tcpdump -vv text, one block of lines per frame (the banner dropped). */
function tcpdumpBlocks(file: string): string[][] {
  const lines = readFileSync(join(FIXTURES, `${file}.tcpdump.txt`), 'utf8').split('\n').slice(1);
  const blocks: string[][] = [];
  for (const l of lines) {
    if (!l) continue;
    if (!/^\s/.test(l)) blocks.push([l]);
    else blocks.at(-1)?.push(l);
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// Our decode in tshark's words

const CHASSIS_SUBTYPES = ['', 'Chassis component', 'Interface alias', 'Port component', 'MAC address', 'Network address', 'Interface name', 'Locally assigned'];
const PORT_SUBTYPES = ['', 'Interface alias', 'Port component', 'MAC address', 'Network address', 'Interface name', 'Agent circuit ID', 'Locally assigned'];
const ORGS: Record<number, string> = {
  0x0080c2: 'IEEE',
  0x00120f: 'Ieee 802.3',
  0x0012bb: 'Telecommunications Industry Association TR-41 Committee',
  0x00005e: 'ICANN, IANA Department',
  0x0026e1: 'Stanford University, OpenFlow Group',
  0x000142: 'Cisco Systems, Inc',
};
const TSHARK_ORG_SUBTYPES: Record<string, string> = {
  '0080c2/12': 'Application Protocol',
  '000142/1': '4-wire Power-via-MDI (UPOE)',
};

/** tshark's format_text: control characters escaped C style. */
function esc(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

function lldpLabel(t: LldpTlv): string {
  switch (t.kind) {
    case 'chassis-id': return `Chassis Subtype = ${CHASSIS_SUBTYPES[t.value.subtype]}, Id: ${esc(t.value.id)}`;
    case 'port-id': return `Port Subtype = ${PORT_SUBTYPES[t.value.subtype]}, Id: ${esc(t.value.id)}`;
    case 'ttl': return `Time To Live = ${t.ttl} sec`;
    case 'port-description': return `Port Description = ${esc(t.text)}`;
    case 'system-name': return `System Name = ${esc(t.text)}`;
    case 'system-description': return `System Description = ${esc(t.text)}`;
    case 'capabilities': return 'Capabilities';
    case 'management-address': return 'Management Address';
    case 'end': return 'End of LLDPDU';
    case 'unknown': return 'Unknown TLV';
    case 'org': {
      const key = `${t.oui.toString(16).padStart(6, '0')}/${t.subtype}`;
      return `${ORGS[t.oui] ?? t.oui.toString(16)} - ${TSHARK_ORG_SUBTYPES[key] ?? t.name ?? `Unknown (${t.subtype})`}`;
    }
  }
}

function sameLabel(ours: string, theirs: string): boolean {
  // tshark cuts labels over 240 characters and marks them " [truncated]"
  if (theirs.startsWith(' [truncated]')) return ours.startsWith(theirs.slice(' [truncated]'.length));
  return ours === theirs;
}

function expectLabels(ours: string[], theirs: string[]): void {
  expect(ours.length).toBe(theirs.length);
  ours.forEach((o, i) => expect(sameLabel(o, theirs[i]!), `label ${i}: ours ${JSON.stringify(o)} vs tshark ${JSON.stringify(theirs[i])}`).toBe(true));
}

function checkLldpDetails(f: LldpFrame, block: string[]): void {
  const caps = block.map((l) => /System {2}Capabilities .*\(0x([0-9a-f]+)\)/.exec(l)).find(Boolean);
  const enabled = block.map((l) => /Enabled Capabilities .*\(0x([0-9a-f]+)\)/.exec(l)).find(Boolean);
  if (caps && enabled) expect(f.capabilities).toEqual({ supported: parseInt(caps[1]!, 16), enabled: parseInt(enabled[1]!, 16) });
  else expect(f.capabilities).toBeNull();
  const addrs = block.flatMap((l) => {
    const m = /Management Address length \d+, AFI .* \((\d+)\): (\S+)/.exec(l);
    return m ? [{ family: Number(m[1]), address: m[2]! }] : [];
  });
  const numbering = block.flatMap((l) => {
    const m = /Interface Numbering \((\d+)\): (\d+)/.exec(l);
    return m ? [{ ifSubtype: Number(m[1]), ifId: Number(m[2]) }] : [];
  });
  expect(f.mgmtAddresses.map((a) => ({ family: a.family, address: a.address }))).toEqual(addrs);
  expect(f.mgmtAddresses.map((a) => ({ ifSubtype: a.ifSubtype, ifId: a.ifId }))).toEqual(numbering);
}

function cdpLabel(t: CdpTlv, f: CdpFrame): string {
  const v = (t.kind === 'text' ? t.text : t.kind === 'number' ? t.value : '') as string | number;
  switch (t.type) {
    case 0x01: return `Device ID: ${v}`;
    case 0x02: return 'Addresses';
    case 0x03: return `Port ID: ${v}`;
    case 0x04: return 'Capabilities';
    case 0x05: return 'Software Version';
    case 0x06: return `Platform: ${v}`;
    case 0x09: return `VTP Management Domain: ${v}`;
    case 0x0a: return `Native VLAN: ${v}`;
    case 0x0b: return `Duplex: ${f.duplex === 'full' ? 'Full' : 'Half'}`;
    case 0x0e: return `VoIP VLAN Reply: VLAN ${f.voiceVlan}`;
    case 0x10: return `Power Consumption: ${v} mW`;
    case 0x16: return 'Management Addresses';
    default: return t.name;
  }
}
const CDP_PREFIX_ONLY = new Set([0x08, 0x12, 0x13, 0x1a]);
const TSHARK_CDP_PREFIX: Record<number, string> = { 0x08: 'Protocol Hello', 0x12: 'Trust Bitmap', 0x13: 'Untrusted port CoS', 0x1a: 'Power Available' };

function checkCdp(f: CdpFrame, o: NonNullable<TsharkFrame['cdp']>, block: string[]): void {
  expect({ version: f.version, ttl: f.ttl, checksum: f.checksum }).toEqual({ version: o.version, ttl: o.ttl, checksum: o.checksum });
  expect(f.tlvs.length).toBe(o.labels.length);
  f.tlvs.forEach((t, i) => {
    const theirs = o.labels[i]!;
    if (CDP_PREFIX_ONLY.has(t.type)) expect(theirs.startsWith(TSHARK_CDP_PREFIX[t.type]!), theirs).toBe(true);
    else expect(cdpLabel(t, f)).toBe(theirs);
  });
  // folded in tshark's JSON: addresses, capability word, version text from tcpdump
  const addr = (kind: string) =>
    block.flatMap((l) => {
      const m = new RegExp(`^\\t${kind} \\(0x[0-9a-f]+\\), value length: \\d+ bytes: IPv4 \\(1\\) (\\S+)`).exec(l);
      return m ? [m[1]!] : [];
    });
  expect(f.addresses.map((a) => a.address)).toEqual(addr('Address'));
  expect(f.mgmtAddresses.map((a) => a.address)).toEqual(addr('Management Addresses'));
  const cap = block.map((l) => /Capability \(0x04\).*\(0x([0-9a-f]+)\)/.exec(l)).find(Boolean);
  expect(f.capabilities).toBe(cap ? parseInt(cap[1]!, 16) : null);
  const vi = block.findIndex((l) => l.startsWith('\tVersion String (0x05)'));
  if (vi >= 0) {
    const theirs: string[] = [];
    for (let j = vi + 1; j < block.length && block[j]!.startsWith('\t  '); j++) theirs.push(block[j]!.trim());
    expect(f.softwareVersion!.split('\n').map((s) => s.trim()).filter(Boolean)).toEqual(theirs.filter(Boolean));
  } else expect(f.softwareVersion).toBeNull();
}

// ---------------------------------------------------------------------------------------------

const captures = readdirSync(FIXTURES).filter((f) => f.endsWith('.pcap')).sort();

describe('LLDP/CDP decoders against the tshark and tcpdump oracles', () => {
  it('finds the corpus', () => {
    expect(captures.length).toBeGreaterThanOrEqual(28);
  });

  it.each(captures)('%s', (file) => {
    const decoded = decodeCaptureFile(readFileSync(join(FIXTURES, file)));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const oracle = new Map(tshark(file).map((t) => [t.number, t]));
    const blocks = tcpdumpBlocks(file);
    const malformed = MALFORMED[file] ?? {};
    let checked = 0;
    for (const fr of decoded.value.frames) {
      const o = oracle.get(fr.number);
      if (file === 'assim-cdp_v2_hdlc.pcap') {
        // Cisco HDLC: reported as such, never decoded as CDP over Ethernet
        expect(fr.kind).toBe('unsupported-link');
        expect(decoded.value.linkTypeName).toMatch(/HDLC/);
        checked++;
        continue;
      }
      if (!o) {
        // tshark shows no LLDP/CDP here (the DTP frame, a non-LLDP ethertype): ignored by us too
        expect(fr.kind, `frame ${fr.number}`).toBe('ignored');
        checked++;
        continue;
      }
      const want = malformed[fr.number];
      if (want) {
        expect(fr.kind, `frame ${fr.number}`).toBe('malformed');
        if (fr.kind !== 'malformed' || fr.protocol !== 'lldp') throw new Error('expected a malformed LLDP frame');
        expect(fr.error.reason).toMatch(want);
        const theirs = (o.lldp ?? []).filter((l) => !/^Invalid (Chassis|Port) ID/.test(l));
        const partial = fr.error.partial.map(lldpLabel);
        // tshark shows the TLVs before the fault, and (when it could parse its header) the faulty one
        expectLabels(partial, theirs.slice(0, partial.length));
        expect(theirs.length - partial.length).toBeLessThanOrEqual(1);
        if (o.malformedFlag) expect(theirs.length).toBe(partial.length + 1);
        checked++;
        continue;
      }
      block(fr, o, blocks[fr.number - 1]!);
      checked++;
    }
    expect(checked).toBe(decoded.value.frames.length);
    expect(checked).toBeGreaterThan(0);
  });
});

function block(fr: FileFrame, o: TsharkFrame, tcpdump: string[]): void {
  if (o.lldp) {
    expect(fr.kind, `frame ${fr.number}`).toBe('lldp');
    if (fr.kind !== 'lldp') return;
    expect(o.malformedFlag).toBe(false);
    expectLabels(fr.frame.tlvs.map(lldpLabel), o.lldp);
    checkLldpDetails(fr.frame, tcpdump);
  } else if (o.cdp) {
    expect(fr.kind, `frame ${fr.number}`).toBe('cdp');
    if (fr.kind !== 'cdp') return;
    checkCdp(fr.frame, o.cdp, tcpdump);
  } else {
    throw new Error(`frame ${fr.number}: oracle has neither LLDP nor CDP`);
  }
}
