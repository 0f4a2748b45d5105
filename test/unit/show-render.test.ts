// `vmtrace show` output for people and scripts: aligned tables, ranges, human times, the JSON
// envelope, and terminal-safe text.

import { describe, expect, it } from 'vitest';
import { renderEvents, renderHuman, renderJson, renderPorts, renderSummary, renderVms } from '../../agent/cli/show-render.js';
import { humanAge, humanTime, printable, renderTable } from '../../agent/cli/show-table.js';
import type { AgentSummary, PortStatus } from '../../shared/status.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

const port = (over: Partial<PortStatus>): PortStatus => ({
  ifIndex: 1,
  name: 'swp1',
  neighborHost: null,
  neighborNic: null,
  neighborProtocol: null,
  managed: true,
  staticVlans: [1],
  vlans: [1],
  dynamicVlans: [],
  ownedVlans: [],
  missingVlans: [],
  surplusVlans: [],
  state: 'ok',
  reason: null,
  ...over,
});

describe('renderTable', () => {
  it('pads every column to its widest cell, two spaces apart, no trailing blanks', () => {
    const out = renderTable([{ header: 'A' }, { header: 'NUM', align: 'right' }, { header: 'LAST' }], [
      ['long-name', '7', 'x'],
      ['b', '1234', ''],
    ]);
    expect(out).toBe(['A           NUM  LAST', 'long-name     7  x', 'b          1234', ''].join('\n'));
  });

  it('shows control characters as "?" so agent text cannot drive the terminal', () => {
    expect(printable('vm\u001b[31mred\nx\u0085')).toBe('vm?[31mred?x?');
    expect(renderTable([{ header: 'N' }], [['a\tb']])).toBe('N\na?b\n');
  });
});

describe('human times', () => {
  it.each([
    [0, 'just now'],
    [999, 'just now'],
    [42_000, '42s ago'],
    [5 * 60_000 + 10_000, '5m ago'],
    [3 * 3_600_000 + 12 * 60_000, '3h 12m ago'],
    [2 * 86_400_000 + 4 * 3_600_000, '2d 4h ago'],
    [-5000, 'in 5s'],
  ])('%i ms → %s', (delta, text) => {
    expect(humanAge(delta)).toBe(text);
  });

  it('prints UTC time and age, "-" for none', () => {
    expect(humanTime(NOW - 90_000, NOW)).toBe('2026-11-25 11:58:30Z (1m ago)');
    expect(humanTime(null, NOW)).toBe('-');
  });
});

describe('show ports', () => {
  it('prints VLAN sets as ranges and the neighbour in one column, aligned', () => {
    const ports = [
      port({ ifIndex: 3, name: 'swp3', vlans: [1, 10, 11, 12, 20], dynamicVlans: [10, 11, 12, 20], ownedVlans: [10, 11, 12], missingVlans: [30], neighborHost: 'esx-01.lab', neighborNic: 'vmnic0', neighborProtocol: 'lldp', state: 'limit', reason: 'maxVlans 4 reached' }),
      port({ ifIndex: 12, name: 'bond0', managed: false }),
    ];
    const out = renderPorts(ports);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('1,10-12,20');
    expect(lines[1]).toContain('esx-01.lab vmnic0 (lldp)');
    expect(lines[1]).toMatch(/ maxVlans 4 reached$/);
    // every column header starts where its cells start (left) or ends where they end (right)
    const header = lines[0]!;
    for (const [h, cellsOf] of [['PORT', ['swp3', 'bond0']], ['STATE', ['limit', 'ok']], ['MISSING', ['30', '-']]] as const) {
      const at = header.indexOf(h);
      cellsOf.forEach((cell, r) => expect(lines[r + 1]!.slice(at, at + cell.length)).toBe(cell));
    }
    const ifEnd = header.indexOf('IFINDEX') + 'IFINDEX'.length;
    expect(lines[1]!.slice(ifEnd - 1, ifEnd)).toBe('3');
    expect(lines[2]!.slice(ifEnd - 2, ifEnd)).toBe('12');
  });

  it('says so when there is nothing', () => {
    expect(renderPorts([])).toBe('no ports\n');
  });
});

