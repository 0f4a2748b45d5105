// Varbind values → plain JS, checked: a cell of the wrong SNMP type is an SNMP_ERROR naming the
// OID, never a silently wrong number in `show`.

import { VmtraceError } from '../errors.js';
import { bitmapToVlans } from '../vlan.js';
import { netSnmp, type SnmpVarbind } from './net-snmp-client.js';

const T = netSnmp.ObjectType;

function wrongType(vb: SnmpVarbind, want: string): VmtraceError {
  const got = Object.entries(T).find(([, v]) => v === vb.type)?.[0] ?? String(vb.type);
  return new VmtraceError('SNMP_ERROR', `${vb.oid}: expected ${want}, agent sent ${got}`);
}

export function text(vb: SnmpVarbind): string {
  if (vb.type !== T.OctetString || !Buffer.isBuffer(vb.value)) throw wrongType(vb, 'OCTET STRING');
  return vb.value.toString('utf8');
}

/** DisplayString where "" means "none". */
export function textOrNull(vb: SnmpVarbind | undefined | null): string | null {
  if (!vb) return null;
  const s = text(vb);
  return s === '' ? null : s;
}

export function octets(vb: SnmpVarbind): Buffer {
  if (vb.type !== T.OctetString || !Buffer.isBuffer(vb.value)) throw wrongType(vb, 'OCTET STRING');
  return vb.value;
}

/** INTEGER, Integer32, Unsigned32, Gauge32, Counter32, TimeTicks. */
export function int(vb: SnmpVarbind): number {
  const ok = [T.Integer, T.Counter, T.Gauge, T.TimeTicks].includes(vb.type);
  if (!ok || typeof vb.value !== 'number') throw wrongType(vb, 'an integer');
  return vb.value;
}

/** Counter64 (a Buffer of up to 8 big-endian octets in net-snmp) or any 32-bit integer. */
export function counter(vb: SnmpVarbind): number {
  if (vb.type === T.Counter64) {
    if (typeof vb.value === 'number') return vb.value;
    if (!Buffer.isBuffer(vb.value) || vb.value.length > 9) throw wrongType(vb, 'Counter64');
    let n = 0n;
    for (const byte of vb.value) n = (n << 8n) | BigInt(byte);
    return Number(n);
  }
  return int(vb);
}

/** 512-octet VLAN bitmap (shorter is allowed: trailing zero octets may be cut). */
export function vlans(vb: SnmpVarbind): number[] {
  return bitmapToVlans(octets(vb));
}

export function truthValue(vb: SnmpVarbind): boolean {
  const n = int(vb);
  if (n !== 1 && n !== 2) throw new VmtraceError('SNMP_ERROR', `${vb.oid}: TruthValue ${n} is neither true(1) nor false(2)`);
  return n === 1;
}

/** An enumerated INTEGER mapped through `names` (value → label); unknown values are errors. */
export function enumValue<T extends string>(vb: SnmpVarbind, names: Record<number, T>): T {
  const n = int(vb);
  const name = names[n];
  if (name === undefined) throw new VmtraceError('SNMP_ERROR', `${vb.oid}: unknown enumeration value ${n}`);
  return name;
}
