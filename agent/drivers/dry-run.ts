// `mode: dry-run`: reads pass through to a real driver (so plans are computed against the
// device as it is), writes are only logged and recorded. Nothing on the device changes.

import type { DevicePort, PortChange, Rule, VlanId } from '../../shared/model.js';
import { VmtraceError } from '../../shared/errors.js';
import type { Logger } from '../log.js';
import type { Driver, VtepDiff, VtepDriver } from './driver.js';

export interface DryRunChange {
  /** ms since epoch */
  at: number;
  port: string;
  vlan: VlanId;
  action: 'add' | 'remove';
  rule: Rule;
  reason: string;
}

export interface DryRunOptions {
  /** the real driver to read from; null = no device (ports() is empty) */
  inner?: Driver | null;
  logger: Logger;
  /** keep at most this many recorded changes (oldest dropped first; default 10,000) */
  maxRecorded?: number;
}

export class DryRunDriver implements Driver {
  readonly kind = 'dry-run';
  readonly vtep: VtepDriver | null;
  /** every change that would have been applied, oldest first */
  readonly applied: DryRunChange[] = [];
  /** VTEP diffs that would have been applied */
  readonly vtepApplied: VtepDiff[] = [];
  private readonly inner: Driver | null;
  private readonly log: Logger;
  private readonly max: number;

  constructor(opts: DryRunOptions) {
    this.inner = opts.inner ?? null;
    this.log = opts.logger.child({ driver: 'dry-run' });
    this.max = opts.maxRecorded ?? 10_000;
    const innerVtep = this.inner?.vtep ?? null;
    this.vtep = innerVtep
      ? {
          read: () => innerVtep.read(),
          apply: async (diff: VtepDiff) => {
            this.log.info({ add: diff.add, remove: diff.remove }, 'dry-run: would change hardware_vtep');
            this.vtepApplied.push(structuredClone(diff));
            if (this.vtepApplied.length > this.max) this.vtepApplied.shift();
          },
        }
      : null;
  }

  async open(): Promise<void> {
    await this.inner?.open();
  }

  async close(): Promise<void> {
    await this.inner?.close();
  }

  async ports(): Promise<DevicePort[]> {
    return this.inner ? this.inner.ports() : [];
  }

  async apply(changes: PortChange[]): Promise<void> {
    const at = Date.now();
    for (const c of changes) {
      for (const [action, list] of [
        ['add', c.add],
        ['remove', c.remove],
      ] as const) {
        for (const ch of list) {
          if (!Number.isInteger(ch.vlan) || ch.vlan < 0 || ch.vlan > 4095) {
            throw new VmtraceError('INTERNAL', `trunk change on "${c.port}": ${ch.vlan} is not a VLAN id`);
          }
          this.log.info({ port: c.port, vlan: ch.vlan, action, rule: ch.rule, reason: ch.reason }, `dry-run: would ${action} VLAN`);
          this.applied.push({ at, port: c.port, vlan: ch.vlan, action, rule: ch.rule, reason: ch.reason });
        }
      }
    }
    if (this.applied.length > this.max) this.applied.splice(0, this.applied.length - this.max);
  }

  observe(listener: (ports: string[] | null) => void): () => void {
    return this.inner ? this.inner.observe(listener) : () => undefined;
  }

  onConnection(listener: (up: boolean, error?: Error) => void): () => void {
    return this.inner ? this.inner.onConnection(listener) : () => undefined;
  }
}