describe('show summary', () => {
  const summary: AgentSummary = {
    switchName: 'leaf1',
    version: '0.1.0',
    mode: 'enforce',
    startedAt: NOW - 3 * 3_600_000,
    vcenters: [
      { name: 'vc1', state: 'synced', lastSync: NOW - 30_000, error: null },
      { name: 'vc-long-name', state: 'disconnected', lastSync: null, error: 'connect ECONNREFUSED' },
    ],
    counts: { ports: 48, managedPorts: 12, hosts: 10, vms: 200, vnics: 210, neighbors: 11 },
    counters: { vlanAdds: 5, vlanRemoves: 2, plansApplied: 7, plansRefused: 1, limitRefusals: 0, applyErrors: 0, malformedFrames: 3, snmpBadPackets: 9 },
    lastChangeLatencyMs: 12,
    avgChangeLatencyMs: null,
    frozen: true,
    frozenReason: 'vCenter vc-long-name disconnected',
  };

  it('prints aligned key/value lines and a vCenter table', () => {
    const out = renderSummary(summary, NOW);
    expect(out).toContain('state           FROZEN: vCenter vc-long-name disconnected\n');
    expect(out).toContain('started         2026-11-25 09:00:00Z (3h 0m ago)\n');
    expect(out).toContain('counts          48 ports (12 managed), 11 neighbors, 10 hosts, 200 VMs, 210 vNICs\n');
    expect(out).toContain('change latency  last 12 ms, mean -\n');
    expect(out).toContain('errors          0 apply, 0 limit refusals, 3 malformed frames, 9 bad SNMP packets\n');
    const table = out.slice(out.indexOf('VCENTER')).trimEnd().split('\n');
    expect(table).toEqual([
      'VCENTER       STATE         LAST SYNC                       ERROR',
      'vc1           synced        2026-11-25 11:59:30Z (30s ago)  -',
      'vc-long-name  disconnected  never                           connect ECONNREFUSED',
    ]);
  });

  it('JSON is one line: the agent and the shape of shared/status.ts', () => {
    const json = renderJson('127.0.0.1:16100', { what: 'summary', summary });
    expect(json.endsWith('\n')).toBe(true);
    expect(json.trimEnd()).not.toContain('\n');
    expect(JSON.parse(json)).toEqual({ agent: '127.0.0.1:16100', summary });
  });
});

describe('show vms and events', () => {
  it('prints VMs then their vNICs', () => {
    const out = renderVms(
      [{ index: 1, name: 'web-01', vcenter: 'vc1', moid: 'vm-17', uuid: null, powerState: 'poweredOn', host: 'esx-01.lab' }],
      [{ index: 1, vmIndex: 1, vmName: 'web-01', mac: '00:50:56:aa:bb:01', portgroup: 'prod-web', vlan: 110, vni: null, ifIndex: 3 }],
    );
    expect(out).toBe(
      [
        'VM      VCENTER  MOID   POWER      HOST        UUID',
        'web-01  vc1      vm-17  poweredOn  esx-01.lab  -',
        '',
        'VM      MAC                PORTGROUP  VLAN  VNI  IFINDEX',
        'web-01  00:50:56:aa:bb:01  prod-web    110    -        3',
        '',
      ].join('\n'),
    );
  });

  it('prints events oldest first with their age', () => {
    const out = renderHuman(
      { what: 'events', events: [{ index: 4, at: NOW - 120_000, kind: 'vlan-added', port: 'swp3', vlan: 110, message: 'web-01 powered on' }] },
      NOW,
    );
    expect(out).toBe(
      [
        'TIME                     AGE  KIND        PORT  VLAN  MESSAGE',
        '2026-11-25 11:58:00Z  2m ago  vlan-added  swp3   110  web-01 powered on',
        '',
      ].join('\n'),
    );
    expect(renderEvents([], NOW)).toBe('no events\n');
  });
});
