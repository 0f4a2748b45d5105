// Varbind decoding for the SNMP reader: each SNMP type to its JS value, and a cell of the
// wrong type is an SNMP_ERROR naming the OID (never a silently wrong number in `show`).

import { describe, expect, it } from 'vitest';
import { VmtraceError } from '../../shared/errors.js';
import { compareOids } from '../../shared/snmp/client.js';
import { netSnmp, type SnmpVarbind } from '../../shared/snmp/net-snmp-client.js';
import { counter, enumValue, int, text, textOrNull, truthValue, vlans } from '../../shared/snmp/values.js';
import { vlanBitmap } from '../../shared/vlan.js';

const T = netSnmp.ObjectType;
const vb = (type: number, value: unknown, oid = '1.3.6.1.4.1.8072.9999.9999.7.1.1.1.0'): SnmpVarbind => ({ oid, type, value });

function errorOf(fn: () => unknown): VmtraceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VmtraceError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('values', () => {
  it('decodes DisplayString as UTF-8, "" as null where optional', () => {
    expect(text(vb(T.OctetString, Buffer.from('db-01 (ünïcode)')))).toBe('db-01 (ünïcode)');
    expect(textOrNull(vb(T.OctetString, Buffer.alloc(0)))).toBeNull();
    expect(textOrNull(undefined)).toBeNull();
  });

  it('decodes Counter64 octets beyond 2^32 and 32-bit integer types', () => {
    expect(counter(vb(T.Counter64, Buffer.from([0x01, 0x2a, 0x05, 0xf2, 0x7b])))).toBe(5_000_000_123);
    expect(counter(vb(T.Counter64, Buffer.alloc(0)))).toBe(0);
    expect(counter(vb(T.Counter, 7))).toBe(7);
    expect(int(vb(T.Gauge, 4294967295))).toBe(4294967295);
    expect(int(vb(T.Integer, -1))).toBe(-1);
  });

  it('decodes VLAN bitmaps, short ones too', () => {
    expect(vlans(vb(T.OctetString, vlanBitmap([1, 10, 11, 4094])))).toEqual([1, 10, 11, 4094]);
    expect(vlans(vb(T.OctetString, Buffer.from([0x40, 0x00, 0x30])))).toEqual([1, 18, 19]);
  });

  it('maps TruthValue and enumerations, refusing values outside them', () => {
    expect(truthValue(vb(T.Integer, 1))).toBe(true);
    expect(truthValue(vb(T.Integer, 2))).toBe(false);
    expect(errorOf(() => truthValue(vb(T.Integer, 0))).message).toMatch(/TruthValue 0/);
    expect(enumValue(vb(T.Integer, 2), { 1: 'ok', 2: 'frozen' })).toBe('frozen');
    expect(errorOf(() => enumValue(vb(T.Integer, 9), { 1: 'ok' })).message).toBe('1.3.6.1.4.1.8072.9999.9999.7.1.1.1.0: unknown enumeration value 9');
  });

  it.each([
    ['text of an integer', () => text(vb(T.Integer, 5)), 'expected OCTET STRING, agent sent Integer'],
    ['int of a string', () => int(vb(T.OctetString, Buffer.from('5'))), 'expected an integer, agent sent OctetString'],
    ['counter of an OID', () => counter(vb(T.OID, '1.3.6')), 'expected an integer, agent sent OID'],
  ])('%s is SNMP_ERROR naming the OID', (_what, fn, message) => {
    const err = errorOf(fn);
    expect(err.code).toBe('SNMP_ERROR');
    expect(err.message).toBe(`1.3.6.1.4.1.8072.9999.9999.7.1.1.1.0: ${message}`);
  });
});

describe('compareOids', () => {
  it.each([
    ['1.3.6.1.2', '1.3.6.1.10', -1],
    ['1.3.6.1.10', '1.3.6.1.2', 1],
    ['1.3.6.1', '1.3.6.1.0', -1],
    ['1.3.6.1', '1.3.6.1', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareOids(a, b))).toBe(sign);
  });
});
