// matchNeighbors: neighbour → vCenter host NIC, table-driven.

import { describe, expect, it } from 'vitest';
import { matchNeighbors, sameHostName } from '../../agent/core/match.js';
import type { HostFact, Neighbor } from '../../shared/model.js';

function host(vcenter: string, moid: string, name: string, pnics: [string, string][]): HostFact {
  return {
    key: `${vcenter}/${moid}`,
    vcenter,
    moid,
    name,
    pnics: pnics.map(([device, mac]) => ({ device, mac })),
    portgroups: [],
    dvs: [],
    vmknics: [],
  };
}

function nb(iface: string, over: Partial<Neighbor> = {}): Neighbor {
  return {
    iface,
    protocol: 'lldp',
    chassisId: '00:50:56:aa:bb:01',
    chassisIdSubtype: 4,
    portId: 'vmnic0',
    portIdSubtype: 5,
    sysName: 'esx-01.lab.example',
    sysDescr: 'VMware ESXi 8.0.2',
    portDescr: null,
    mgmtAddresses: [],
    ttl: 120,
    lastSeen: 0,
    lastChange: 0,
    ...over,
  };
}

const H1 = host('vc1', 'host-1', 'esx-01.lab.example', [['vmnic0', '00:50:56:aa:bb:01'], ['vmnic1', '00:50:56:aa:bb:02']]);
const H2 = host('vc1', 'host-2', 'esx-02.lab.example', [['vmnic0', '00:50:56:aa:cc:01'], ['vmnic1', '00:50:56:aa:cc:02']]);
const H1_OTHER_VC = host('vc2', 'host-9', 'ESX-01.lab.example', [['vmnic0', '00:50:56:dd:00:01']]);

type Case = [label: string, neighbors: Neighbor[], hosts: HostFact[], matches: string[], anomalies: RegExp[]];

const cases: Case[] = [
  ['name + port id', [nb('swp1')], [H1, H2], ['swp1 vc1/host-1 vmnic0 name+port'], []],
  ['case-insensitive', [nb('swp1', { sysName: 'ESX-01.LAB.EXAMPLE', portId: 'VMNIC1' })], [H1], ['swp1 vc1/host-1 vmnic1 name+port'], []],
  ['neighbour without domain', [nb('swp1', { sysName: 'esx-01' })], [H1, H2], ['swp1 vc1/host-1 vmnic0 name+port'], []],
  ['host without domain', [nb('swp1')], [host('vc1', 'host-1', 'esx-01', [['vmnic0', '00:50:56:aa:bb:01']])], ['swp1 vc1/host-1 vmnic0 name+port'], []],
  ['port description when the port id is a MAC', [nb('swp1', { portId: '00:50:56:aa:bb:02', portIdSubtype: 3, portDescr: 'vmnic1' })], [H1], ['swp1 vc1/host-1 vmnic1 name+port'], []],
  [
    'CDP Device-ID',
    [nb('swp1', { protocol: 'cdp', chassisId: 'esx-02.lab.example', chassisIdSubtype: 7, sysName: null, portId: 'vmnic1' })],
    [H1, H2],
    ['swp1 vc1/host-2 vmnic1 name+port'],
    [],
  ],
  ['chassis MAC fallback', [nb('swp1', { sysName: 'localhost', portId: 'eth0' })], [H1, H2], ['swp1 vc1/host-1 vmnic0 mac'], []],
  ['port MAC fallback', [nb('swp1', { sysName: null, chassisIdSubtype: 7, chassisId: 'x', portId: '00:50:56:aa:cc:02', portIdSubtype: 3 })], [H1, H2], ['swp1 vc1/host-2 vmnic1 mac'], []],
  ['matches nothing', [nb('swp1', { sysName: 'printer', chassisId: '00:11:22:33:44:55', portId: 'p1' })], [H1, H2], [], [/printer port p1 matches no vCenter host/]],
  ['name in two vCenters', [nb('swp1')], [H1, H1_OTHER_VC], [], [/matches hosts in 2 vCenters/]],
  [
    'short name fits two hosts',
    [nb('swp1', { sysName: 'esx-01', chassisId: '00:11:22:33:44:55' })],
    [H1, host('vc1', 'host-5', 'esx-01.other.example', [['vmnic0', '00:50:56:ee:00:01']])],
    [],
    [/matches 2 hosts/],
  ],
  [
    'two interfaces claim one NIC',
    [nb('swp1'), nb('swp2')],
    [H1],
    [],
    [/swp1, swp2/, /swp1, swp2/],
  ],
  [
    'LLDP and CDP of one NIC on one interface are one match',
    [nb('swp1'), nb('swp1', { protocol: 'cdp', chassisId: 'esx-01.lab.example', chassisIdSubtype: 7, sysName: 'esx-01.lab.example' })],
    [H1],
    ['swp1 vc1/host-1 vmnic0 name+port'],
    [],
  ],
  [
    'LAG members: two NICs of one host on two interfaces',
    [nb('swp1'), nb('swp2', { portId: 'vmnic1' })],
    [H1],
    ['swp1 vc1/host-1 vmnic0 name+port', 'swp2 vc1/host-1 vmnic1 name+port'],
    [],
  ],
  ['host known, NIC not', [nb('swp1', { portId: 'vmnic7', chassisId: '00:11:22:33:44:55' })], [H1], [], [/is host esx-01.lab.example but port vmnic7 is none of its NICs/]],
  [
    'MAC shared by two hosts',
    [nb('swp1', { sysName: null, chassisId: '00:50:56:aa:bb:01' })],
    [H1, host('vc1', 'host-3', 'esx-03', [['vmnic0', '00:50:56:aa:bb:01']])],
    [],
    [/belongs to 2 hosts/],
  ],
  [
    'name and MAC disagree',
    [nb('swp1', { portId: 'vmnic9', chassisId: '00:50:56:aa:cc:01' })],
    [H1, H2],
    [],
    [/names host esx-01.lab.example but its MAC 00:50:56:aa:cc:01 is esx-02.lab.example vmnic0/],
  ],
];

describe('matchNeighbors', () => {
  it.each(cases)('%s', (_label, neighbors, hosts, matches, anomalies) => {
    const r = matchNeighbors(neighbors, hosts);
    expect(r.matches.map((m) => `${m.iface} ${m.hostKey} ${m.nic} ${m.via}`)).toEqual(matches);
    expect(r.anomalies).toHaveLength(anomalies.length);
    r.anomalies.forEach((a, i) => expect(a.reason).toMatch(anomalies[i]!));
  });

  it.each([
    ['esx-01.lab', 'ESX-01.lab', true],
    ['esx-01', 'esx-01.lab.example', true],
    ['esx-01.lab.example.', 'esx-01.lab.example', true],
    ['esx-01.a', 'esx-01.b', false],
    ['esx-01', 'esx-010', false],
    ['', 'esx-01', false],
  ])('sameHostName(%s, %s) = %s', (a, b, want) => {
    expect(sameHostName(a, b)).toBe(want);
  });
});
