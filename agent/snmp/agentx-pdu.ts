// AgentX (RFC 2741) PDUs: encoding, decoding and stream framing. A TCP or unix stream carries
// PDUs back to back with no boundaries: the framer cuts them by the header's payload length,
// so several PDUs in one read (or one PDU over several reads) are all handled; net-snmp's npm
// subagent parses one PDU per 'data' event and loses the rest. Both byte orders are read.

import { T, type Value, type Varbind } from './varbind.js';

export const AX = {
  Open: 1,
  Close: 2,
  Register: 3,
  Unregister: 4,
  Get: 5,
  GetNext: 6,
  GetBulk: 7,
  TestSet: 8,
  CommitSet: 9,
  UndoSet: 10,
  CleanupSet: 11,
  Notify: 12,
  Ping: 13,
  IndexAllocate: 14,
  IndexDeallocate: 15,
  AddAgentCaps: 16,
  RemoveAgentCaps: 17,
  Response: 18,
} as const;

export const AX_FLAG = { instanceRegistration: 0x01, newIndex: 0x02, anyIndex: 0x04, nonDefaultContext: 0x08, networkByteOrder: 0x10 } as const;

export const AX_ERR = {
  noAgentXError: 0,
  openFailed: 256,
  notOpen: 257,
  duplicateRegistration: 263,
  parseError: 266,
  requestDenied: 267,
  processingError: 268,
} as const;

export const HEADER = 20;
/** Larger payloads are a broken peer, not a request: the session is dropped. */
export const MAX_PAYLOAD = 1 << 20;

export class AgentXError extends Error {
  override name = 'AgentXError';
}

export interface SearchRange {
  start: number[];
  include: boolean;
  /** empty = no upper bound */
  end: number[];
}

export interface AgentXPdu {
  type: number;
  flags: number;
  sessionId: number;
  transactionId: number;
  packetId: number;
  /** raw payload (after the context, when present) */
  payload: Buffer;
  bigEndian: boolean;
  context: Buffer | null;
}

// ---------------------------------------------------------------------------------------------
// Reading

export class AxReader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly be: boolean,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new AgentXError('AgentX payload truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.be ? this.buf.readUInt16BE(this.pos) : this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.be ? this.buf.readUInt32BE(this.pos) : this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  /** Returns [oid, include]. */
  oid(): [number[], boolean] {
    const n = this.u8();
    const prefix = this.u8();
    const include = this.u8() !== 0;
    this.u8();
    if (n > 128) throw new AgentXError('AgentX OID longer than 128 sub-identifiers');
    const out: number[] = prefix !== 0 ? [1, 3, 6, 1, prefix] : [];
    for (let i = 0; i < n; i++) out.push(this.u32());
    if (n === 0 && prefix === 0) return [[], include];
    return [out, include];
  }
  octets(): Buffer {
    const len = this.u32();
    if (len > this.remaining) throw new AgentXError('AgentX octet string beyond the payload');
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += (len + 3) & ~3;
    if (this.pos > this.buf.length) this.pos = this.buf.length;
    return v;
  }
  searchRanges(): SearchRange[] {
    const out: SearchRange[] = [];
    while (this.remaining > 0) {
      const [start, include] = this.oid();
      const [end] = this.oid();
      out.push({ start, include, end });
      if (out.length > 4096) throw new AgentXError('too many search ranges');
    }
    return out;
  }
  varbind(): Varbind {
    const type = this.u16();
    this.u16();
    const [oid] = this.oid();
    let value: Value = null;
    switch (type) {
      case T.Integer:
        value = this.u32() | 0;
        break;
      case T.Counter32:
      case T.Gauge32:
      case T.TimeTicks:
        value = this.u32();
        break;
      case T.Counter64: {
        const hi = BigInt(this.u32());
        const lo = BigInt(this.u32());
        value = (hi << 32n) | lo;
        break;
      }
      case T.OctetString:
      case T.IpAddress:
      case T.Opaque:
        value = Buffer.from(this.octets());
        break;
      case T.ObjectIdentifier:
        value = this.oid()[0];
        break;
      default:
        value = null;
    }
    return { oid, type, value };
  }
}

