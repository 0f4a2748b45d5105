// The Open vSwitch driver (RFC 7047): trunks of a bridge's ports, changed by deltas in one
// transaction with guard rows, watched through a monitor, over a self-healing session.

import type { DevicePort, PortChange } from '../../../shared/model.js';
import { VmtraceError, errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../log.js';
import type { Driver, VtepDriver } from '../driver.js';
import type { JsonRpcConnection } from './jsonrpc.js';
import { MONITORED_COLUMNS, PortCache } from './port-cache.js';
import { OvsdbSession, type BackoffOptions } from './session.js';
import { OvsdbVtepDriver } from './vtep.js';
import { buildTrunkTransaction, guardFailure, guardFailureQuery, interpretTrunkResults } from './trunk-txn.js';
import { type OvsdbRow, type TableUpdates, asResults, intSet, nameOf, optionalInt, uuidOf, uuidSet } from './wire.js';

export interface OvsdbDriverOptions {
  /** `unix:/var/run/openvswitch/db.sock` or `tcp:host:port` */
  endpoint: string;
  bridge: string;
  /** hardware_vtep database; may be the same server as Open_vSwitch; null/absent = no VTEP */
  vtepEndpoint?: string | null;
  /** hardware_vtep Physical_Switch; default: the one named like `bridge`, else the only one */
  vtepSwitch?: string | null;
  logger: Logger;
  /** per-request answer deadline (default 5000 ms) */
  timeoutMs?: number;
  /** echo after this much silence (default 5000 ms) */
  keepaliveMs?: number;
  backoff?: BackoffOptions;
}

const DB = 'Open_vSwitch';
const MONITOR_ID = 'vmtrace-ports';

export class OvsdbDriver implements Driver {
  readonly kind = 'ovsdb';
  readonly vtep: VtepDriver | null;
  private readonly session: OvsdbSession;
  private readonly cache: PortCache;
  private readonly log: Logger;
  private readonly vtepDriver: OvsdbVtepDriver | null;
  private readonly observers = new Set<(ports: string[] | null) => void>();
  private readonly connListeners = new Set<(up: boolean, error?: Error) => void>();

  constructor(private readonly opts: OvsdbDriverOptions) {
    this.log = opts.logger.child({ driver: 'ovsdb', bridge: opts.bridge });
    this.cache = new PortCache(opts.bridge);
    this.session = new OvsdbSession({
      endpoint: opts.endpoint,
      logger: this.log,
      timeoutMs: opts.timeoutMs ?? 5000,
      keepaliveMs: opts.keepaliveMs ?? 5000,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      onConnect: (conn) => this.startMonitor(conn),
      onNotification: (method, params) => this.onNotification(method, params),
      onState: (up, error) => this.onState(up, error),
    });
    this.vtepDriver = opts.vtepEndpoint
      ? new OvsdbVtepDriver({
          endpoint: opts.vtepEndpoint,
          physicalSwitch: opts.vtepSwitch ?? null,
          bridge: opts.bridge,
          logger: this.log,
          timeoutMs: opts.timeoutMs ?? 5000,
          keepaliveMs: opts.keepaliveMs ?? 5000,
          ...(opts.backoff ? { backoff: opts.backoff } : {}),
        })
      : null;
    this.vtep = this.vtepDriver;
  }

  async open(): Promise<void> {
    if (this.session.up) return;
    await this.session.start();
    if (this.vtepDriver) {
      try {
        await this.vtepDriver.open();
      } catch (err) {
        this.session.stop();
        throw err;
      }
    }
  }

  async close(): Promise<void> {
    this.session.stop();
    this.vtepDriver?.close();
  }

  async ports(): Promise<DevicePort[]> {
    // A fresh read, not the monitor's cache: the caller plans against what the device holds now.
    const answer = await this.session.request('transact', [
      DB,
      { op: 'select', table: 'Bridge', where: [['name', '==', this.opts.bridge]], columns: ['ports'] },
      { op: 'select', table: 'Port', where: [], columns: ['_uuid', 'name', 'trunks', 'tag', 'interfaces'] },
      { op: 'select', table: 'Interface', where: [], columns: ['_uuid', 'name', 'ifindex'] },
    ]);
    const [bridges, ports, ifaces] = asResults(answer, this.session.name).map((r) => {
      if (r.error) throw new VmtraceError('OVSDB_ERROR', `OVSDB at ${this.session.name}: reading ports failed: ${r.error}`);
      return r.rows ?? [];
    });
    const bridge = bridges?.[0];
    if (!bridge) throw this.bridgeMissing();
    const ifaceByUuid = new Map<string, OvsdbRow>();
    for (const row of ifaces ?? []) {
      const id = uuidOf(row['_uuid']);
      if (id) ifaceByUuid.set(id, row);
    }
    const portByUuid = new Map<string, OvsdbRow>();
    for (const row of ports ?? []) {
      const id = uuidOf(row['_uuid']);
      if (id) portByUuid.set(id, row);
    }
    const out: DevicePort[] = [];
    for (const id of uuidSet(bridge['ports'])) {
      const p = portByUuid.get(id);
      if (!p) continue;
      const members = uuidSet(p['interfaces'])
        .map((u) => ifaceByUuid.get(u))
        .filter((r): r is OvsdbRow => r !== undefined)
        .sort((a, b) => compareNames(nameOf(a), nameOf(b)));
      const ifIndex = members.length > 0 ? optionalInt(members[0]!['ifindex']) : null;
      out.push({
        name: nameOf(p),
        interfaces: members.map(nameOf),
        trunks: intSet(p['trunks']).sort((a, b) => a - b),
        tag: optionalInt(p['tag']),
        ifIndex: ifIndex === 0 ? null : ifIndex,
      });
    }
    return out.sort((a, b) => compareNames(a.name, b.name));
  }

  async apply(changes: PortChange[]): Promise<void> {
    const txn = buildTrunkTransaction(DB, changes);
    if (!txn) return;
    const answer = await this.session.request('transact', txn.params).catch((err: unknown) => {
      if (err instanceof VmtraceError && err.code === 'OVSDB_UNREACHABLE' && /no answer/.test(err.message)) {
        throw new VmtraceError('OVSDB_UNREACHABLE', `${err.message}; the change may or may not have been applied`, {
          transient: true,
          cause: err,
        });
      }
      throw err;
    });
    const failed = interpretTrunkResults(txn, asResults(answer, this.session.name), this.session.name);
    if (failed) {
      const check = asResults(await this.session.request('transact', guardFailureQuery(DB, failed.guardTripped)), this.session.name);
      throw guardFailure(failed.guardTripped, (check[0]?.rows?.length ?? 0) > 0);
    }
    this.log.info({ ports: txn.ports }, 'ovsdb: trunks changed');
  }

  observe(listener: (ports: string[] | null) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  onConnection(listener: (up: boolean, error?: Error) => void): () => void {
    this.connListeners.add(listener);
    return () => this.connListeners.delete(listener);
  }

  private async startMonitor(conn: JsonRpcConnection): Promise<void> {
    const requests: Record<string, { columns: readonly string[] }> = {};
    for (const [table, columns] of Object.entries(MONITORED_COLUMNS)) requests[table] = { columns };
    const initial = await conn.request('monitor', [DB, MONITOR_ID, requests]);
    this.cache.clear();
    this.cache.apply((initial ?? {}) as TableUpdates);
    if (!this.cache.hasBridge()) throw this.bridgeMissing();
  }

  private onNotification(method: string, params: unknown): void {
    if (method !== 'update' || !Array.isArray(params) || params[0] !== MONITOR_ID) return;
    const changed = this.cache.apply((params[1] ?? {}) as TableUpdates);
    if (changed.length > 0) this.emit(changed);
  }

  private onState(up: boolean, error?: Error): void {
    if (up) this.emit(null);
    for (const fn of this.connListeners) {
      try {
        fn(up, error);
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'ovsdb: connection listener failed');
      }
    }
  }

  private emit(ports: string[] | null): void {
    for (const fn of this.observers) {
      try {
        fn(ports === null ? null : [...ports]);
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'ovsdb: observer failed');
      }
    }
  }

  private bridgeMissing(): VmtraceError {
    return new VmtraceError(
      'OVSDB_BRIDGE_MISSING',
      `bridge "${this.opts.bridge}" does not exist in Open_vSwitch at ${this.opts.endpoint} (create it, or fix driver.bridge)`,
    );
  }
}

const nameCollator = new Intl.Collator('en', { numeric: true });

/** swp2 before swp10 (one collator: localeCompare with options builds one per call). */
export function compareNames(a: string, b: string): number {
  return nameCollator.compare(a, b);
}
