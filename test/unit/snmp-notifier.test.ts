// Notifications carry exactly the objects their MIB definition lists (checked against the MIB
// text), and the token bucket lets a burst through, then the sustained rate.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { notificationVarbinds, TokenBucket, type NotificationKind } from '../../agent/snmp/notifier.js';
import { OIDS } from '../../shared/mib/oids.js';

const mib = readFileSync('shared/mib/VMTRACE-MIB.txt', 'utf8');
const byOid = new Map<string, string>(Object.entries(OIDS).map(([name, oid]): [string, string] => [oid, name]));

describe('notifications', () => {
  const kinds: Array<[NotificationKind, string]> = [
    ['vlanAdded', 'vmtraceVlanAdded'],
    ['vlanRemoved', 'vmtraceVlanRemoved'],
    ['vcenterStateChange', 'vmtraceVcenterStateChange'],
    ['guardTripped', 'vmtraceGuardTripped'],
    ['limitReached', 'vmtraceLimitReached'],
  ];

  it.each(kinds)('%s carries sysUpTime, snmpTrapOID, then the OBJECTS of %s in order', (kind, name) => {
    const def = new RegExp(`${name} NOTIFICATION-TYPE\\s+OBJECTS\\s*\\{([^}]*)\\}`).exec(mib);
    expect(def).not.toBeNull();
    const objects = def![1]!.split(',').map((s) => s.trim());
    const vbs = notificationVarbinds(kind, { port: 'swp1', vlan: 10, vcenter: 'vc1', state: 'synced', count: 3, reason: 'r' }, 1234);
    expect(vbs[0]!.oid.join('.')).toBe('1.3.6.1.2.1.1.3.0');
    expect(vbs[0]!.value).toBe(1234);
    expect(vbs[1]!.oid.join('.')).toBe('1.3.6.1.6.3.1.1.4.1.0');
    expect((vbs[1]!.value as number[]).join('.')).toBe(OIDS[name as keyof typeof OIDS]);
    expect(vbs.slice(2).map((v) => byOid.get(v.oid.slice(0, -1).join('.')))).toEqual(objects);
  });

  it('missing fields become the MIB defaults (-1 VLAN, empty text, 0 ifIndex)', () => {
    const vbs = notificationVarbinds('limitReached', {}, 0);
    expect(vbs.slice(2).map((v) => (Buffer.isBuffer(v.value) ? v.value.toString() : v.value))).toEqual([0, '', -1, '']);
  });
});

describe('TokenBucket', () => {
  it('allows the burst at once, then perSecond', () => {
    let t = 0;
    const b = new TokenBucket({ burst: 3, perSecond: 2 }, () => t);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    t = 400;
    expect(b.take()).toBe(false);
    t = 500;
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    t = 10_000;
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
  });
});
