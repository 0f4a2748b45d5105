// Rules 2–8: from desired state, the device as observed and the ownership ledger, the minimal
// set of adds and removes, each with its rule and reason, and everything held back with why.
// Pure: `now` is an argument; the ledger is copied, never mutated.

import type { DevicePort, Holdback, Plan, PortChange, VlanChange, VlanId } from '../../shared/model.js';
import { inRanges } from '../../shared/vlan.js';
import type { PortDesire } from './desired.js';
import type { Policy, PortRecord } from './types.js';

export interface PlanInput {
  now: number;
  policy: Policy;
  /** every port of the device as observed now (switch-wide limits count them all) */
  device: DevicePort[];
  /** the managed ports to plan (a subset of `device` when only some are dirty) */
  desired: Map<string, PortDesire>;
  ledger: ReadonlyMap<string, PortRecord>;
  /** rule 4: why every removal is frozen (a vCenter not synced), or null */
  blind: string | null;
  /** the operator confirmed (`plan --apply`): the guard and orphaned ports do not hold back */
  confirm?: boolean;
}

/** Per-port outcome, for status (SNMP, show, TUI). */
export interface PortOutcome {
  port: string;
  /** VLANs wanted on the port: static + needed */
  wanted: VlanId[];
  /** needed (or static) but not on the port after this plan, and why */
  missing: VlanId[];
  /** owned, on the port, wanted by nobody: waiting (hold-down, frozen, guard) */
  surplus: VlanId[];
  state: 'ok' | 'frozen' | 'limit';
  reason: string | null;
}

export interface PlanOutput {
  plan: Plan;
  /** ledger records created or changed by planning (new ports, hold-down timers) */
  ledger: Map<string, PortRecord>;
  outcomes: Map<string, PortOutcome>;
}

function newRecord(port: DevicePort, now: number, adopt: boolean): PortRecord {
  void adopt; // adoption is evaluated at plan time, so turning it on later works too
  return { port: port.name, firstSeenAt: now, initialVlans: [...port.trunks].sort((a, b) => a - b), owned: [], unneededSince: {} };
}

function sameRecord(a: PortRecord, b: PortRecord): boolean {
  if (a.owned.length !== b.owned.length || a.owned.some((v, i) => v !== b.owned[i])) return false;
  const ka = Object.keys(a.unneededSince);
  const kb = Object.keys(b.unneededSince);
  return ka.length === kb.length && ka.every((k) => a.unneededSince[Number(k)] === b.unneededSince[Number(k)]);
}

interface Draft {
  port: DevicePort;
  desire: PortDesire;
  record: PortRecord;
  adds: VlanChange[];
  removes: VlanChange[];
  holdbacks: Holdback[];
  frozen: string | null;
}

export function plan(input: PlanInput): PlanOutput {
  const { now, policy, desired } = input;
  const byName = new Map(input.device.map((p) => [p.name, p]));
  const protectedSet = new Set(policy.protectedVlans);
  const drafts: Draft[] = [];
  const ledgerOut = new Map<string, PortRecord>();

  for (const [name, desire] of desired) {
    const port = byName.get(name);
    if (!port) continue;
    const prior = input.ledger.get(name);
    const base = prior ?? newRecord(port, now, desire.policy.adopt);
    const record: PortRecord = { ...base, owned: [...base.owned], unneededSince: { ...base.unneededSince } };
    const d: Draft = { port, desire, record, adds: [], removes: [], holdbacks: [], frozen: null };
    drafts.push(d);
    planPort(d, input, protectedSet);
    if (!prior || !sameRecord(prior, record)) ledgerOut.set(name, record);
  }

  // Order matters: the guard settles removals, limits then count the final removals, and the
  // empty-trunk check sees the final adds.
  const guardTripped = applyGuard(drafts, input);
  applyLimits(drafts, input);
  applyNeverEmpty(drafts);

  const changes: PortChange[] = [];
  const holdbacks: Holdback[] = [];
  const outcomes = new Map<string, PortOutcome>();
  for (const d of drafts) {
    if (d.adds.length || d.removes.length) changes.push({ port: d.port.name, add: d.adds, remove: d.removes });
    holdbacks.push(...d.holdbacks);
    outcomes.set(d.port.name, outcome(d, input));
  }
  return { plan: { at: now, changes, holdbacks, guardTripped }, ledger: ledgerOut, outcomes };
}

