// The hardware_vtep rows our driver writes, read by a real consumer: the ovs-vtep emulator
// turns a VLAN binding into a logical-switch bridge and remote MACs / flood lists into VXLAN
// ports (key = VNI, remote_ip = host VTEP). Ground truth from ovs-vsctl and vtep-ctl.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsdbDriver } from '../../agent/drivers/ovsdb/driver.js';
import { silentLogger } from '../../agent/log.js';
import type { VtepState } from '../../shared/model.js';
import { startOvs, type Ovs } from '../helpers/ovs.js';

const none = (): VtepState => ({ bindings: [], macs: [], flood: [] });

async function eventually<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('hardware_vtep rows applied by OvsdbDriver, consumed by ovs-vtep', () => {
  let ovs: Ovs;
  let driver: OvsdbDriver;

  beforeAll(async () => {
    ovs = await startOvs({ ports: 2, bridge: 'br0', trunks: [1] });
    await ovs.vtepctl('add-ps', 'br0', '--', 'set', 'physical_switch', 'br0', 'tunnel_ips=192.0.2.1', '--', 'add-port', 'br0', 'swp1', '--', 'add-port', 'br0', 'swp2');
    await ovs.startVtepEmulator('br0');
    driver = new OvsdbDriver({ endpoint: ovs.endpoint, bridge: 'br0', vtepEndpoint: ovs.endpoint, logger: silentLogger() });
    await driver.open();
  });

  afterAll(async () => {
    await driver?.close();
    await ovs?.stop();
  });

  /** rows of `ovs-vsctl list TABLE` as objects (one call: the emulator edits concurrently) */
  async function list(table: string, columns: string[]): Promise<Record<string, unknown>[]> {
    const out = JSON.parse(await ovs.vsctl('--format=json', `--columns=${columns.join(',')}`, 'list', table)) as {
      headings: string[];
      data: unknown[][];
    };
    return out.data.map((row) => Object.fromEntries(out.headings.map((h, i) => [h, row[i]])));
  }

  const mapOf = (v: unknown): Record<string, string> =>
    Array.isArray(v) && v[0] === 'map' ? Object.fromEntries(v[1] as [string, string][]) : {};

  /** The emulator's bridge for our logical switch of `vni`, or null. */
  async function lsBridge(vni: number): Promise<string | null> {
    const br = (await list('bridge', ['name', 'external_ids'])).find(
      (b) => mapOf(b['external_ids'])['logical_switch_name'] === `vmtrace-vni-${vni}`,
    );
    return br ? String(br['name']) : null;
  }

  /** remote_ip of the VXLAN interfaces with key = vni. */
  async function tunnels(vni: number): Promise<string[]> {
    const ips = (await list('interface', ['name', 'type', 'options']))
      .filter((i) => i['type'] === 'vxlan' && mapOf(i['options'])['key'] === String(vni))
      .map((i) => mapOf(i['options'])['remote_ip']!);
    return [...new Set(ips)].sort();
  }

  it('a binding becomes a logical-switch bridge; remote MACs and flood lists become VXLAN tunnels', async () => {
    await driver.vtep!.apply({
      add: {
        bindings: [{ port: 'swp1', vlan: 100, vni: 5001 }],
        macs: [{ vni: 5001, mac: '00:50:56:00:00:01', vtep: '192.0.2.10' }],
        flood: [{ vni: 5001, vteps: ['192.0.2.10', '192.0.2.11'] }],
      },
      remove: none(),
    });
    expect((await ovs.vtepctl('list-bindings', 'br0', 'swp1')).trim()).toBe('0100 vmtrace-vni-5001');
    await eventually('the emulator to create the logical switch bridge', () => lsBridge(5001));
    const ips = await eventually('VXLAN tunnels to both host VTEPs', async () => {
      const t = await tunnels(5001);
      return t.length === 2 ? t : null;
    });
    expect(ips).toEqual(['192.0.2.10', '192.0.2.11']);
    // the emulator publishes its own side (Mcast_Macs_Local), which our reads leave out
    expect(await driver.vtep!.read()).toEqual({
      bindings: [{ port: 'swp1', vlan: 100, vni: 5001 }],
      macs: [{ vni: 5001, mac: '00:50:56:00:00:01', vtep: '192.0.2.10' }],
      flood: [{ vni: 5001, vteps: ['192.0.2.10', '192.0.2.11'] }],
    });
  });

  it('removing the binding makes the emulator tear the logical switch down', async () => {
    await driver.vtep!.apply({
      add: none(),
      remove: {
        bindings: [{ port: 'swp1', vlan: 100, vni: 5001 }],
        macs: [{ vni: 5001, mac: '00:50:56:00:00:01', vtep: '192.0.2.10' }],
        flood: [{ vni: 5001, vteps: ['192.0.2.10', '192.0.2.11'] }],
      },
    });
    expect((await ovs.vtepctl('list-bindings', 'br0', 'swp1')).trim()).toBe('');
    await eventually('the logical switch bridge to go', async () => ((await lsBridge(5001)) === null ? true : null));
    expect(await driver.vtep!.read()).toEqual(none());
  });
});
