// `vmtrace plan --config FILE [--apply] [--json]`: what the agent would change right now, and
// why. Facts come fresh from vCenter (one-shot read) and, for neighbours, from the agent's last
// snapshot in the store. `--apply` runs one reconcile with the operator's confirmation, which
// lets through what the blast-radius guard and orphaned-port freeze held back.

import { dirname, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { FactBook } from '../core/facts.js';
import { computePlan, type EngineOutput } from '../core/engine.js';
import { Controller } from '../controller/controller.js';
import { createDriver, openStore } from '../main.js';
import { silentLogger, createLogger } from '../log.js';
import { checkVcenter } from '../sources/vcenter/source.js';
import { storePath } from '../store/index.js';
import { existsSync } from 'node:fs';
import { errorMessage, exitCodeFor } from '../../shared/errors.js';
import { renderTable } from './show-table.js';

const table = (headers: string[], rows: string[][]): string => renderTable(headers.map((header) => ({ header })), rows).trimEnd();

export interface PlanOptions {
  config: string;
  apply: boolean;
  json: boolean;
}

export async function planCommand(opts: PlanOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const cfg = loadConfig(opts.config);
  // logs go to stderr: stdout carries the plan (and `--json` stays one JSON document)
  const logger = opts.apply ? createLogger(cfg.raw.log?.level ?? 'info', 'stderr') : silentLogger();
  const store = await openStore(cfg, silentLogger(), !opts.apply && existsSync(storePath(resolve(dirname(resolve(cfg.file)), cfg.raw.stateDir))));
  const driver = createDriver(cfg, silentLogger());
  try {
    await driver.open();
    const book = new FactBook();
    for (const [vc, { inv }] of await store.loadInventories()) book.replaceInventory(vc, inv);
    for (const n of await store.loadNeighbors()) book.neighborSeen(n);
    const base = dirname(resolve(cfg.file));
    let vcenterError: unknown = null;
    for (const v of cfg.raw.vcenters) {
      try {
        const { inventory } = await checkVcenter({
          name: v.name,
          url: v.url,
          username: v.username,
          passwordFile: resolve(base, v.passwordFile),
          thumbprint: v.thumbprint,
          caFile: v.caFile ? resolve(base, v.caFile) : undefined,
        });
        book.replaceInventory(v.name, inventory);
        book.sourceStatus({ name: v.name, state: 'synced', lastSync: Date.now() });
      } catch (e) {
        vcenterError ??= e;
        book.sourceStatus({ name: v.name, state: 'disconnected', lastSync: null, error: errorMessage(e) });
        err.write(`vmtrace plan: ${errorMessage(e)} (removals frozen)\n`);
      }
    }
    const result = computePlan({
      now: Date.now(),
      policy: cfg.policy,
      facts: book,
      neighbors: book.neighbors.values(),
      sources: book.sources,
      device: await driver.ports(),
      ledger: await store.loadLedger(),
      confirm: opts.apply,
    });
    const mode = cfg.policy.mode;
    if (opts.json) out.write(JSON.stringify({ mode, ...(planJson(result) as object) }, null, 2) + '\n');
    else out.write((mode === 'dry-run' ? 'mode dry-run: the agent logs these changes and writes none\n' : '') + renderPlan(result));

    if (opts.apply && result.plan.changes.length) {
      const dryRun = cfg.raw.mode === 'dry-run' || cfg.raw.driver.kind === 'dry-run';
      const ctl = new Controller({ policy: cfg.policy, driver, store, book, logger, resyncMs: 0, confirm: true, dryRun });
      await ctl.start();
      await ctl.stop();
      const c = ctl.counters;
      if (c.applyErrors) {
        err.write(`vmtrace plan: apply failed (${c.applyErrors} errors); nothing half-applied, see the agent log\n`);
        return 2;
      }
      if (!opts.json) out.write(`applied: ${c.vlanAdds} added, ${c.vlanRemoves} removed\n`);
    }
    // the plan was shown, but a vCenter that refused us is the operator's to fix (exit 1) or down (exit 2)
    return vcenterError ? exitCodeFor(vcenterError) : 0;
  } finally {
    await driver.close();
    await store.close();
  }
}

/** Stable JSON of `plan --json`. */
export function planJson(r: EngineOutput): unknown {
  return {
    at: new Date(r.plan.at).toISOString(),
    frozen: r.blind,
    guardTripped: r.plan.guardTripped,
    changes: r.plan.changes.flatMap((c) => [
      ...c.add.map((a) => ({ port: c.port, action: 'add', vlan: a.vlan, rule: a.rule, reason: a.reason })),
      ...c.remove.map((a) => ({ port: c.port, action: 'remove', vlan: a.vlan, rule: a.rule, reason: a.reason })),
    ]),
    heldBack: r.plan.holdbacks.map((h) => ({
      port: h.port,
      vlan: h.vlan,
      rule: h.rule,
      kind: h.kind,
      reason: h.reason,
      ...(h.until !== undefined ? { until: new Date(h.until).toISOString() } : {}),
    })),
    ports: [...r.desired.values()].map((d) => ({
      port: d.port,
      neighbors: d.neighbors.map((n) => ({ host: n.hostName, nic: n.nic, via: n.via })),
      neighborState: d.neighborState,
      needed: [...d.needed.keys()].sort((a, b) => a - b),
      anomalies: d.anomalies,
      notes: d.notes,
    })),
  };
}

export function renderPlan(r: EngineOutput): string {
  const lines: string[] = [];
  if (r.blind) lines.push(`removals frozen (rule 4): ${r.blind}`);
  if (r.plan.guardTripped) lines.push('blast-radius guard tripped (rule 5): removals held back; `vmtrace plan --apply` confirms them');
  const rows: string[][] = [];
  for (const c of r.plan.changes) {
    for (const a of c.add) rows.push([c.port, '+ add', String(a.vlan), String(a.rule), a.reason]);
    for (const a of c.remove) rows.push([c.port, '- remove', String(a.vlan), String(a.rule), a.reason]);
  }
  if (rows.length) lines.push(table(['PORT', 'CHANGE', 'VLAN', 'RULE', 'WHY'], rows));
  else lines.push('no changes');
  const held = r.plan.holdbacks.map((h) => [
    h.port,
    h.kind,
    h.vlan === null ? '-' : String(h.vlan),
    String(h.rule),
    h.reason + (h.until !== undefined ? ` (until ${new Date(h.until).toISOString()})` : ''),
  ]);
  if (held.length) lines.push('', 'held back:', table(['PORT', 'HOLD', 'VLAN', 'RULE', 'WHY'], held));
  const notes: string[][] = [];
  for (const d of r.desired.values()) {
    if (d.neighborState === 'unknown') notes.push([d.port, 'no neighbour heard (LLDP/CDP) and none pinned']);
    for (const a of d.anomalies) notes.push([d.port, a]);
    for (const n of d.notes) notes.push([d.port, n]);
  }
  if (notes.length) lines.push('', 'notes:', table(['PORT', 'NOTE'], notes));
  return lines.join('\n') + '\n';
}