function planPort(d: Draft, input: PlanInput, protectedSet: Set<VlanId>): void {
  const { port, desire, record } = d;
  const { now, policy } = input;
  const name = port.name;
  const statics = new Set(desire.policy.staticVlans);

  if (port.trunks.length === 0) {
    // Rule 8: OVS reads an empty trunk set as "all VLANs". Adding one VLAN would cut the rest.
    d.frozen = 'trunks empty (= all VLANs): set the port trunks to let vmtrace manage it';
    d.holdbacks.push({ port: name, vlan: null, rule: 8, kind: 'anomaly', reason: d.frozen });
    return;
  }

  const present = new Set(port.trunks);
  // Forget ownership of VLANs that left the device by other hands.
  record.owned = record.owned.filter((v) => present.has(v)).sort((a, b) => a - b);

  // Adds (rule 1 needs + static), limits applied later across ports.
  for (const v of [...statics].sort((a, b) => a - b)) {
    if (!present.has(v)) d.adds.push({ vlan: v, rule: 3, reason: 'static VLAN of the port' });
  }
  for (const [v, why] of [...desire.needed].sort((a, b) => a[0] - b[0])) {
    if (present.has(v) || statics.has(v)) continue;
    if (!inRanges(v, policy.allowedVlans)) {
      d.holdbacks.push({ port: name, vlan: v, rule: 6, kind: 'range', reason: `VLAN ${v} outside allowedVlans (${why})` });
      continue;
    }
    d.adds.push({ vlan: v, rule: 1, reason: why });
  }

  // Removes: only what vmtrace owns (rule 3), after hold-down (rule 2), never blind (rule 4).
  const owned = new Set(record.owned);
  const initial = new Set(record.initialVlans);
  const portBlind =
    desire.neighborState === 'unknown'
      ? 'neighbour unknown or expired'
      : desire.neighborState === 'anomaly'
        ? `neighbour anomaly: ${desire.anomalies[0] ?? 'unresolved'}`
        : null;
  for (const v of [...present].sort((a, b) => a - b)) {
    const wanted = statics.has(v) || desire.needed.has(v);
    if (wanted) {
      delete record.unneededSince[v];
      continue;
    }
    const removable = (owned.has(v) || (desire.policy.adopt && initial.has(v))) && !statics.has(v) && !protectedSet.has(v);
    if (!removable) {
      delete record.unneededSince[v];
      continue;
    }
    if (input.blind) {
      d.frozen = input.blind;
      d.holdbacks.push({ port: name, vlan: v, rule: 4, kind: 'frozen', reason: `removal frozen: ${input.blind}` });
      continue;
    }
    if (portBlind && !input.confirm) {
      d.frozen = portBlind;
      const kind = desire.neighborState === 'unknown' ? 'orphaned' : 'frozen';
      d.holdbacks.push({ port: name, vlan: v, rule: 4, kind, reason: `removal frozen: ${portBlind}; confirm with plan --apply` });
      continue;
    }
    const since = record.unneededSince[v] ?? now;
    record.unneededSince[v] = since;
    const until = since + desire.policy.pruneHoldDownMs;
    if (now < until && !(portBlind && input.confirm)) {
      d.holdbacks.push({ port: name, vlan: v, rule: 2, kind: 'hold-down', reason: 'no longer needed; waiting for hold-down', until });
      continue;
    }
    d.removes.push({ vlan: v, rule: 2, reason: portBlind ? `operator confirmed: ${portBlind}` : 'needed by no VM for the whole hold-down' });
  }
  for (const k of Object.keys(record.unneededSince)) if (!present.has(Number(k))) delete record.unneededSince[Number(k)];
}

/** Rule 6: per-port maxVlans and the switch-wide port×VLAN budget refuse the excess adds. */
function applyLimits(drafts: Draft[], input: PlanInput): void {
  let members = 0;
  for (const p of input.device) members += p.trunks.length;
  for (const d of drafts) members -= d.removes.length;
  for (const d of drafts) {
    let count = d.port.trunks.length - d.removes.length;
    const kept: VlanChange[] = [];
    for (const a of d.adds) {
      if (count + 1 > d.desire.policy.maxVlans) {
        d.holdbacks.push({ port: d.port.name, vlan: a.vlan, rule: 6, kind: 'limit', reason: `port at maxVlans ${d.desire.policy.maxVlans}` });
        continue;
      }
      if (members + 1 > input.policy.maxVlanMembers) {
        d.holdbacks.push({ port: d.port.name, vlan: a.vlan, rule: 6, kind: 'limit', reason: `switch at maxVlanMembers ${input.policy.maxVlanMembers}` });
        continue;
      }
      count++;
      members++;
      kept.push(a);
    }
    d.adds = kept;
  }
}

