// vCenter events as hints (DESIGN §6): migration starts drive make-before-break (rule 7), the
// rest goes to the journal. The property collector stays the truth: an event that is lost,
// repeated or unreadable only costs speed.

import type { JournalEntry } from '../../../shared/model.js';
import type { PendingMigration } from '../../core/facts.js';
import { factKey, moref } from './translate.js';
import { child, textOf, type XNode } from './xml-stream.js';

export const MIGRATION_START = ['VmBeingHotMigratedEvent', 'VmBeingMigratedEvent', 'VmBeingRelocatedEvent'];
export const WATCHED_EVENTS = [
  ...MIGRATION_START,
  'VmMigratedEvent',
  'VmRelocatedEvent',
  'VmFailedMigrateEvent',
  'DrsVmMigratedEvent',
  'VmPoweredOnEvent',
  'VmPoweredOffEvent',
  'VmSuspendedEvent',
  'VmCreatedEvent',
  'VmClonedEvent',
  'VmDeployedEvent',
  'VmRegisteredEvent',
  'VmRemovedEvent',
  'VmReconfiguredEvent',
];

export interface VmEvent {
  key: number;
  type: string;
  vm: string | null;
  vmName: string | null;
  host: string | null;
  destHost: string | null;
  message: string;
}

/** One Event element (polymorphic by xsi:type) → VmEvent, or null if it is not one of ours. */
export function readEvent(vcenter: string, n: XNode): VmEvent | null {
  const type = n.type ?? n.name;
  const key = Number(textOf(n, 'key')?.trim());
  if (!Number.isInteger(key)) return null;
  const arg = (name: string, inner: string): { key: string | null; name: string | null } => {
    const a = child(n, name);
    const r = moref(child(a, inner));
    return { key: r ? factKey(vcenter, r.value) : null, name: textOf(a, 'name')?.trim() ?? null };
  };
  const vm = arg('vm', 'vm');
  const host = arg('host', 'host');
  const dest = arg('destHost', 'host');
  return {
    key,
    type,
    vm: vm.key,
    vmName: vm.name,
    host: host.key,
    destHost: dest.key,
    message: textOf(n, 'fullFormattedMessage')?.trim() || type,
  };
}

/** What to tell the sink about one event. */
export function eventActions(
  vcenter: string,
  e: VmEvent,
  now: number,
): { migration?: PendingMigration; migrationEnded?: string; journal: JournalEntry } {
  const who = e.vmName ?? e.vm ?? '?';
  const journal: JournalEntry = { at: now, kind: 'vm-event', port: null, vlan: null, message: `${vcenter}: ${e.type} ${who}: ${e.message}` };
  if (MIGRATION_START.includes(e.type) && e.vm && e.destHost) {
    return { migration: { vm: e.vm, destHost: e.destHost, at: now }, journal };
  }
  if (e.type === 'VmFailedMigrateEvent' && e.vm) return { migrationEnded: e.vm, journal };
  return { journal };
}
