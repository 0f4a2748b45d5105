// LLDP-MIB (IEEE 802.1AB-2005, 1.0.8802.1.1.2) lldpRemTable and lldpRemManAddrTable rows from the
// neighbour table, encoded exactly as lldpd encodes them (../shared/fixtures/snmp/README.md):
//   index = lldpRemTimeMark . lldpRemLocalPortNum . lldpRemIndex
//   - time mark: (last change − agent start) in whole seconds × 100 (lldpd: time_t arithmetic)
//   - local port number: the local interface's ifIndex
//   - remote index: lldpd's per-remote-chassis counter (Neighbor.remIndex, kept by the table)
//   - SysCapSupported/Enabled: BITS = one octet, bit order reversed from the TLV's low byte
//   - ManAddr index appends subtype . length . address octets (non-IMPLIED octet string);
//     IfSubtype ifIndex(2) when an interface number is known else unknown(1); OID zeroDotZero.
// Rows come sorted by OID, ready to serve. Pure.

import type { Neighbor } from '../../shared/model.js';

export const LLDP_REM_ENTRY = [1, 0, 8802, 1, 1, 2, 1, 4, 1, 1] as const;
export const LLDP_REM_MAN_ADDR_ENTRY = [1, 0, 8802, 1, 1, 2, 1, 4, 2, 1] as const;

export type MibRow =
  | { oid: number[]; type: 'Integer'; value: number }
  | { oid: number[]; type: 'OctetString'; value: Buffer }
  | { oid: number[]; type: 'ObjectIdentifier'; value: string };

export interface LldpRowsOptions {
  /** ifIndex of a local interface; neighbours on interfaces without one are left out */
  ifIndex: (iface: string) => number | null;
  /** ms since epoch at which the SNMP agent's sysUpTime was zero (lldpd's `starttime`) */
  agentStart: number;
}

/** lldpRemTimeMark for a neighbour: whole seconds since the agent started, × 100 (TimeTicks). */
export function timeMark(lastChange: number, agentStart: number): number {
  return Math.max(0, Math.floor(lastChange / 1000) - Math.floor(agentStart / 1000)) * 100;
}

/** lldpd's swap_bits: the TLV's low capability byte, most significant bit first. */
export function capabilityBits(caps: number): Buffer {
  let n = caps & 0xff;
  n = ((n & 0xf0) >> 4) | ((n & 0x0f) << 4);
  n = ((n & 0xcc) >> 2) | ((n & 0x33) << 2);
  n = ((n & 0xaa) >> 1) | ((n & 0x55) << 1);
  return Buffer.from([n]);
}

function hexBytes(hex: string | undefined, fallback: string): Buffer {
  if (hex !== undefined && /^(?:[0-9a-f]{2})*$/i.test(hex)) return Buffer.from(hex, 'hex');
  return Buffer.from(fallback, 'utf8');
}

/** The bytes of an id as the frame carried them; MAC-text fallback for neighbours without raw ids. */
function idBytes(raw: string | undefined, text: string, macSubtype: boolean): Buffer {
  if (raw !== undefined) return hexBytes(raw, text);
  if (macSubtype && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) return Buffer.from(text.replace(/:/g, ''), 'hex');
  return Buffer.from(text, 'utf8');
}

export function lldpRemRows(neighbors: Neighbor[], opts: LldpRowsOptions): MibRow[] {
  const rows: MibRow[] = [];
  for (const n of neighbors) {
    if (n.protocol === 'pinned' || n.remIndex === undefined) continue;
    const port = opts.ifIndex(n.iface);
    if (port === null || port < 0) continue;
    const index = [timeMark(n.lastChange, opts.agentStart), port, n.remIndex];
    const col = (c: number) => [...LLDP_REM_ENTRY, c, ...index];
    const caps = n.capabilities ?? { supported: 0, enabled: 0 };
    rows.push(
      { oid: col(4), type: 'Integer', value: n.chassisIdSubtype },
      { oid: col(5), type: 'OctetString', value: idBytes(n.chassisIdRaw, n.chassisId, n.chassisIdSubtype === 4) },
      { oid: col(6), type: 'Integer', value: n.portIdSubtype },
      { oid: col(7), type: 'OctetString', value: idBytes(n.portIdRaw, n.portId, n.portIdSubtype === 3) },
      { oid: col(8), type: 'OctetString', value: Buffer.from(n.portDescr ?? '', 'utf8') },
      { oid: col(9), type: 'OctetString', value: Buffer.from(n.sysName ?? '', 'utf8') },
      { oid: col(10), type: 'OctetString', value: Buffer.from(n.sysDescr ?? '', 'utf8') },
      { oid: col(11), type: 'OctetString', value: capabilityBits(caps.supported) },
      { oid: col(12), type: 'OctetString', value: capabilityBits(caps.enabled) },
    );
    for (const m of n.mgmt ?? []) {
      // lldpd keeps IPv4 and IPv6 management addresses only
      if (m.family !== 1 && m.family !== 2) continue;
      const addr = [...hexBytes(m.raw, '')];
      if (addr.length !== (m.family === 1 ? 4 : 16)) continue;
      const mIndex = [...index, m.family, addr.length, ...addr];
      const mcol = (c: number) => [...LLDP_REM_MAN_ADDR_ENTRY, c, ...mIndex];
      rows.push(
        { oid: mcol(3), type: 'Integer', value: m.ifId !== 0 ? 2 : 1 },
        { oid: mcol(4), type: 'Integer', value: m.ifId },
        { oid: mcol(5), type: 'ObjectIdentifier', value: '0.0' },
      );
    }
  }
  const unique = new Map<string, MibRow>();
  for (const r of rows) unique.set(r.oid.join('.'), r);
  return [...unique.values()].sort((a, b) => compareOids(a.oid, b.oid));
}

export function compareOids(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
