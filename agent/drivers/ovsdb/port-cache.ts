// The Bridge/Port/Interface rows a `monitor` keeps current, and the one question asked of
// them: which of our bridge's ports changed their VLAN configuration (trunks, tag, member
// interfaces, or joined/left the bridge). Compared by signature before and after each
// update, so renames, moves between bridges and bond edits are all caught the same way.

import { type OvsdbRow, type TableUpdates, intSet, nameOf, optionalInt, uuidSet } from './wire.js';

export const MONITORED_COLUMNS = {
  Bridge: ['name', 'ports'],
  Port: ['name', 'trunks', 'tag', 'interfaces'],
  Interface: ['name', 'ifindex'],
} as const;

type Table = keyof typeof MONITORED_COLUMNS;

export class PortCache {
  private readonly tables: Record<Table, Map<string, OvsdbRow>> = {
    Bridge: new Map(),
    Port: new Map(),
    Interface: new Map(),
  };

  constructor(private readonly bridge: string) {}

  clear(): void {
    for (const t of Object.values(this.tables)) t.clear();
  }

  hasBridge(): boolean {
    return this.bridgeRow() !== undefined;
  }

  /** Applies a monitor update; returns the names of our bridge's ports whose VLAN config changed. */
  apply(updates: TableUpdates): string[] {
    const before = this.signatures();
    for (const table of Object.keys(MONITORED_COLUMNS) as Table[]) {
      const rows = updates[table];
      if (!rows || typeof rows !== 'object') continue;
      const target = this.tables[table];
      for (const [uuid, change] of Object.entries(rows)) {
        if (change?.new) target.set(uuid, { ...change.new });
        else target.delete(uuid);
      }
    }
    const after = this.signatures();
    const changed: string[] = [];
    for (const [name, sig] of after) if (before.get(name) !== sig) changed.push(name);
    for (const name of before.keys()) if (!after.has(name)) changed.push(name);
    return changed.sort();
  }

  /** Port names of our bridge, from the cache. */
  portNames(): string[] {
    return [...this.signatures().keys()].sort();
  }

  private bridgeRow(): OvsdbRow | undefined {
    for (const row of this.tables.Bridge.values()) if (nameOf(row) === this.bridge) return row;
    return undefined;
  }

  private signatures(): Map<string, string> {
    const out = new Map<string, string>();
    const br = this.bridgeRow();
    if (!br) return out;
    for (const portUuid of uuidSet(br['ports'])) {
      const p = this.tables.Port.get(portUuid);
      if (!p) continue;
      const sig = JSON.stringify([
        intSet(p['trunks']).sort((a, b) => a - b),
        optionalInt(p['tag']),
        uuidSet(p['interfaces']).sort(),
      ]);
      out.set(nameOf(p), sig);
    }
    return out;
  }
}
