// Our own small reader for capture files: classic pcap (µs and ns, either byte order) and
// pcapng (SHB/IDB/EPB/SPB; other blocks skipped). Pure: takes the file's bytes.
// A damaged file is an error value; a file cut short mid-record keeps the records before the
// cut and says so in `truncated` (what tcpdump does).

import { ok, type Result } from './decode-result.js';

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_C_HDLC = 104;

export interface PcapPacket {
  /** 1-based, as tshark numbers frames */
  number: number;
  /** ms since epoch (fractional) */
  time: number;
  linkType: number;
  data: Uint8Array;
  origLen: number;
}

export interface PcapFile {
  format: 'pcap' | 'pcapng';
  /** link type of the first interface */
  linkType: number;
  packets: PcapPacket[];
  /** set when the file ends inside a record */
  truncated: string | null;
}

export function linkTypeName(t: number): string {
  switch (t) {
    case 1: return 'EN10MB (Ethernet)';
    case 104: return 'C_HDLC (Cisco HDLC)';
    case 113: return 'LINUX_SLL';
    case 276: return 'LINUX_SLL2';
    case 101: return 'RAW';
    default: return `link type ${t}`;
  }
}

export function readPcap(input: Uint8Array): Result<PcapFile, string> {
  // a plain Uint8Array view: subarray() on a Node Buffer builds Buffers, several times slower
  const b = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (b.length < 4) return fail(`file of ${b.length} bytes is not a capture`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const m = dv.getUint32(0, false);
  if (m === 0x0a0d0d0a) return readPcapng(b, dv);
  let le: boolean;
  let nano: boolean;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) { le = false; nano = m === 0xa1b23c4d; }
  else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) { le = true; nano = m === 0x4d3cb2a1; }
  else return fail(`unknown magic 0x${m.toString(16).padStart(8, '0')}: not a pcap or pcapng file`);
  if (b.length < 24) return fail('pcap file header truncated');
  const major = dv.getUint16(4, le);
  if (major !== 2) return fail(`pcap version ${major} not supported`);
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const packets: PcapPacket[] = [];
  let pos = 24;
  let truncated: string | null = null;
  while (pos < b.length) {
    if (pos + 16 > b.length) { truncated = `record header at offset ${pos} truncated`; break; }
    const sec = dv.getUint32(pos, le);
    const frac = dv.getUint32(pos + 4, le);
    const incl = dv.getUint32(pos + 8, le);
    const orig = dv.getUint32(pos + 12, le);
    if (incl > 0x4000000) return fail(`record at offset ${pos} claims ${incl} bytes`);
    if (pos + 16 + incl > b.length) { truncated = `record at offset ${pos} truncated (${incl} bytes claimed)`; break; }
    packets.push({
      number: packets.length + 1,
      time: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3),
      linkType,
      data: b.subarray(pos + 16, pos + 16 + incl),
      origLen: orig,
    });
    pos += 16 + incl;
  }
  return ok({ format: 'pcap', linkType, packets, truncated });
}

function readPcapng(b: Uint8Array, dv: DataView): Result<PcapFile, string> {
  const packets: PcapPacket[] = [];
  let le = true;
  let ifaces: { linkType: number; tsDiv: number }[] = [];
  let pos = 0;
  let truncated: string | null = null;
  while (pos < b.length) {
    if (pos + 12 > b.length) { truncated = `block header at offset ${pos} truncated`; break; }
    const raw = dv.getUint32(pos, false);
    if (raw === 0x0a0d0d0a) {
      const bom = dv.getUint32(pos + 8, false);
      if (bom === 0x1a2b3c4d) le = false;
      else if (bom === 0x4d3c2b1a) le = true;
      else return fail(`section header at offset ${pos} has a bad byte-order magic`);
      ifaces = [];
    }
    const type = dv.getUint32(pos, le);
    const len = dv.getUint32(pos + 4, le);
    if (len < 12 || len % 4 !== 0) return fail(`block at offset ${pos} has bad length ${len}`);
    if (pos + len > b.length) { truncated = `block at offset ${pos} truncated`; break; }
    const body = pos + 8;
    if (type === 1) {
      if (len < 20) return fail(`interface block at offset ${pos} too short`);
      ifaces.push({ linkType: dv.getUint16(body, le), tsDiv: tsDivisor(b, dv, body + 8, pos + len - 4, le) });
    } else if (type === 6 || type === 3) {
      const epb = type === 6;
      const hdr = epb ? 20 : 4;
      if (len < 12 + hdr) return fail(`packet block at offset ${pos} too short`);
      const ifId = epb ? dv.getUint32(body, le) : 0;
      const iface = ifaces[ifId];
      if (!iface) return fail(`packet block at offset ${pos} names unknown interface ${ifId}`);
      const cap = epb ? dv.getUint32(body + 12, le) : Math.min(dv.getUint32(body, le), len - 16);
      const orig = epb ? dv.getUint32(body + 16, le) : dv.getUint32(body, le);
      if (body + hdr + cap > pos + len - 4) return fail(`packet block at offset ${pos} claims ${cap} bytes`);
      const ts = epb ? dv.getUint32(body + 4, le) * 4294967296 + dv.getUint32(body + 8, le) : 0;
      packets.push({
        number: packets.length + 1,
        time: (ts / iface.tsDiv) * 1000,
        linkType: iface.linkType,
        data: b.subarray(body + hdr, body + hdr + cap),
        origLen: orig,
      });
    }
    pos += len;
  }
  if (ifaces.length === 0 && packets.length === 0 && truncated === null) return fail('pcapng file without an interface');
  return ok({ format: 'pcapng', linkType: ifaces[0]?.linkType ?? LINKTYPE_ETHERNET, packets, truncated });
}

/** if_tsresol option (code 9) of an IDB: units per second; default 10^6. */
function tsDivisor(b: Uint8Array, dv: DataView, from: number, to: number, le: boolean): number {
  let p = from;
  while (p + 4 <= to) {
    const code = dv.getUint16(p, le);
    const len = dv.getUint16(p + 2, le);
    if (code === 0) break;
    if (code === 9 && len >= 1 && p + 4 < to) {
      const v = b[p + 4]!;
      return v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    }
    p += 4 + ((len + 3) & ~3);
  }
  return 1e6;
}
