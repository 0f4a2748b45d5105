// VLAN sets: parsing and printing operator ranges ("1,10-20"), and the 512-octet bitmaps of
// VMTRACE-MIB (bit 0 of octet 0 = VLAN 0, most significant bit first, as in Q-BRIDGE-MIB).

import type { VlanId, VlanRange, VlanSpec } from './model.js';

export const VLAN_MIN = 0;
export const VLAN_MAX = 4095;

export function isVlanId(n: unknown): n is VlanId {
  return typeof n === 'number' && Number.isInteger(n) && n >= VLAN_MIN && n <= VLAN_MAX;
}

/** Parses "10", "10-20", "1,5,10-20" into sorted unique ranges; throws RangeError on bad input. */
export function parseVlanRanges(text: string): VlanRange[] {
  const out: VlanRange[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`"${part}" is not a VLAN or range`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (!isVlanId(from) || !isVlanId(to)) throw new RangeError(`"${part}" is outside 0-4095`);
    if (to < from) throw new RangeError(`"${part}" runs backwards`);
    out.push({ from, to });
  }
  return normalizeRanges(out);
}

export function normalizeRanges(ranges: VlanRange[]): VlanRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const out: VlanRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ from: r.from, to: r.to });
  }
  return out;
}

export function rangesToList(ranges: VlanRange[]): VlanId[] {
  const out: VlanId[] = [];
  for (const r of ranges) for (let v = r.from; v <= r.to; v++) out.push(v);
  return out;
}

export function listToRanges(vlans: Iterable<VlanId>): VlanRange[] {
  return normalizeRanges([...vlans].map((v) => ({ from: v, to: v })));
}

export function inRanges(vlan: VlanId, ranges: VlanRange[]): boolean {
  return ranges.some((r) => vlan >= r.from && vlan <= r.to);
}

/** "1,10-20" — the range string served in VMTRACE-MIB and shown by `show ports`. */
export function formatVlans(vlans: Iterable<VlanId>): string {
  return listToRanges(vlans)
    .map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`))
    .join(',');
}

/** 512-octet bitmap, VLAN n at octet n>>3, bit 7-(n&7). */
export function vlanBitmap(vlans: Iterable<VlanId>): Buffer {
  const buf = Buffer.alloc(512);
  for (const v of vlans) {
    if (!isVlanId(v)) continue;
    buf[v >> 3]! |= 0x80 >> (v & 7);
  }
  return buf;
}

export function bitmapToVlans(buf: Uint8Array): VlanId[] {
  const out: VlanId[] = [];
  for (let i = 0; i < buf.length && i < 512; i++) {
    const byte = buf[i]!;
    if (byte === 0) continue;
    for (let b = 0; b < 8; b++) if (byte & (0x80 >> b)) out.push(i * 8 + b);
  }
  return out;
}

export function describeVlanSpec(spec: VlanSpec): string {
  switch (spec.kind) {
    case 'vlan':
      return `vlan ${spec.vlan}`;
    case 'trunk':
      return `trunk ${formatVlans(rangesToList(spec.ranges))}`;
    case 'pvlan':
      return `pvlan ${spec.primary}/${spec.secondary}`;
    case 'none':
      return 'none';
  }
}
