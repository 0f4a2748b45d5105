// One hardware_vtep transaction for a VtepDiff, built against a fresh snapshot (pure).
// Removals first, then adds, so "move a MAC" or "rebind a VLAN" is one atomic change.
// Rows we rely on but do not write are guarded with `wait` (timeout 0): if an operator changed
// them since our read, the whole transaction fails (OVSDB_CONFLICT) and the controller retries
// from a fresh read. Logical switches are created as `vmtrace-vni-<VNI>` with tunnel_key = VNI
// when missing, and locators (`vxlan_over_ipv4`, dst_ip) likewise; hardware_vtep collects
// unreferenced locators and locator sets itself.

import type { VtepState } from '../../../shared/model.js';
import { VmtraceError } from '../../../shared/errors.js';
import type { VtepDiff } from '../driver.js';
import { UNKNOWN_DST, VXLAN, type VtepSnapshot } from './vtep-snapshot.js';
import { type OpResult, describeOpError, firstError, ovsMap, ovsNamedUuid, ovsSet, ovsUuid } from './wire.js';

type Role = { what: string; conflict?: string };

export interface VtepTransaction {
  ops: unknown[];
  roles: Role[];
}

export function logicalSwitchName(vni: number): string {
  return `vmtrace-vni-${vni}`;
}

function checkDiff(diff: VtepDiff): void {
  const all: VtepState[] = [diff.add, diff.remove];
  for (const s of all) {
    for (const b of s.bindings) {
      if (!Number.isInteger(b.vlan) || b.vlan < 0 || b.vlan > 4095) throw new VmtraceError('INTERNAL', `VTEP binding: ${b.vlan} is not a VLAN id`);
    }
    for (const v of [...s.bindings.map((b) => b.vni), ...s.macs.map((m) => m.vni), ...s.flood.map((f) => f.vni)]) {
      if (!Number.isInteger(v) || v < 1 || v > 0xffffff) throw new VmtraceError('INTERNAL', `VTEP: ${v} is not a VNI`);
    }
  }
}

