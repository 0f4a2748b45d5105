// Our pcap/pcapng reader against files written by Wireshark's editcap (pcapng, nanosecond pcap)
// from the fixture corpus: the same frames, bytes and times as the classic pcap.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readPcap } from '../../agent/sources/lldp/pcap.js';

const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/lldp');
const tmp = mkdtempSync(join(tmpdir(), 'vmtrace-lldp-pcap-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const files = readdirSync(FIX).filter((f) => f.endsWith('.pcap')).sort();

describe('pcap reader', () => {
  it.each(files)('%s: pcapng and nanosecond pcap read like the original', (file) => {
    const orig = readPcap(readFileSync(join(FIX, file)));
    expect(orig.ok).toBe(true);
    if (!orig.ok) return;
    for (const [format, ext] of [['pcapng', 'pcapng'], ['nsecpcap', 'ns.pcap']] as const) {
      const out = join(tmp, `${file}.${ext}`);
      execFileSync('editcap', ['-F', format, join(FIX, file), out]);
      const r = readPcap(readFileSync(out));
      expect(r.ok, format).toBe(true);
      if (!r.ok) return;
      expect(r.value.linkType).toBe(orig.value.linkType);
      expect(r.value.packets.length).toBe(orig.value.packets.length);
      r.value.packets.forEach((p, i) => {
        const o = orig.value.packets[i]!;
        expect(Buffer.from(p.data).equals(Buffer.from(o.data))).toBe(true);
        expect(p.linkType).toBe(o.linkType);
        expect(Math.abs(p.time - o.time)).toBeLessThan(0.001);
      });
    }
  });

  it.each([
    ['garbage', Buffer.from('not a capture at all')],
    ['pcapng without a byte-order magic', Buffer.from('0a0d0d0a1c000000000000000000000000000000000000001c000000', 'hex')],
    ['record claiming 1 GB', Buffer.concat([Buffer.from('d4c3b2a102000400000000000000000000000400010000000000000000000000', 'hex'), Buffer.from('0000004000000040', 'hex')])],
  ])('%s is an error value', (_l, b) => {
    const r = readPcap(b);
    expect(r.ok).toBe(false);
  });

  it('a file cut inside a record keeps the records before it and says so', () => {
    const b = readFileSync(join(FIX, 'lldpd-esxi.pcap'));
    const r = readPcap(b.subarray(0, b.length - 10));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.packets).toHaveLength(4);
    expect(r.value.truncated).toMatch(/truncated/);
  });
});
