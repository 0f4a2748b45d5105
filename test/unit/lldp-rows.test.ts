// LLDP-MIB rows for the lldpd-esxi.pcap neighbour (and its CDP twin) against lldpd's own walks
// (../shared/fixtures/snmp), byte for byte: index (time mark, ifIndex, remote index) and values.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeCaptureFile } from '../../agent/sources/lldp/capture-file.js';
import { NeighborTable } from '../../agent/sources/lldp/neighbor-table.js';
import { cdpNeighbor, lldpNeighbor } from '../../agent/sources/lldp/to-neighbor.js';
import { capabilityBits, lldpRemRows, timeMark, type MibRow } from '../../agent/core/lldp-rows.js';
import type { Neighbor } from '../../shared/model.js';

const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures');

type WalkValue = { type: 'Integer'; value: number } | { type: 'OctetString'; value: string } | { type: 'ObjectIdentifier'; value: string };

/** snmpwalk -On output (-Ox or not): OID → typed value; octet strings as hex. */
function parseWalk(file: string, prefix: string): Map<string, WalkValue> {
  const text = readFileSync(join(FIX, 'snmp', file), 'utf8');
  const out = new Map<string, WalkValue>();
  const re = /^(\.[\d.]+) = (INTEGER|Hex-STRING|STRING|OID|Timeticks): ?/gm;
  const heads = [...text.matchAll(re)];
  heads.forEach((m, i) => {
    const start = m.index! + m[0].length;
    const end = i + 1 < heads.length ? heads[i + 1]!.index! : text.length;
    const raw = text.slice(start, end).replace(/\n$/, '');
    const oid = m[1]!.slice(1);
    if (!oid.startsWith(prefix)) return;
    switch (m[2]) {
      case 'INTEGER':
        out.set(oid, { type: 'Integer', value: Number(raw.trim()) });
        break;
      case 'Hex-STRING':
        out.set(oid, { type: 'OctetString', value: raw.replace(/\s+/g, '').toLowerCase() });
        break;
      case 'STRING': {
        const s = raw.trim();
        out.set(oid, { type: 'OctetString', value: Buffer.from(s.slice(1, -1), 'utf8').toString('hex') });
        break;
      }
      case 'OID':
        out.set(oid, { type: 'ObjectIdentifier', value: raw.trim().replace(/^\./, '') });
        break;
    }
  });
  return out;
}

function asWalk(rows: MibRow[]): Map<string, WalkValue> {
  return new Map(
    rows.map((r) => [
      r.oid.join('.'),
      r.type === 'OctetString' ? { type: r.type, value: r.value.toString('hex') } : r.type === 'Integer' ? { type: r.type, value: r.value } : { type: r.type, value: r.value },
    ]),
  );
}

function firstNeighbor(pcap: string, iface: string, table: NeighborTable, now: number): Neighbor {
  const d = decodeCaptureFile(readFileSync(join(FIX, 'lldp', pcap)));
  if (!d.ok) throw new Error(d.error);
  const fr = d.value.frames[0]!;
  const content = fr.kind === 'lldp' ? lldpNeighbor(iface, fr.frame) : fr.kind === 'cdp' ? cdpNeighbor(iface, fr.frame) : null;
  if (!content) throw new Error(`${pcap}: first frame is ${fr.kind}`);
  const o = table.observe(content, now);
  if (o.kind !== 'new') throw new Error(o.kind);
  return o.neighbor;
}

const REM = '1.0.8802.1.1.2.1.4';
const agentStart = Date.UTC(2026, 10, 24, 7, 56, 45, 300);
const ifIndex = (i: string) => (i === 'swp1' ? 2 : null);

describe('lldpRemTable / lldpRemManAddrTable as lldpd encodes them', () => {
  it('lldpd-esxi.pcap neighbour = lldpd-lldpRemTable.walk-hex.txt byte for byte', () => {
    const t = new NeighborTable();
    // learnt 2.4 s after the agent started: whole seconds → time mark 200, as in the walk
    const n = firstNeighbor('lldpd-esxi.pcap', 'swp1', t, agentStart + 2400);
    const rows = lldpRemRows([n], { ifIndex, agentStart });
    const ours = asWalk(rows.filter((r) => r.oid.join('.').startsWith(`${REM}.1.`)));
    expect(ours).toEqual(parseWalk('lldpd-lldpRemTable.walk-hex.txt', `${REM}.1.`));
    expect(ours.size).toBe(9);
  });

  it('its management address rows = the lldpRemManAddrTable part of the full walk', () => {
    const t = new NeighborTable();
    const n = firstNeighbor('lldpd-esxi.pcap', 'swp1', t, agentStart + 2650);
    const rows = lldpRemRows([n], { ifIndex, agentStart });
    expect(asWalk(rows)).toEqual(parseWalk('lldpd-lldpMIB-full.walk.txt', `${REM}.`));
  });

  it('rows come sorted by OID (column-major, as a walk returns them)', () => {
    const t = new NeighborTable();
    const n = firstNeighbor('lldpd-esxi.pcap', 'swp1', t, agentStart + 2000);
    const rows = lldpRemRows([n], { ifIndex, agentStart });
    const walkOrder = [...parseWalk('lldpd-lldpMIB-full.walk.txt', `${REM}.`).keys()];
    expect(rows.map((r) => r.oid.join('.'))).toEqual(walkOrder);
  });

  it('LLDP and CDP from one host = lldpd-lldpRemoteSystemsData-lldp+cdp.walk.txt', () => {
    const t = new NeighborTable();
    const start = agentStart;
    const lldp = firstNeighbor('lldpd-esxi.pcap', 'swp1', t, start + 62_000);
    const cdp = firstNeighbor('lldpd-cdp.pcap', 'swp1', t, start + 62_500);
    expect([lldp.remIndex, cdp.remIndex]).toEqual([1, 2]);
    const rows = lldpRemRows([cdp, lldp], { ifIndex, agentStart: start });
    expect(asWalk(rows)).toEqual(parseWalk('lldpd-lldpRemoteSystemsData-lldp+cdp.walk.txt', `${REM}.`));
  });

  it('a neighbour on an interface without ifIndex is left out; identical frames keep the time mark', () => {
    const t = new NeighborTable();
    const n = firstNeighbor('lldpd-esxi.pcap', 'eth9', t, agentStart + 5000);
    expect(lldpRemRows([n], { ifIndex, agentStart })).toEqual([]);
    const again = t.observe(lldpNeighbor('eth9', decodeFirstLldp()), agentStart + 9000);
    expect(again.kind).toBe('refreshed');
    if (again.kind !== 'refreshed') return;
    expect(timeMark(again.neighbor.lastChange, agentStart)).toBe(500);
  });

  it.each([
    [0x009c, '39'],
    [0x0080, '01'],
    [0x0004, '20'],
    [0x0014, '28'],
    [0xffff, 'ff'],
    [0x0000, '00'],
  ])('capability word 0x%s → BITS %s', (caps, hex) => {
    expect(capabilityBits(caps).toString('hex')).toBe(hex);
  });
});

function decodeFirstLldp() {
  const d = decodeCaptureFile(readFileSync(join(FIX, 'lldp', 'lldpd-esxi.pcap')));
  if (!d.ok) throw new Error(d.error);
  const fr = d.value.frames[0]!;
  if (fr.kind !== 'lldp') throw new Error(fr.kind);
  return fr.frame;
}
