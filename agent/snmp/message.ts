// SNMP messages: v2c (RFC 1901/3416) and v3 with USM (RFC 3412/3414), decode and encode.
// Decoding never trusts the input (BerError on anything malformed); encoding builds one
// datagram. Security processing (which user, digests, time window) lives in the agent.

import { BerError, BerReader, encodeSigned, SEQUENCE, tlv, tlvList } from './ber.js';
import { aesEncrypt, computeDigest, digestLength, type LocalizedUser } from './usm.js';
import { T } from './varbind.js';

export const PDU = {
  Get: 0xa0,
  GetNext: 0xa1,
  Response: 0xa2,
  Set: 0xa3,
  TrapV1: 0xa4,
  GetBulk: 0xa5,
  Inform: 0xa6,
  TrapV2: 0xa7,
  Report: 0xa8,
} as const;

export const VERSION_2C = 1;
export const VERSION_3 = 3;

export const FLAG_AUTH = 1;
export const FLAG_PRIV = 2;
export const FLAG_REPORTABLE = 4;

export interface RequestVarbind {
  oid: number[];
  /** the value's tag (Null in a read request) */
  tag: number;
}

export interface Pdu {
  tag: number;
  requestId: number;
  /** errorStatus, or nonRepeaters for GetBulk */
  a: number;
  /** errorIndex, or maxRepetitions for GetBulk */
  b: number;
  varbinds: RequestVarbind[];
}

/** At most this many varbinds in a request: more is an oversized request, refused as tooBig. */
export const MAX_REQUEST_VARBINDS = 1000;

export function decodePdu(r: BerReader): Pdu {
  const tag = r.peekTag();
  if (tag < 0xa0 || tag > 0xa8) throw new BerError(`not a PDU tag 0x${tag.toString(16)}`);
  const p = r.sequence(tag);
  const requestId = p.integer();
  const a = p.integer();
  const b = p.integer();
  const list = p.sequence();
  const varbinds: RequestVarbind[] = [];
  while (list.remaining > 0) {
    if (varbinds.length >= MAX_REQUEST_VARBINDS) throw new BerError('too many varbinds');
    const vb = list.sequence();
    const oid = vb.oid();
    const [vtag] = vb.any();
    varbinds.push({ oid, tag: vtag });
  }
  return { tag, requestId, a, b, varbinds };
}

export function encodePdu(tag: number, requestId: number, errorStatus: number, errorIndex: number, varbinds: Buffer[]): Buffer {
  return tlvList(tag, [
    encodeSigned(T.Integer, requestId),
    encodeSigned(T.Integer, errorStatus),
    encodeSigned(T.Integer, errorIndex),
    tlvList(SEQUENCE, varbinds),
  ]);
}

export interface CommunityMessage {
  version: typeof VERSION_2C | 0;
  community: Buffer;
  pdu: Pdu;
}

export interface ScopedPdu {
  contextEngineId: Buffer;
  contextName: Buffer;
  pdu: Pdu;
}

export interface V3Message {
  version: typeof VERSION_3;
  msgId: number;
  maxSize: number;
  flags: number;
  securityModel: number;
  engineId: Buffer;
  boots: number;
  time: number;
  userName: Buffer;
  authParams: Buffer;
  /** offset of authParams in the whole message (for digest checks) */
  authOffset: number;
  privParams: Buffer;
  /** plaintext scoped PDU (when not encrypted) */
  scoped: ScopedPdu | null;
  /** encrypted scoped PDU (when FLAG_PRIV) */
  encrypted: Buffer | null;
}

export type Message = CommunityMessage | V3Message;

export function decodeScopedPdu(r: BerReader): ScopedPdu {
  const s = r.sequence();
  const contextEngineId = s.octets();
  const contextName = s.octets();
  return { contextEngineId, contextName, pdu: decodePdu(s) };
}

