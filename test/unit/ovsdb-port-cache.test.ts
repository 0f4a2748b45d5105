import { describe, expect, it } from 'vitest';
import { PortCache } from '../../agent/drivers/ovsdb/port-cache.js';

const uuid = (id: string) => ['uuid', id];
const set = (...v: unknown[]) => ['set', v];

function seeded(): PortCache {
  const c = new PortCache('br0');
  c.apply({
    Bridge: {
      b0: { new: { name: 'br0', ports: set(uuid('p1'), uuid('p2')) } },
      b1: { new: { name: 'br1', ports: uuid('p9') } },
    },
    Port: {
      p1: { new: { name: 'swp1', trunks: set(1, 10), tag: set(), interfaces: uuid('i1') } },
      p2: { new: { name: 'swp2', trunks: 1, tag: set(), interfaces: set(uuid('i2'), uuid('i3')) } },
      p9: { new: { name: 'other', trunks: set(), tag: 5, interfaces: uuid('i9') } },
    },
    Interface: { i1: { new: { name: 'swp1', ifindex: 3 } } },
  });
  return c;
}

describe('PortCache', () => {
  it('knows the bridge and its ports from the initial monitor answer', () => {
    const c = seeded();
    expect(c.hasBridge()).toBe(true);
    expect(c.portNames()).toEqual(['swp1', 'swp2']);
    expect(new PortCache('br-x').hasBridge()).toBe(false);
  });

  it('reports a trunk, tag or member change of our ports only', () => {
    const c = seeded();
    expect(c.apply({ Port: { p1: { old: { trunks: set(1, 10) }, new: { name: 'swp1', trunks: set(1, 10, 20), tag: set(), interfaces: uuid('i1') } } } })).toEqual(['swp1']);
    expect(c.apply({ Port: { p2: { old: { tag: set() }, new: { name: 'swp2', trunks: 1, tag: 7, interfaces: set(uuid('i2'), uuid('i3')) } } } })).toEqual(['swp2']);
    expect(c.apply({ Port: { p2: { old: { interfaces: set(uuid('i2'), uuid('i3')) }, new: { name: 'swp2', trunks: 1, tag: 7, interfaces: uuid('i2') } } } })).toEqual(['swp2']);
    // another bridge's port, and an interface's ifindex, are not VLAN configuration of ours
    expect(c.apply({ Port: { p9: { old: { trunks: set() }, new: { name: 'other', trunks: 3, tag: 5, interfaces: uuid('i9') } } } })).toEqual([]);
    expect(c.apply({ Interface: { i1: { old: { ifindex: 3 }, new: { name: 'swp1', ifindex: 4 } } } })).toEqual([]);
  });

  it('does not report a rewrite to the same value (a set given in another order)', () => {
    const c = seeded();
    expect(c.apply({ Port: { p1: { old: { trunks: set(1, 10) }, new: { name: 'swp1', trunks: set(10, 1), tag: set(), interfaces: uuid('i1') } } } })).toEqual([]);
  });

  it('reports ports joining, leaving and being renamed', () => {
    const c = seeded();
    expect(
      c.apply({
        Port: { p3: { new: { name: 'swp3', trunks: 1, tag: set(), interfaces: set() } } },
        Bridge: { b0: { old: { ports: set(uuid('p1'), uuid('p2')) }, new: { name: 'br0', ports: set(uuid('p1'), uuid('p2'), uuid('p3')) } } },
      }),
    ).toEqual(['swp3']);
    expect(
      c.apply({
        Port: { p1: { old: { name: 'swp1', trunks: set(1, 10), tag: set(), interfaces: uuid('i1') } } },
        Bridge: { b0: { old: { ports: set() }, new: { name: 'br0', ports: set(uuid('p2'), uuid('p3')) } } },
      }),
    ).toEqual(['swp1']);
    expect(c.apply({ Port: { p3: { old: { name: 'swp3' }, new: { name: 'swp3-renamed', trunks: 1, tag: set(), interfaces: set() } } } })).toEqual(['swp3', 'swp3-renamed']);
  });

  it('reports every port when the bridge itself goes', () => {
    const c = seeded();
    expect(c.apply({ Bridge: { b0: { old: { name: 'br0', ports: set() } } } })).toEqual(['swp1', 'swp2']);
    expect(c.hasBridge()).toBe(false);
  });
});
