// Ethernet demultiplexer: which frames are LLDP, which are CDP, which are neither.
// LLDP = ethertype 0x88cc (any destination: tshark and lldpd key on the type).
// CDP = 802.3 length frame to 01:00:0c:cc:cc:cc with LLC AA-AA-03, SNAP OUI 00000c, PID 0x2000.
// Anything else on that multicast (DTP is PID 0x2004, VTP 0x2003, PAgP 0x0104 …) is ignored:
// not an error, not CDP. Pure; never throws.

import { decodeCdp, type CdpFrame, type CdpTlv } from './cdp-decode.js';
import { decodeLldp } from './lldp-decode.js';
import type { LldpFrame, LldpTlv } from './lldp-types.js';
import type { DecodeError } from './decode-result.js';
import { macAt } from './reader.js';

export const ETHERTYPE_LLDP = 0x88cc;
export const CDP_PID = 0x2000;

export type DecodedFrame =
  | { kind: 'lldp'; src: string; frame: LldpFrame }
  | { kind: 'cdp'; src: string; frame: CdpFrame }
  | { kind: 'malformed'; protocol: 'lldp'; src: string; error: DecodeError<LldpTlv> }
  | { kind: 'malformed'; protocol: 'cdp'; src: string; error: DecodeError<CdpTlv> }
  /** not LLDP/CDP (DTP, other traffic) or too short to tell */
  | { kind: 'ignored'; reason: string };

export function decodeEthernet(b: Uint8Array): DecodedFrame {
  if (b.length < 14) return { kind: 'ignored', reason: `runt frame (${b.length} bytes)` };
  let off = 12;
  let type = (b[off]! << 8) | b[off + 1]!;
  // one 802.1Q / 802.1ad tag is tolerated (a tagged LLDPDU on a trunk)
  if ((type === 0x8100 || type === 0x88a8) && b.length >= 18) {
    off += 4;
    type = (b[off]! << 8) | b[off + 1]!;
  }
  const payload = off + 2;
  const src = macAt(b, 6);
  if (type === ETHERTYPE_LLDP) {
    const r = decodeLldp(b.subarray(payload));
    return r.ok ? { kind: 'lldp', src, frame: r.value } : { kind: 'malformed', protocol: 'lldp', src, error: r.error };
  }
  if (type <= 1500) {
    if (!isCdpMulticast(b)) return { kind: 'ignored', reason: '802.3 frame not to the CDP multicast' };
    if (b.length < payload + 8) return { kind: 'ignored', reason: 'LLC/SNAP header truncated' };
    if (b[payload] !== 0xaa || b[payload + 1] !== 0xaa || b[payload + 2] !== 0x03) {
      return { kind: 'ignored', reason: 'not LLC/SNAP' };
    }
    const oui = (b[payload + 3]! << 16) | (b[payload + 4]! << 8) | b[payload + 5]!;
    const pid = (b[payload + 6]! << 8) | b[payload + 7]!;
    if (oui !== 0x00000c || pid !== CDP_PID) {
      return { kind: 'ignored', reason: `Cisco SNAP PID 0x${pid.toString(16).padStart(4, '0')} is not CDP` };
    }
    // the 802.3 length covers LLC + PDU: it strips Ethernet padding; a capture cut short keeps what it has
    const end = Math.min(b.length, payload + type);
    const r = decodeCdp(b.subarray(payload + 8, end));
    return r.ok ? { kind: 'cdp', src, frame: r.value } : { kind: 'malformed', protocol: 'cdp', src, error: r.error };
  }
  return { kind: 'ignored', reason: `ethertype 0x${type.toString(16).padStart(4, '0')}` };
}

function isCdpMulticast(b: Uint8Array): boolean {
  return b[0] === 0x01 && b[1] === 0x00 && b[2] === 0x0c && b[3] === 0xcc && b[4] === 0xcc && b[5] === 0xcc;
}
