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
    // Only ports the update touches can change: its Port rows, and ports joining or leaving
    // the bridge when a Bridge row changes. Cost follows the update, not the switch size.
    const membersBefore = this.members();
    const touched = new Set<string>(Object.keys(updates.Port ?? {}));
    const before = new Map<string, string>();
    const sigBefore = (id: string) => {
      if (membersBefore.has(id) && !before.has(id)) {
        const sig = this.signature(id);
        if (sig !== null) before.set(id, sig);
      }
    };
    for (const id of touched) sigBefore(id);
    if (updates.Bridge) for (const id of membersBefore) sigBefore(id);

    for (const table of Object.keys(MONITORED_COLUMNS) as Table[]) {
      const rows = updates[table];
      if (!rows || typeof rows !== 'object') continue;
      const target = this.tables[table];
      for (const [uuid, change] of Object.entries(rows)) {
        if (change?.new) target.set(uuid, { ...change.new });
        else target.delete(uuid);
      }
    }

    const membersAfter = updates.Bridge ? this.members() : membersBefore;
    if (updates.Bridge) for (const id of membersAfter) touched.add(id);
    for (const id of before.keys()) touched.add(id);
    const changed = new Set<string>();
    for (const id of touched) {
      const old = before.get(id);
      const now = membersAfter.has(id) ? this.signature(id) : null;
      if (old === now) continue;
      if (old !== undefined) changed.add(JSON.parse(old)[0] as string);
      if (now !== null) changed.add(JSON.parse(now)[0] as string);
    }
    return [...changed].sort();
  }

  private members(): Set<string> {
    const br = this.bridgeRow();
    return new Set(br ? uuidSet(br['ports']) : []);
  }

  /** name + VLAN configuration of a Port row, comparable as a string; null if absent. */
  private signature(id: string): string | null {
    const p = this.tables.Port.get(id);
    if (!p) return null;
    return JSON.stringify([
      nameOf(p),
      intSet(p['trunks']).sort((a, b) => a - b),
      optionalInt(p['tag']),
      uuidSet(p['interfaces']).sort(),
    ]);
  }

  /** Port names of our bridge, from the cache. */
  portNames(): string[] {
    return [...this.members()]
      .map((id) => this.tables.Port.get(id))
      .filter((p): p is OvsdbRow => p !== undefined)
      .map(nameOf)
      .sort();
  }

  private bridgeRow(): OvsdbRow | undefined {
    for (const row of this.tables.Bridge.values()) if (nameOf(row) === this.bridge) return row;
    return undefined;
  }
}
