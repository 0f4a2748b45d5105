import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FramingError, JsonStreamSplitter } from '../../agent/drivers/ovsdb/framing.js';

const messages: unknown[] = [
  { id: 1, result: [{ rows: [{ name: 'swp1', trunks: ['set', [1, 10]] }] }], error: null },
  { method: 'update', params: ['m', { Port: { u: { new: { name: 'p}{]["\\"x' } } } }], id: null },
  { method: 'echo', params: [], id: 'echo' },
  { id: 2, result: { text: 'naïve — 日本語 🚀 "quoted" \\ backslash {not a brace}' }, error: null },
  [1, [2, [3]], { a: [] }],
];
const stream = Buffer.from(messages.map((m) => JSON.stringify(m)).join(''), 'utf8');

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('JsonStreamSplitter', () => {
  it('splits values sent back to back in one chunk', () => {
    expect(new JsonStreamSplitter().push(stream)).toEqual(messages);
  });

  it('reassembles values fed one byte at a time (multi-byte UTF-8 split mid-character)', () => {
    const s = new JsonStreamSplitter();
    const out: unknown[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...s.push(stream.subarray(i, i + 1)));
    expect(out).toEqual(messages);
    expect(s.pending).toBe(0);
  });

  it('gives the same values for any chunking (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
        const s = new JsonStreamSplitter();
        const out = splitAt(stream, cuts).flatMap((c) => s.push(c));
        expect(out).toEqual(messages);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips arbitrary JSON objects in arbitrary chunks (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (objs, cuts) => {
        const buf = Buffer.from(objs.map((o) => JSON.stringify(o)).join('\n '), 'utf8');
        const s = new JsonStreamSplitter();
        const out = splitAt(buf, cuts).flatMap((c) => s.push(c));
        expect(out).toEqual(JSON.parse(JSON.stringify(objs)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a partial value until its end arrives, ignoring whitespace between values', () => {
    const s = new JsonStreamSplitter();
    expect(s.push(Buffer.from(' \n{"id":1,"result":"a}'))).toEqual([]);
    expect(s.pending).toBeGreaterThan(0);
    expect(s.push(Buffer.from('b"}\r\n\t{"id":2}{"id"'))).toEqual([{ id: 1, result: 'a}b' }, { id: 2 }]);
    expect(s.push(Buffer.from(':3}'))).toEqual([{ id: 3 }]);
  });

  it('refuses garbage between messages and malformed JSON with a FramingError', () => {
    expect(() => new JsonStreamSplitter().push(Buffer.from('{"a":1}x'))).toThrow(FramingError);
    expect(() => new JsonStreamSplitter().push(Buffer.from('{"a":1,}'))).toThrow(/malformed JSON/);
  });

  it('refuses a message over the size cap', () => {
    const s = new JsonStreamSplitter(16);
    expect(() => s.push(Buffer.from('{"a":"0123456789abcdef"'))).toThrow(/larger than 16 bytes/);
  });
});