export function decodeMessage(buf: Buffer): Message {
  const top = new BerReader(buf).sequence();
  const version = top.integer();
  if (version === 0 || version === VERSION_2C) {
    const community = top.octets();
    return { version, community, pdu: decodePdu(top) };
  }
  if (version !== VERSION_3) throw new BerError(`unknown SNMP version ${version}`);
  const g = top.sequence();
  const msgId = g.integer();
  const maxSize = g.integer();
  const flagsOctets = g.octets();
  if (flagsOctets.length !== 1) throw new BerError('msgFlags must be one octet');
  const flags = flagsOctets[0]!;
  const securityModel = g.integer();
  const spOctets = top.octets();
  const sp = new BerReader(buf, spOctets.byteOffset - buf.byteOffset, spOctets.byteOffset - buf.byteOffset + spOctets.length).sequence();
  const engineId = sp.octets();
  const boots = sp.integer();
  const time = sp.integer();
  const userName = sp.octets();
  const authParams = sp.octets();
  const authOffset = authParams.byteOffset - buf.byteOffset;
  const privParams = sp.octets();
  let scoped: ScopedPdu | null = null;
  let encrypted: Buffer | null = null;
  if (flags & FLAG_PRIV) encrypted = top.octets();
  else scoped = decodeScopedPdu(top);
  return { version, msgId, maxSize, flags, securityModel, engineId, boots, time, userName, authParams, authOffset, privParams, scoped, encrypted };
}

export function encodeCommunityMessage(version: number, community: Buffer, pdu: Buffer): Buffer {
  return tlvList(SEQUENCE, [encodeSigned(T.Integer, version), tlv(T.OctetString, community), pdu]);
}

export interface V3Out {
  msgId: number;
  flags: number;
  engineId: Buffer;
  boots: number;
  time: number;
  userName: Buffer;
  /** needed when flags carry auth/priv */
  user: LocalizedUser | null;
  contextEngineId: Buffer;
  contextName: Buffer;
  pdu: Buffer;
  maxSize?: number;
}

/** Encodes (encrypts, authenticates) a v3 message; the digest is computed over the result. */
export function encodeV3Message(m: V3Out): Buffer {
  let msgData: Buffer = tlvList(SEQUENCE, [tlv(T.OctetString, m.contextEngineId), tlv(T.OctetString, m.contextName), m.pdu]);
  let privParams: Buffer = Buffer.alloc(0);
  const auth = (m.flags & FLAG_AUTH) !== 0 && m.user !== null;
  if (m.flags & FLAG_PRIV) {
    if (!m.user) throw new Error('privacy without a user');
    const enc = aesEncrypt(m.user.privKey, m.boots, m.time, msgData);
    privParams = enc.salt;
    msgData = tlv(T.OctetString, enc.data);
  }
  const authLen = auth ? digestLength(m.user!.auth) : 0;
  const spFields = [
    tlv(T.OctetString, m.engineId),
    encodeSigned(T.Integer, m.boots),
    encodeSigned(T.Integer, m.time),
    tlv(T.OctetString, m.userName),
  ];
  const authTlv = tlv(T.OctetString, Buffer.alloc(authLen));
  const spSeq = tlvList(SEQUENCE, [...spFields, authTlv, tlv(T.OctetString, privParams)]);
  const spOctets = tlv(T.OctetString, spSeq);
  const head = [
    encodeSigned(T.Integer, VERSION_3),
    tlvList(SEQUENCE, [
      encodeSigned(T.Integer, m.msgId),
      encodeSigned(T.Integer, m.maxSize ?? 65507),
      tlv(T.OctetString, Buffer.from([m.flags])),
      encodeSigned(T.Integer, 3),
    ]),
  ];
  const msg = tlvList(SEQUENCE, [...head, spOctets, msgData]);
  if (auth) {
    // Locate the zeroed digest: it is the last authLen octets before the privParams TLV, which
    // ends the security parameters, which end right before msgData.
    const spEnd = msg.length - msgData.length;
    const offset = spEnd - (2 + privParams.length) - authLen;
    computeDigest(m.user!.auth, m.user!.authKey, msg).copy(msg, offset);
  }
  return msg;
}
