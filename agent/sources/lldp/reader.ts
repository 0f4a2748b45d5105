// A checked cursor over a byte buffer, lldpd style: every read is preceded by a length check for
// exactly what it is about to read (lengths taken from the frame included), and a TLV is a window
// whose end the caller jumps to whatever the handler read. Reads never throw: a short read sets
// `failed` and returns a neutral value, so decoders check once per TLV instead of per byte.

export class ByteReader {
  /** absolute position in `buf` */
  pos: number;
  /** absolute end (exclusive) of the current window */
  end: number;
  /** a read ran past `end` */
  failed = false;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = Math.max(0, Math.min(start, buf.length));
    this.end = Math.max(this.pos, Math.min(end, buf.length));
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  has(n: number): boolean {
    return n >= 0 && this.end - this.pos >= n;
  }

  u8(): number {
    if (!this.has(1)) return this.fail();
    return this.buf[this.pos++]!;
  }

  u16(): number {
    if (!this.has(2)) return this.fail();
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(): number {
    if (!this.has(3)) return this.fail();
    const b = this.buf;
    const v = (b[this.pos]! << 16) | (b[this.pos + 1]! << 8) | b[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  u32(): number {
    if (!this.has(4)) return this.fail();
    const b = this.buf;
    const v = b[this.pos]! * 0x1000000 + ((b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!);
    this.pos += 4;
    return v;
  }

  /** `n` bytes as a view (no copy); empty and `failed` when fewer remain */
  bytes(n: number): Uint8Array {
    if (!this.has(n)) {
      this.fail();
      return EMPTY;
    }
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** everything left in the window */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** everything left as display text (see displayText), without a copy of the bytes */
  restText(): string {
    let end = this.end;
    while (end > this.pos && this.buf[end - 1] === 0) end--;
    const s = textAt(this.buf, this.pos, end);
    this.pos = this.end;
    return s;
  }

  /** everything left as hex */
  restHex(): string {
    const s = hexAt(this.buf, this.pos, this.end);
    this.pos = this.end;
    return s;
  }

  skip(n: number): boolean {
    if (!this.has(n)) {
      this.fail();
      return false;
    }
    this.pos += n;
    return true;
  }

  /**
   * Narrow this reader to the next `n` bytes (a TLV's window) and run `fn` inside; afterwards the
   * cursor sits at the window's end whatever `fn` read, and the full range is restored. Returns
   * null (and reads nothing) when the window is not all there. `fn` sees `failed` for over-reads.
   */
  inWindow<T>(n: number, fn: (r: ByteReader) => T): { value: T; overRead: boolean } | null {
    if (!this.has(n)) return null;
    const outer = this.end;
    const end = this.pos + n;
    this.end = end;
    this.failed = false;
    const value = fn(this);
    const overRead = this.failed;
    this.failed = false;
    this.pos = end;
    this.end = outer;
    return { value, overRead };
  }

  /** A sub-reader over the next `n` bytes; this reader moves past them. Null when they are not all there. */
  window(n: number): ByteReader | null {
    if (!this.has(n)) {
      this.fail();
      return null;
    }
    const w = new ByteReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return w;
  }

  private fail(): number {
    this.failed = true;
    this.pos = this.end;
    return 0;
  }
}

const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------
// Small pure formatters shared by the decoders.

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Node's native Buffer slicers work on any Uint8Array and allocate nothing but the string; they
// are several times faster than building strings byte by byte (the decoders' hot path).
type Slicer = (this: Uint8Array, start: number, end: number) => string;
const proto = (globalThis as { Buffer?: { prototype: Record<string, unknown> } }).Buffer?.prototype;
const nativeUtf8 = typeof proto?.utf8Slice === 'function' ? (proto.utf8Slice as Slicer) : null;
const nativeHex = typeof proto?.hexSlice === 'function' ? (proto.hexSlice as Slicer) : null;

/** bytes [start, end) of `buf` as lower-case hex */
export function hexAt(buf: Uint8Array, start: number, end: number): string {
  if (end <= start) return '';
  if (nativeHex) return nativeHex.call(buf, start, end);
  let s = '';
  for (let i = start; i < end; i++) s += HEX[buf[i]!]!;
  return s;
}

/** bytes [start, end) of `buf` as UTF-8 text with replacement characters */
export function textAt(buf: Uint8Array, start: number, end: number): string {
  if (end <= start) return '';
  if (nativeUtf8) return nativeUtf8.call(buf, start, end);
  return utf8.decode(buf.subarray(start, end));
}

export function hex(b: Uint8Array, sep = ''): string {
  if (!sep) return hexAt(b, 0, b.length);
  let s = '';
  for (let i = 0; i < b.length; i++) s += (i ? sep : '') + HEX[b[i]!]!;
  return s;
}

export function mac(b: Uint8Array): string {
  return macAt(b, 0);
}

/** six bytes at `at` as a lower-case colon-separated MAC */
export function macAt(b: Uint8Array, at: number): string {
  return `${HEX[b[at]!]}:${HEX[b[at + 1]!]}:${HEX[b[at + 2]!]}:${HEX[b[at + 3]!]}:${HEX[b[at + 4]!]}:${HEX[b[at + 5]!]}`;
}

/** Display text of a string TLV: trailing NULs (C-string senders) dropped, as tshark and lldpctl show it. */
export function displayText(b: Uint8Array): string {
  let n = b.length;
  while (n > 0 && b[n - 1] === 0) n--;
  return text(n === b.length ? b : b.subarray(0, n));
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Text from the wire: UTF-8 with replacement characters, never a throw. */
export function text(b: Uint8Array): string {
  return textAt(b, 0, b.length);
}

export function ipv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text form of a 16-byte IPv6 address. */
export function ipv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  // longest run (≥ 2) of zero words becomes "::"
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const part = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestLen < 2) return part(words);
  return `${part(words.slice(0, bestStart))}::${part(words.slice(bestStart + bestLen))}`;
}
