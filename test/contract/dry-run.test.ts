// DryRunDriver: reads pass through to the real driver, writes are logged and recorded only.
// Ground truth from ovs-vsctl / vtep-ctl on a real Open vSwitch.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DryRunDriver } from '../../agent/drivers/dry-run.js';
import { OvsdbDriver } from '../../agent/drivers/ovsdb/driver.js';
import { silentLogger } from '../../agent/log.js';
import { startOvs, type Ovs } from '../helpers/ovs.js';

function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('DryRunDriver over a real OVSDB driver', () => {
  let ovs: Ovs;
  let dry: DryRunDriver;
  const log = capturingLogger();

  beforeAll(async () => {
    ovs = await startOvs({ ports: 3, bridge: 'br0', trunks: [1, 10] });
    await ovs.vtepctl('add-ps', 'br0', '--', 'add-port', 'br0', 'swp1');
    const inner = new OvsdbDriver({ endpoint: ovs.endpoint, bridge: 'br0', vtepEndpoint: ovs.endpoint, logger: silentLogger() });
    dry = new DryRunDriver({ inner, logger: log.logger });
    await dry.open();
  });

  afterAll(async () => {
    await dry?.close();
    await ovs?.stop();
  });

  it('reads the device through the inner driver', async () => {
    const ports = await dry.ports();
    expect(ports.filter((p) => p.name.startsWith('swp')).map((p) => [p.name, p.trunks])).toEqual([
      ['swp1', [1, 10]],
      ['swp2', [1, 10]],
      ['swp3', [1, 10]],
    ]);
    expect(dry.kind).toBe('dry-run');
  });

  it('logs and records every change with its rule and reason, and changes nothing', async () => {
    const before = await ovs.allTrunks();
    await dry.apply([
      { port: 'swp1', add: [{ vlan: 20, rule: 1, reason: 'vm web-1 on esx-01 vmnic0' }], remove: [{ vlan: 10, rule: 2, reason: 'unused for 300 s' }] },
      // a change the real device would refuse is still only logged
      { port: 'swp2', add: [], remove: [{ vlan: 1, rule: 2, reason: 'x' }, { vlan: 10, rule: 2, reason: 'y' }] },
    ]);
    expect(await ovs.allTrunks()).toEqual(before);
    expect(dry.applied.map(({ port, vlan, action, rule, reason }) => ({ port, vlan, action, rule, reason }))).toEqual([
      { port: 'swp1', vlan: 20, action: 'add', rule: 1, reason: 'vm web-1 on esx-01 vmnic0' },
      { port: 'swp1', vlan: 10, action: 'remove', rule: 2, reason: 'unused for 300 s' },
      { port: 'swp2', vlan: 1, action: 'remove', rule: 2, reason: 'x' },
      { port: 'swp2', vlan: 10, action: 'remove', rule: 2, reason: 'y' },
    ]);
    const logged = log.lines.filter((l) => l['port'] === 'swp1' && l['vlan'] === 20);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ action: 'add', rule: 1, reason: 'vm web-1 on esx-01 vmnic0', driver: 'dry-run' });
  });

  it('passes observe() through: an operator edit is reported', async () => {
    const seen: (string[] | null)[] = [];
    const off = dry.observe((p) => seen.push(p));
    await ovs.vsctl('set', 'port', 'swp3', 'trunks=1,10,30');
    const until = Date.now() + 5000;
    while (!seen.some((s) => s?.includes('swp3')) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    off();
    expect(seen.some((s) => s?.includes('swp3'))).toBe(true);
  });

  it('reads hardware_vtep through, records VTEP diffs without writing them', async () => {
    const diff = { add: { bindings: [{ port: 'swp1', vlan: 100, vni: 5001 }], macs: [], flood: [] }, remove: { bindings: [], macs: [], flood: [] } };
    await dry.vtep!.apply(diff);
    expect(dry.vtepApplied).toEqual([diff]);
    expect((await ovs.vtepctl('list-bindings', 'br0', 'swp1')).trim()).toBe('');
    expect(await dry.vtep!.read()).toEqual({ bindings: [], macs: [], flood: [] });
  });
});

describe('DryRunDriver without a device', () => {
  it('has no ports and no VTEP, records applies', async () => {
    const dry = new DryRunDriver({ logger: silentLogger() });
    await dry.open();
    expect(await dry.ports()).toEqual([]);
    expect(dry.vtep).toBeNull();
    await dry.apply([{ port: 'Ethernet1', add: [{ vlan: 5, rule: 1, reason: 'r' }], remove: [] }]);
    expect(dry.applied).toHaveLength(1);
    await expect(dry.apply([{ port: 'Ethernet1', add: [{ vlan: 5000, rule: 1, reason: 'r' }], remove: [] }])).rejects.toThrow(/not a VLAN id/);
    await dry.close();
    await dry.close();
  });
});
