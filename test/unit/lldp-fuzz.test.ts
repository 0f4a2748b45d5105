// Fuzzing the decoders with 1,000,000 frames mutated from the fixture corpus (bit flips,
// truncations, TLV length fields set to extremes, random bytes set to 0x00/0xff). Seeded, so a
// failure replays: zero exceptions, every result a well-formed outcome, no decode slow enough to
// suggest a loop. Mutated pcap files go through the file reader too.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeEthernet } from '../../agent/sources/lldp/frame.js';
import { decodeCaptureFile } from '../../agent/sources/lldp/capture-file.js';
import { readPcap } from '../../agent/sources/lldp/pcap.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/lldp');
const SEED = 0x5eed1dd9;
const FRAMES = 1_000_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seed {
  bytes: Uint8Array;
  /** offsets of TLV headers (LLDP: 2-byte type/len; CDP: 2-byte type + 2-byte len) */
  lldpTlvs: number[];
  cdpTlvs: number[];
}

function corpus(): { frames: Seed[]; files: Uint8Array[] } {
  const frames: Seed[] = [];
  const files: Uint8Array[] = [];
  for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.pcap'))) {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, f)));
    files.push(bytes);
    const r = readPcap(bytes);
    if (!r.ok) continue;
    for (const p of r.value.packets) {
      const b = p.data.slice();
      const s: Seed = { bytes: b, lldpTlvs: [], cdpTlvs: [] };
      if (b.length > 14 && b[12] === 0x88 && b[13] === 0xcc) {
        for (let o = 14; o + 2 <= b.length; ) {
          s.lldpTlvs.push(o);
          const len = ((b[o]! << 8) | b[o + 1]!) & 0x1ff;
          if (b[o]! >> 1 === 0) break;
          o += 2 + len;
        }
      } else if (b.length > 26 && b[0] === 0x01 && b[20] === 0x20 && b[21] === 0x00) {
        for (let o = 26; o + 4 <= b.length; ) {
          s.cdpTlvs.push(o);
          const len = (b[o + 2]! << 8) | b[o + 3]!;
          if (len < 4) break;
          o += len;
        }
      }
      frames.push(s);
    }
  }
  return { frames, files };
}

function mutate(s: Seed, rnd: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rnd() * n);
  let b = s.bytes.slice();
  const ops = 1 + pick(3);
  for (let k = 0; k < ops; k++) {
    switch (pick(5)) {
      case 0: {
        // bit flips
        const flips = 1 + pick(8);
        for (let i = 0; i < flips && b.length; i++) b[pick(b.length)]! ^= 1 << pick(8);
        break;
      }
      case 1:
        b = b.subarray(0, pick(b.length + 1));
        break;
      case 2: {
        // an LLDP TLV length to an extreme
        const o = s.lldpTlvs[pick(s.lldpTlvs.length)];
        if (o === undefined || o + 1 >= b.length) break;
        const len = [0, 1, 2, 0x1ff, 0x100, pick(0x200)][pick(6)]!;
        b[o] = (b[o]! & 0xfe) | (len >> 8);
        b[o + 1] = len & 0xff;
        break;
      }
      case 3: {
        // a CDP TLV length (or the address count inside) to an extreme
        const o = s.cdpTlvs[pick(s.cdpTlvs.length)];
        if (o === undefined || o + 3 >= b.length) break;
        const len = [0, 3, 4, 5, 0xffff, 0x8000, pick(0x10000)][pick(7)]!;
        b[o + 2] = len >> 8;
        b[o + 3] = len & 0xff;
        if (o + 8 < b.length && rnd() < 0.3) b.fill(0xff, o + 4, o + 8);
        break;
      }
      default: {
        // nested lengths live in single bytes: push random ones to 0x00 / 0xff
        const n = 1 + pick(4);
        for (let i = 0; i < n && b.length; i++) b[pick(b.length)] = rnd() < 0.5 ? 0 : 0xff;
      }
    }
  }
  return b;
}

const KINDS = new Set(['lldp', 'cdp', 'malformed', 'ignored']);

describe('decoder fuzzing', () => {
  const { frames, files } = corpus();

  it(`survives ${FRAMES.toLocaleString('en')} mutated frames`, () => {
    expect(frames.length).toBeGreaterThan(50);
    const rnd = mulberry32(SEED);
    const counts: Record<string, number> = { lldp: 0, cdp: 0, malformed: 0, ignored: 0 };
    const exceptions: string[] = [];
    let slowest = 0;
    for (let i = 0; i < FRAMES; i++) {
      const b = mutate(frames[i % frames.length]!, rnd);
      const t0 = performance.now();
      try {
        const d = decodeEthernet(b);
        if (!KINDS.has(d.kind)) exceptions.push(`iteration ${i}: kind ${String(d.kind)}`);
        counts[d.kind]!++;
      } catch (e) {
        if (exceptions.length < 5) exceptions.push(`iteration ${i}: ${String(e)}`);
        else exceptions.push('');
      }
      const dt = performance.now() - t0;
      if (dt > slowest) slowest = dt;
    }
    expect(exceptions).toEqual([]);
    // a hang never returns (the test's timeout catches it); a decode taking seconds would be a
    // near-hang. The bound is loose because CI shares its two cores with other test files.
    expect(slowest).toBeLessThan(2000);
    // the mutations reach every outcome, so the fuzzer is exercising the decoders
    for (const k of KINDS) expect(counts[k], k).toBeGreaterThan(1000);
  }, 120_000);

  it('survives 20,000 mutated capture files', () => {
    const rnd = mulberry32(SEED + 1);
    let errors = 0;
    for (let i = 0; i < 20_000; i++) {
      const src = files[i % files.length]!;
      const b = src.slice(0, Math.max(0, src.length - Math.floor(rnd() * 64)));
      const flips = Math.floor(rnd() * 6);
      for (let k = 0; k < flips && b.length; k++) b[Math.floor(rnd() * Math.min(b.length, 64))]! ^= 1 << Math.floor(rnd() * 8);
      const r = decodeCaptureFile(b);
      if (!r.ok) errors++;
    }
    // damaged headers are refused with an error value, never a throw
    expect(errors).toBeGreaterThan(0);
  }, 60_000);
});
