// One transaction for a batch of trunk changes (pure: builds the ops, reads the results).
//   per port:  mutate Port{name}.trunks delete {removes}, insert {adds}   (deltas: an
//                     operator's concurrent edit of other VLANs survives)
//              wait   (timeout 0) Port{name} exists with trunks != {} — after the mutation:
//                     a vanished port (the mutate matched nothing) or an emptied trunk set
//                     (OVS: empty trunks = ALL VLANs, rule 8) fails the whole transaction.
// Any failed op aborts the whole transaction: nothing is applied. One guard per port keeps
// the server's work close to a bare mutate; which of the two reasons tripped it is told
// apart afterwards, on the failure path only (guardFailureQuery).

import type { PortChange, VlanId } from '../../../shared/model.js';
import { VmtraceError } from '../../../shared/errors.js';
import { type OpResult, describeOpError, firstError, ovsSet } from './wire.js';

type OpRole = { kind: 'mutate' | 'guard'; port: string } | { kind: 'comment' };

export interface TrunkTransaction {
  /** params of the `transact` request: [db, ...ops] */
  params: unknown[];
  roles: OpRole[];
  ports: string[];
}

const MAX_COMMENT = 1000;

/** Builds the transaction; null when there is nothing to change (no transaction at all). */
export function buildTrunkTransaction(db: string, changes: PortChange[]): TrunkTransaction | null {
  const merged = mergeChanges(changes);
  if (merged.size === 0) return null;
  const ops: unknown[] = [];
  const roles: OpRole[] = [];
  const summary: string[] = [];
  for (const [port, { add, remove, reasons }] of merged) {
    const mutations: unknown[] = [];
    if (remove.length > 0) mutations.push(['trunks', 'delete', ovsSet(remove)]);
    if (add.length > 0) mutations.push(['trunks', 'insert', ovsSet(add)]);
    ops.push({ op: 'mutate', table: 'Port', where: [['name', '==', port]], mutations });
    roles.push({ kind: 'mutate', port });
    ops.push({
      op: 'wait',
      table: 'Port',
      timeout: 0,
      where: [
        ['name', '==', port],
        ['trunks', '!=', ovsSet([])],
      ],
      columns: ['name'],
      until: '==',
      rows: [{ name: port }],
    });
    roles.push({ kind: 'guard', port });
    summary.push(`${port}${add.map((v) => ` +${v}`).join('')}${remove.map((v) => ` -${v}`).join('')}${reasons ? ` (${reasons})` : ''}`);
  }
  let comment = `vmtrace: ${summary.join('; ')}`;
  if (comment.length > MAX_COMMENT) comment = `${comment.slice(0, MAX_COMMENT - 1)}…`;
  ops.push({ op: 'comment', comment });
  roles.push({ kind: 'comment' });
  return { params: [db, ...ops], roles, ports: [...merged.keys()] };
}

/**
 * Reads a transaction's answer: null on success, the port whose guard tripped (nothing was
 * applied: see guardFailure), or throws OVSDB_ERROR for anything else.
 */
export function interpretTrunkResults(txn: TrunkTransaction, results: OpResult[], endpoint: string): { guardTripped: string } | null {
  const i = firstError(results);
  if (i >= 0) {
    const role = txn.roles[i];
    const r = results[i]!;
    if (role?.kind === 'guard' && r.error === 'timed out') return { guardTripped: role.port };
    const where = role && role.kind !== 'comment' ? ` (port "${role.port}", ${role.kind})` : role ? '' : ' (commit)';
    throw new VmtraceError('OVSDB_ERROR', `OVSDB at ${endpoint} refused the trunk change${where}: ${describeOpError(r)}; nothing applied`);
  }
  if (results.length < txn.roles.length) {
    throw new VmtraceError('OVSDB_ERROR', `OVSDB at ${endpoint} answered ${results.length} of ${txn.roles.length} operations`);
  }
  return null;
}

/** The select that tells a vanished port from an emptied trunk set, after a guard tripped. */
export function guardFailureQuery(db: string, port: string): unknown[] {
  return [db, { op: 'select', table: 'Port', where: [['name', '==', port]], columns: ['name'] }];
}

/** The conflict to report for a tripped guard, given whether the port still exists. */
export function guardFailure(port: string, portExists: boolean): VmtraceError {
  return portExists
    ? new VmtraceError(
        'OVSDB_CONFLICT',
        `refused: port "${port}" would be left with no trunk VLANs (OVS reads that as all VLANs); nothing applied`,
      )
    : new VmtraceError('OVSDB_CONFLICT', `port "${port}" no longer exists; nothing applied`);
}

interface MergedChange {
  add: VlanId[];
  remove: VlanId[];
  reasons: string;
}

/** Joins changes per port, checks VLAN ids, drops no-ops. A VLAN both added and removed is a bug upstream. */
function mergeChanges(changes: PortChange[]): Map<string, MergedChange> {
  const acc = new Map<string, { add: Set<VlanId>; remove: Set<VlanId>; reasons: Set<string> }>();
  for (const c of changes) {
    if (typeof c.port !== 'string' || c.port === '') {
      throw new VmtraceError('INTERNAL', 'trunk change without a port name');
    }
    const e = acc.get(c.port) ?? { add: new Set(), remove: new Set(), reasons: new Set() };
    acc.set(c.port, e);
    for (const [list, into] of [
      [c.add, e.add],
      [c.remove, e.remove],
    ] as const) {
      for (const ch of list) {
        if (!Number.isInteger(ch.vlan) || ch.vlan < 0 || ch.vlan > 4095) {
          throw new VmtraceError('INTERNAL', `trunk change on "${c.port}": ${ch.vlan} is not a VLAN id`);
        }
        into.add(ch.vlan);
        if (ch.reason) e.reasons.add(`rule ${ch.rule}: ${ch.reason}`);
      }
    }
  }
  const out = new Map<string, MergedChange>();
  for (const [port, e] of acc) {
    const both = [...e.add].filter((v) => e.remove.has(v));
    if (both.length > 0) {
      throw new VmtraceError('INTERNAL', `trunk change on "${port}" both adds and removes VLAN ${both.join(',')}`);
    }
    if (e.add.size === 0 && e.remove.size === 0) continue;
    out.set(port, {
      add: [...e.add].sort((a, b) => a - b),
      remove: [...e.remove].sort((a, b) => a - b),
      reasons: [...e.reasons].join('; '),
    });
  }
  return out;
}