/** Builds the transaction; null when the diff changes nothing on this snapshot. */
export function buildVtepTransaction(snap: VtepSnapshot, diff: VtepDiff): VtepTransaction | null {
  checkDiff(diff);
  const ops: unknown[] = [];
  const roles: Role[] = [];
  const push = (op: unknown, role: Role) => {
    ops.push(op);
    roles.push(role);
  };
  let writes = 0;

  const guardedLs = new Set<string>();
  const createdLs = new Map<number, unknown>();
  /** reference to the Logical_Switch of `vni`, created when `create` and missing */
  const lsRef = (vni: number, create: boolean): unknown => {
    const existing = snap.lsByVni.get(vni);
    if (existing) {
      if (!guardedLs.has(existing)) {
        guardedLs.add(existing);
        push(
          { op: 'wait', table: 'Logical_Switch', timeout: 0, where: [['_uuid', '==', ovsUuid(existing)]], columns: ['tunnel_key'], until: '==', rows: [{ tunnel_key: vni }] },
          { what: `logical switch of VNI ${vni}`, conflict: `the logical switch of VNI ${vni} changed or vanished` },
        );
      }
      return ovsUuid(existing);
    }
    if (!create) return null;
    const known = createdLs.get(vni);
    if (known) return known;
    const name = `ls_${vni}`;
    push(
      { op: 'insert', table: 'Logical_Switch', row: { name: logicalSwitchName(vni), tunnel_key: vni }, 'uuid-name': name },
      { what: `create logical switch ${logicalSwitchName(vni)}` },
    );
    createdLs.set(vni, ovsNamedUuid(name));
    return ovsNamedUuid(name);
  };

  const createdLoc = new Map<string, unknown>();
  const locRef = (ip: string): unknown => {
    const existing = snap.locatorByIp.get(ip);
    if (existing) return ovsUuid(existing);
    const known = createdLoc.get(ip);
    if (known) return known;
    const name = `loc_${createdLoc.size}`;
    push({ op: 'insert', table: 'Physical_Locator', row: { encapsulation_type: VXLAN, dst_ip: ip }, 'uuid-name': name }, { what: `create locator ${ip}` });
    createdLoc.set(ip, ovsNamedUuid(name));
    return ovsNamedUuid(name);
  };

  const ipOfLocator = (uuid: string) => snap.locators.get(uuid);
  const findUcast = (vni: number, mac: string) => {
    const ls = snap.lsByVni.get(vni);
    return ls ? snap.ucast.find((u) => u.ls === ls && u.mac.toLowerCase() === mac.toLowerCase()) : undefined;
  };

  // --- bindings ------------------------------------------------------------------------------
  const guardedPorts = new Set<string>();
  const portRef = (name: string) => {
    const p = snap.ports.get(name);
    if (!p) {
      throw new VmtraceError('OVSDB_CONFLICT', `hardware_vtep: no Physical_Port "${name}" on Physical_Switch "${snap.switchName}"; nothing applied`);
    }
    if (!guardedPorts.has(p.uuid)) {
      guardedPorts.add(p.uuid);
      push(
        { op: 'wait', table: 'Physical_Port', timeout: 0, where: [['_uuid', '==', ovsUuid(p.uuid)]], columns: ['name'], until: '==', rows: [{ name }] },
        { what: `Physical_Port ${name}`, conflict: `Physical_Port "${name}" vanished` },
      );
    }
    return p;
  };
  const removedBindings = new Set<string>();
  for (const b of diff.remove.bindings) {
    const p = snap.ports.get(b.port);
    const ls = snap.lsByVni.get(b.vni);
    if (!p || !ls || p.bindings.get(b.vlan) !== ls) continue; // already gone: idempotent
    portRef(b.port);
    push(
      { op: 'mutate', table: 'Physical_Port', where: [['_uuid', '==', ovsUuid(p.uuid)]], mutations: [['vlan_bindings', 'delete', ovsMap([[b.vlan, ovsUuid(ls)]])]] },
      { what: `unbind ${b.port} VLAN ${b.vlan}` },
    );
    removedBindings.add(`${b.port}/${b.vlan}`);
    writes++;
  }
  for (const b of diff.add.bindings) {
    const p = portRef(b.port);
    const current = p.bindings.get(b.vlan);
    const ls = snap.lsByVni.get(b.vni);
    if (current !== undefined && current === ls) continue;
    if (current !== undefined && !removedBindings.has(`${b.port}/${b.vlan}`)) {
      const other = snap.logicalSwitches.get(current);
      throw new VmtraceError(
        'OVSDB_CONFLICT',
        `hardware_vtep: ${b.port} VLAN ${b.vlan} is already bound to logical switch "${other?.name ?? current}"${other?.vni != null ? ` (VNI ${other.vni})` : ''}; nothing applied`,
      );
    }
    const ref = lsRef(b.vni, true);
    push(
      { op: 'mutate', table: 'Physical_Port', where: [['_uuid', '==', ovsUuid(p.uuid)]], mutations: [['vlan_bindings', 'insert', ovsMap([[b.vlan, ref]])]] },
      { what: `bind ${b.port} VLAN ${b.vlan} to VNI ${b.vni}` },
    );
    // insert into a map leaves an existing key alone: prove the binding is ours now
    push(
      {
        op: 'wait',
        table: 'Physical_Port',
        timeout: 0,
        where: [
          ['_uuid', '==', ovsUuid(p.uuid)],
          ['vlan_bindings', 'includes', ovsMap([[b.vlan, ref]])],
        ],
        columns: ['name'],
        until: '==',
        rows: [{ name: b.port }],
      },
      { what: `check ${b.port} VLAN ${b.vlan}`, conflict: `${b.port} VLAN ${b.vlan} was bound to another logical switch meanwhile` },
    );
    writes++;
  }

  // --- unicast remote MACs -------------------------------------------------------------------
  const deletedUcast = new Set<string>();
  for (const m of diff.remove.macs) {
    const row = findUcast(m.vni, m.mac);
    if (!row || ipOfLocator(row.locator) !== m.vtep) continue;
    push({ op: 'delete', table: 'Ucast_Macs_Remote', where: [['_uuid', '==', ovsUuid(row.uuid)]] }, { what: `remove MAC ${m.mac} VNI ${m.vni}` });
    deletedUcast.add(row.uuid);
    writes++;
  }
  const addedMacs = new Set<string>();
  for (const m of diff.add.macs) {
    const key = `${m.vni}/${m.mac.toLowerCase()}`;
    if (addedMacs.has(key)) continue;
    addedMacs.add(key);
    const row = findUcast(m.vni, m.mac);
    if (row && !deletedUcast.has(row.uuid)) {
      if (ipOfLocator(row.locator) === m.vtep) continue;
      // the MAC moved to another host: one row per (logical switch, MAC), re-pointed
      push(
        { op: 'update', table: 'Ucast_Macs_Remote', where: [['_uuid', '==', ovsUuid(row.uuid)]], row: { locator: locRef(m.vtep) } },
        { what: `move MAC ${m.mac} VNI ${m.vni} to ${m.vtep}` },
      );
    } else {
      const ls = lsRef(m.vni, true);
      push(
        { op: 'insert', table: 'Ucast_Macs_Remote', row: { MAC: m.mac.toLowerCase(), logical_switch: ls, locator: locRef(m.vtep), ipaddr: '' } },
        { what: `add MAC ${m.mac} VNI ${m.vni}` },
      );
    }
    writes++;
  }

  // --- flooding (unknown-dst) ---------------------------------------------------------------
  // Locator sets are immutable: each changed VNI gets a new set, its row re-pointed (guarded).
  const floodVnis = new Set([...diff.add.flood, ...diff.remove.flood].map((f) => f.vni));
  for (const vni of floodVnis) {
    const ls = snap.lsByVni.get(vni);
    const row = ls ? snap.mcast.find((r) => r.ls === ls && r.mac === UNKNOWN_DST) : undefined;
    const current = new Set(row ? (snap.locatorSets.get(row.locatorSet) ?? []).map((l) => snap.locators.get(l)).filter((x): x is string => !!x) : []);
    const next = new Set(current);
    for (const f of diff.remove.flood) if (f.vni === vni) for (const v of f.vteps) next.delete(v);
    for (const f of diff.add.flood) if (f.vni === vni) for (const v of f.vteps) next.add(v);
    if (next.size === current.size && [...next].every((v) => current.has(v))) continue;
    writes++;
    if (row) {
      push(
        { op: 'wait', table: 'Mcast_Macs_Remote', timeout: 0, where: [['_uuid', '==', ovsUuid(row.uuid)]], columns: ['locator_set'], until: '==', rows: [{ locator_set: ovsUuid(row.locatorSet) }] },
        { what: `flood list of VNI ${vni}`, conflict: `the flood list of VNI ${vni} changed meanwhile` },
      );
    }
    if (next.size === 0) {
      if (row) push({ op: 'delete', table: 'Mcast_Macs_Remote', where: [['_uuid', '==', ovsUuid(row.uuid)]] }, { what: `stop flooding VNI ${vni}` });
      continue;
    }
    const setName = `set_${vni}`;
    push(
      { op: 'insert', table: 'Physical_Locator_Set', row: { locators: ovsSet([...next].sort().map(locRef)) }, 'uuid-name': setName },
      { what: `locator set for VNI ${vni}` },
    );
    if (row) {
      push(
        { op: 'update', table: 'Mcast_Macs_Remote', where: [['_uuid', '==', ovsUuid(row.uuid)]], row: { locator_set: ovsNamedUuid(setName) } },
        { what: `flood VNI ${vni}` },
      );
    } else {
      push(
        { op: 'insert', table: 'Mcast_Macs_Remote', row: { MAC: UNKNOWN_DST, logical_switch: lsRef(vni, true), locator_set: ovsNamedUuid(setName), ipaddr: '' } },
        { what: `flood VNI ${vni}` },
      );
    }
  }

  if (writes === 0) return null;
  push({ op: 'comment', comment: `vmtrace: hardware_vtep ${writes} change(s)` }, { what: 'comment' });
  return { ops, roles };
}

export function interpretVtepResults(txn: VtepTransaction, results: OpResult[], endpoint: string): void {
  const i = firstError(results);
  if (i < 0) {
    if (results.length < txn.roles.length) {
      throw new VmtraceError('OVSDB_ERROR', `hardware_vtep at ${endpoint} answered ${results.length} of ${txn.roles.length} operations`);
    }
    return;
  }
  const role = txn.roles[i];
  const r = results[i]!;
  if (role?.conflict && r.error === 'timed out') {
    throw new VmtraceError('OVSDB_CONFLICT', `hardware_vtep: ${role.conflict}; nothing applied`);
  }
  throw new VmtraceError('OVSDB_ERROR', `hardware_vtep at ${endpoint} refused ${role ? role.what : 'the commit'}: ${describeOpError(r)}; nothing applied`);
}