/** Cuts a byte stream into PDUs. `push` returns the complete PDUs; throws on a broken stream. */
export class AgentXFramer {
  private chunks: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): AgentXPdu[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const out: AgentXPdu[] = [];
    if (this.length < HEADER) return out;
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    let pos = 0;
    while (buf.length - pos >= HEADER) {
      const version = buf[pos]!;
      if (version !== 1) throw new AgentXError(`AgentX version ${version}`);
      const flags = buf[pos + 2]!;
      const be = (flags & AX_FLAG.networkByteOrder) !== 0;
      const len = be ? buf.readUInt32BE(pos + 16) : buf.readUInt32LE(pos + 16);
      if (len > MAX_PAYLOAD || len % 4 !== 0) throw new AgentXError(`AgentX payload length ${len}`);
      if (buf.length - pos < HEADER + len) break;
      out.push(parseHeader(buf.subarray(pos, pos + HEADER + len)));
      pos += HEADER + len;
    }
    buf = buf.subarray(pos);
    this.chunks = buf.length ? [buf] : [];
    this.length = buf.length;
    return out;
  }
}

function parseHeader(frame: Buffer): AgentXPdu {
  const flags = frame[2]!;
  const be = (flags & AX_FLAG.networkByteOrder) !== 0;
  const r = new AxReader(frame, be);
  r.pos = 4;
  const sessionId = r.u32();
  const transactionId = r.u32();
  const packetId = r.u32();
  r.u32();
  let context: Buffer | null = null;
  if (flags & AX_FLAG.nonDefaultContext) {
    const pr = new AxReader(frame.subarray(HEADER), be);
    context = Buffer.from(pr.octets());
    return { type: frame[1]!, flags, sessionId, transactionId, packetId, payload: frame.subarray(HEADER + pr.pos), bigEndian: be, context };
  }
  return { type: frame[1]!, flags, sessionId, transactionId, packetId, payload: frame.subarray(HEADER), bigEndian: be, context };
}

// ---------------------------------------------------------------------------------------------
// Writing (always network byte order, flag set)

export class AxWriter {
  private buf = Buffer.allocUnsafe(4096);
  pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  oid(oid: readonly number[], include = false): this {
    let prefix = 0;
    let start = 0;
    if (oid.length >= 5 && oid[0] === 1 && oid[1] === 3 && oid[2] === 6 && oid[3] === 1 && oid[4]! > 0 && oid[4]! < 256) {
      prefix = oid[4]!;
      start = 5;
    }
    const n = oid.length - start;
    this.room(4 + 4 * n);
    this.u8(n).u8(prefix).u8(include ? 1 : 0).u8(0);
    for (let i = start; i < oid.length; i++) this.u32(oid[i]!);
    return this;
  }
  octets(v: Buffer): this {
    this.u32(v.length);
    this.room(v.length + 3);
    v.copy(this.buf, this.pos);
    this.pos += v.length;
    while (this.pos % 4) this.buf[this.pos++] = 0;
    return this;
  }
  varbind(vb: Varbind): this {
    this.u16(vb.type).u16(0).oid(vb.oid);
    const v = vb.value;
    switch (vb.type) {
      case T.Integer:
        return this.u32(Number(v ?? 0) | 0);
      case T.Counter32:
      case T.Gauge32:
      case T.TimeTicks:
        return this.u32(Math.max(0, Math.min(0xffffffff, Number(v ?? 0))));
      case T.Counter64: {
        const b = typeof v === 'bigint' ? v : BigInt(Number(v ?? 0));
        return this.u32(Number((b >> 32n) & 0xffffffffn)).u32(Number(b & 0xffffffffn));
      }
      case T.OctetString:
      case T.IpAddress:
      case T.Opaque:
        return this.octets(Buffer.isBuffer(v) ? v : Buffer.alloc(0));
      case T.ObjectIdentifier:
        return this.oid(Array.isArray(v) ? v : []);
      default:
        return this;
    }
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** A whole PDU: header + payload written by `body`. */
export function encodePdu(
  type: number,
  ids: { sessionId: number; transactionId: number; packetId: number },
  body: (w: AxWriter) => void,
  flags = 0,
): Buffer {
  const w = new AxWriter();
  w.u8(1).u8(type).u8(flags | AX_FLAG.networkByteOrder).u8(0);
  w.u32(ids.sessionId).u32(ids.transactionId).u32(ids.packetId).u32(0);
  body(w);
  const out = Buffer.from(w.bytes());
  out.writeUInt32BE(out.length - HEADER, 16);
  return out;
}