/** Rule 8: never leave a trunk empty; the lowest VLAN stays as the parking VLAN. */
function applyNeverEmpty(drafts: Draft[]): void {
  for (const d of drafts) {
    if (!d.removes.length) continue;
    const after = d.port.trunks.length - d.removes.length + d.adds.length;
    if (after > 0) continue;
    d.removes.sort((a, b) => a.vlan - b.vlan);
    const keep = d.removes.shift()!;
    d.holdbacks.push({ port: d.port.name, vlan: keep.vlan, rule: 8, kind: 'anomaly', reason: 'last VLAN on the trunk kept: an empty trunk means all VLANs' });
  }
}

/** Rule 5: too many removals at once is refused whole (adds still go) until confirmed. */
function applyGuard(drafts: Draft[], input: PlanInput): boolean {
  const total = drafts.reduce((n, d) => n + d.removes.length, 0);
  if (total <= input.policy.maxRemovalsPerPlan) return false;
  if (input.confirm) {
    for (const d of drafts) for (const r of d.removes) r.reason += ` (operator confirmed past the blast-radius guard: ${total} > ${input.policy.maxRemovalsPerPlan})`;
    return false;
  }
  for (const d of drafts) {
    for (const r of d.removes)
      d.holdbacks.push({
        port: d.port.name,
        vlan: r.vlan,
        rule: 5,
        kind: 'guard',
        reason: `plan removes ${total} VLANs > maxRemovalsPerPlan ${input.policy.maxRemovalsPerPlan}; confirm with plan --apply`,
      });
    d.removes = [];
  }
  return true;
}

function outcome(d: Draft, input: PlanInput): PortOutcome {
  const statics = d.desire.policy.staticVlans;
  const wanted = [...new Set([...statics, ...d.desire.needed.keys()])].sort((a, b) => a - b);
  const after = new Set(d.port.trunks);
  for (const a of d.adds) after.add(a.vlan);
  for (const r of d.removes) after.delete(r.vlan);
  const missing = wanted.filter((v) => !after.has(v));
  const owned = new Set(d.record.owned);
  const surplus = [...after].filter((v) => !wanted.includes(v) && (owned.has(v) || (d.desire.policy.adopt && d.record.initialVlans.includes(v)))).sort((a, b) => a - b);
  const limited = d.holdbacks.find((h) => h.kind === 'limit' || h.kind === 'range');
  const guarded = d.holdbacks.find((h) => h.kind === 'guard');
  // removals frozen switch-wide (a vCenter blind) or held by the guard: the port is not "ok"
  const state = d.frozen || input.blind || guarded ? 'frozen' : limited ? 'limit' : 'ok';
  const reason = d.frozen ?? limited?.reason ?? (input.blind ? `removals frozen: ${input.blind}` : (guarded?.reason ?? null));
  return { port: d.port.name, wanted, missing, surplus, state, reason };
}

/** Ownership (rule 3): VLANs about to be added are recorded as owned before the device write. */
export function recordIntent(ledger: ReadonlyMap<string, PortRecord>, changes: PortChange[]): Map<string, PortRecord> {
  const out = new Map<string, PortRecord>();
  for (const c of changes) {
    if (!c.add.length) continue;
    const r = ledger.get(c.port);
    if (!r) continue;
    const owned = new Set(r.owned);
    for (const a of c.add) owned.add(a.vlan);
    const unneededSince = { ...r.unneededSince };
    for (const a of c.add) delete unneededSince[a.vlan];
    out.set(c.port, { ...r, owned: [...owned].sort((a, b) => a - b), unneededSince });
  }
  return out;
}

/** After a successful write: removed VLANs are no longer owned and their timers end. */
export function recordApplied(ledger: ReadonlyMap<string, PortRecord>, changes: PortChange[]): Map<string, PortRecord> {
  const out = new Map<string, PortRecord>();
  for (const c of changes) {
    if (!c.remove.length) continue;
    const r = ledger.get(c.port);
    if (!r) continue;
    const gone = new Set(c.remove.map((x) => x.vlan));
    const unneededSince = { ...r.unneededSince };
    for (const v of gone) delete unneededSince[v];
    out.set(c.port, { ...r, owned: r.owned.filter((v) => !gone.has(v)), unneededSince });
  }
  return out;
}

/** Earliest hold-down expiry in a plan: when the controller should look again. */
export function nextWakeup(p: Plan): number | null {
  let t: number | null = null;
  for (const h of p.holdbacks) if (h.until !== undefined && (t === null || h.until < t)) t = h.until;
  return t;
}
