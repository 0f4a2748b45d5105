// The subset of ASN.1 BER that SNMP uses (RFC 3416/3417), written for untrusted input: every
// length is checked against what is left before it is used, depth and sizes are bounded, and
// any violation throws BerError (the agent counts it as snmpInASNParseErrs and drops the packet).

import { T, type Value, type Varbind } from './varbind.js';

export class BerError extends Error {
  override name = 'BerError';
}

export const SEQUENCE = 0x30;

export class BerReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  peekTag(): number {
    if (this.pos >= this.end) throw new BerError('unexpected end');
    return this.buf[this.pos]!;
  }

  /** Reads tag + length; returns [tag, contentStart, contentEnd] and moves past the header. */
  header(expected?: number): [number, number, number] {
    if (this.end - this.pos < 2) throw new BerError('truncated header');
    const tag = this.buf[this.pos++]!;
    if ((tag & 0x1f) === 0x1f) throw new BerError('multi-byte tags are not used by SNMP');
    if (expected !== undefined && tag !== expected) throw new BerError(`tag 0x${tag.toString(16)}, expected 0x${expected.toString(16)}`);
    let len = this.buf[this.pos++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new BerError('bad length form');
      if (this.end - this.pos < n) throw new BerError('truncated length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + this.buf[this.pos++]!;
    }
    if (len > this.end - this.pos) throw new BerError('length beyond the data');
    const start = this.pos;
    return [tag, start, start + len];
  }

  /** A child reader over the next TLV's content (and moves past it). */
  sequence(expected = SEQUENCE): BerReader {
    const [, start, end] = this.header(expected);
    this.pos = end;
    return new BerReader(this.buf, start, end);
  }

  integer(expected: number = T.Integer): number {
    const [, start, end] = this.header(expected);
    this.pos = end;
    return readSigned(this.buf, start, end);
  }

  octets(expected: number = T.OctetString): Buffer {
    const [, start, end] = this.header(expected);
    this.pos = end;
    return this.buf.subarray(start, end);
  }

  oid(): number[] {
    const [, start, end] = this.header(T.ObjectIdentifier);
    this.pos = end;
    return decodeOid(this.buf, start, end);
  }

  /** Any TLV: [tag, content]. */
  any(): [number, Buffer] {
    const [tag, start, end] = this.header();
    this.pos = end;
    return [tag, this.buf.subarray(start, end)];
  }
}

function readSigned(buf: Buffer, start: number, end: number): number {
  const n = end - start;
  if (n === 0 || n > 5) throw new BerError('bad integer length');
  let v = buf[start]! & 0x80 ? -1 : 0;
  for (let i = start; i < end; i++) v = v * 256 + buf[i]!;
  if (v < -2147483648 || v > 4294967295) throw new BerError('integer out of range');
  return v;
}

export function decodeOid(buf: Buffer, start: number, end: number): number[] {
  if (end <= start) throw new BerError('empty OID');
  if (end - start > 512) throw new BerError('OID too long');
  const out: number[] = [];
  let v = 0;
  let len = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    v = v * 128 + (b & 0x7f);
    if (++len > 5 || v > 0xffffffff) throw new BerError('OID arc too large');
    if (!(b & 0x80)) {
      if (out.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        out.push(first, v - first * 40);
      } else out.push(v);
      v = 0;
      len = 0;
    }
  }
  if (len !== 0) throw new BerError('OID ends inside an arc');
  if (out.length > 128) throw new BerError('OID has more than 128 arcs');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding: build the content first, prefix tag and length. Sizes are small (one UDP datagram).

function lengthBytes(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  if (len < 0x100) return Buffer.from([0x81, len]);
  if (len < 0x10000) return Buffer.from([0x82, len >> 8, len & 0xff]);
  return Buffer.from([0x83, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export function tlvList(tag: number, parts: Buffer[]): Buffer {
  const content = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export function encodeSigned(tag: number, n: number): Buffer {
  const bytes: number[] = [];
  let v = Math.trunc(n);
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (!((v === 0 && !(bytes[0]! & 0x80)) || (v === -1 && bytes[0]! & 0x80)));
  return tlv(tag, Buffer.from(bytes));
}

function encodeUnsigned(tag: number, n: number | bigint): Buffer {
  let v = BigInt(n);
  if (v < 0n) v = 0n;
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(tag, Buffer.from(bytes));
}

function encodeUnsigned32(tag: number, n: number): Buffer {
  const v = Math.max(0, Math.min(0xffffffff, Math.trunc(n))) >>> 0;
  if (v < 0x80) return Buffer.from([tag, 1, v]);
  if (v < 0x8000) return Buffer.from([tag, 2, v >> 8, v & 0xff]);
  if (v < 0x800000) return Buffer.from([tag, 3, v >> 16, (v >> 8) & 0xff, v & 0xff]);
  if (v < 0x80000000) return Buffer.from([tag, 4, v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
  return Buffer.from([tag, 5, 0, v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
}

export function encodeOid(oid: readonly number[]): Buffer {
  const bytes: number[] = [];
  const arcs = oid.length >= 2 ? [oid[0]! * 40 + oid[1]!, ...oid.slice(2)] : [oid[0] ?? 0];
  for (const arc of arcs) {
    let v = arc >>> 0;
    const tmp = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      tmp.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(...tmp);
  }
  return tlv(T.ObjectIdentifier, Buffer.from(bytes));
}

export function encodeValue(type: number, value: Value): Buffer {
  switch (type) {
    case T.Integer:
      return encodeSigned(T.Integer, Number(value ?? 0));
    case T.OctetString:
    case T.Opaque:
    case T.IpAddress:
      return tlv(type, Buffer.isBuffer(value) ? value : Buffer.alloc(0));
    case T.ObjectIdentifier:
      return encodeOid(Array.isArray(value) ? value : [0, 0]);
    case T.Counter32:
    case T.Gauge32:
    case T.TimeTicks:
      return encodeUnsigned32(type, Number(value ?? 0));
    case T.Counter64:
      return encodeUnsigned(T.Counter64, typeof value === 'bigint' ? value : BigInt(Number(value ?? 0)));
    case T.NoSuchObject:
    case T.NoSuchInstance:
    case T.EndOfMibView:
    case T.Null:
    default:
      return Buffer.from([type === T.Null || type > 0x82 ? T.Null : type, 0]);
  }
}

export function encodeVarbind(vb: Varbind): Buffer {
  return tlvList(SEQUENCE, [encodeOid(vb.oid), encodeValue(vb.type, vb.value)]);
}
