// hardware_vtep over its own OVSDB session (the server may be the same ovsdb-server that
// serves Open_vSwitch). Every read is fresh; every apply is one guarded transaction built
// against a snapshot taken just before it (see vtep-txn.ts).

import type { VtepState } from '../../../shared/model.js';
import { VmtraceError } from '../../../shared/errors.js';
import type { Logger } from '../../log.js';
import type { VtepDiff, VtepDriver } from '../driver.js';
import { OvsdbSession, type BackoffOptions } from './session.js';
import { SNAPSHOT_OPS, VTEP_DB, parseSnapshot, snapshotState, type VtepSnapshot } from './vtep-snapshot.js';
import { buildVtepTransaction, interpretVtepResults } from './vtep-txn.js';
import { asResults } from './wire.js';

export interface OvsdbVtepOptions {
  endpoint: string;
  /** Physical_Switch to use; null = the one named like `bridge`, else the only one */
  physicalSwitch: string | null;
  bridge: string;
  logger: Logger;
  timeoutMs: number;
  keepaliveMs: number;
  backoff?: BackoffOptions;
}

export class OvsdbVtepDriver implements VtepDriver {
  private readonly session: OvsdbSession;
  private readonly log: Logger;

  constructor(private readonly opts: OvsdbVtepOptions) {
    this.log = opts.logger.child({ db: VTEP_DB });
    this.session = new OvsdbSession({
      endpoint: opts.endpoint,
      logger: this.log,
      timeoutMs: opts.timeoutMs,
      keepaliveMs: opts.keepaliveMs,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      onConnect: async (conn) => {
        const dbs = await conn.request('list_dbs', []);
        if (!Array.isArray(dbs) || !dbs.includes(VTEP_DB)) {
          throw new VmtraceError('OVSDB_ERROR', `OVSDB at ${opts.endpoint} has no ${VTEP_DB} database (it serves ${JSON.stringify(dbs)})`);
        }
      },
      onNotification: () => undefined,
      onState: () => undefined,
    });
  }

  async open(): Promise<void> {
    await this.session.start();
  }

  close(): void {
    this.session.stop();
  }

  async read(): Promise<VtepState> {
    return snapshotState(await this.snapshot());
  }

  async apply(diff: VtepDiff): Promise<void> {
    const snap = await this.snapshot();
    const txn = buildVtepTransaction(snap, diff);
    if (!txn) return;
    const answer = await this.session.request('transact', [VTEP_DB, ...txn.ops]);
    interpretVtepResults(txn, asResults(answer, this.opts.endpoint), this.opts.endpoint);
    this.log.info({ ops: txn.ops.length }, 'hardware_vtep changed');
  }

  private async snapshot(): Promise<VtepSnapshot> {
    const answer = await this.session.request('transact', [VTEP_DB, ...SNAPSHOT_OPS]);
    return parseSnapshot(asResults(answer, this.opts.endpoint), this.opts.physicalSwitch, this.opts.bridge, this.opts.endpoint);
  }
}
