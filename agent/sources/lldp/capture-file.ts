// A capture file decoded frame by frame: the pcap reader plus the Ethernet demux. Frames of a
// link type other than Ethernet (the Cisco HDLC capture, say) are reported as such, never fed
// to the Ethernet decoder. Pure: takes the file's bytes.

import { decodeEthernet, type DecodedFrame } from './frame.js';
import { LINKTYPE_ETHERNET, linkTypeName, readPcap, type PcapFile } from './pcap.js';
import type { Result } from './decode-result.js';

export type FileFrame = {
  number: number;
  /** ms since epoch */
  time: number;
  length: number;
} & (DecodedFrame | { kind: 'unsupported-link'; linkType: number; linkTypeName: string });

export interface DecodedCapture {
  format: PcapFile['format'];
  linkType: number;
  linkTypeName: string;
  truncated: string | null;
  frames: FileFrame[];
}

export function decodeCaptureFile(bytes: Uint8Array): Result<DecodedCapture, string> {
  const r = readPcap(bytes);
  if (!r.ok) return r;
  const frames: FileFrame[] = r.value.packets.map((p) => {
    const base = { number: p.number, time: p.time, length: p.origLen };
    if (p.linkType !== LINKTYPE_ETHERNET) {
      return { ...base, kind: 'unsupported-link' as const, linkType: p.linkType, linkTypeName: linkTypeName(p.linkType) };
    }
    return { ...base, ...decodeEthernet(p.data) };
  });
  return {
    ok: true,
    value: {
      format: r.value.format,
      linkType: r.value.linkType,
      linkTypeName: linkTypeName(r.value.linkType),
      truncated: r.value.truncated,
      frames,
    },
  };
}
