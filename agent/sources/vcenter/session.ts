// One logged-in vCenter session and the server-side objects vmtrace creates in it (container
// view, dedicated property collector with its filters, event collector). Everything created is
// destroyed in `close()`, which also logs out: orphaned sessions linger on vCenter for hours and
// enough of them lock every API client out.

import { readFile } from 'node:fs/promises';
import { VmtraceError, errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../log.js';
import { WATCHED_EVENTS } from './events.js';
import { VimFault } from './faults.js';
import { makeAgent } from './tls.js';
import { Transport } from './transport.js';
import { HOT_PROPERTIES, INVENTORY_PROPERTIES, INVENTORY_VIEW_TYPES, VM_PROPERTIES, VM_VIEW_TYPES } from './translate.js';
import { VimApi, mo, viewFilterSpec, type ServiceContent, type SoapMoRef } from './vim-api.js';

export interface VcenterConfig {
  /** facts carry it; unique across vCenters */
  name: string;
  url: string;
  username: string;
  passwordFile: string;
  thumbprint?: string | undefined;
  caFile?: string | undefined;
}

export interface VcenterTimeouts {
  /** every ordinary call */
  callMs: number;
  /** a page of the first sync (large) */
  syncMs: number;
  /** WaitForUpdatesEx maxWaitSeconds; the socket gets waitSlackMs more */
  waitSeconds: number;
  waitSlackMs: number;
  /** keep-alive period (CurrentTime) */
  keepaliveMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** after a refused login: slow, so retries cannot lock the shared service account (SSO locks after 5 failures in 3 min) */
  authBackoffMs: number;
  /** WaitForUpdatesEx maxObjectUpdates / RetrievePropertiesEx maxObjects */
  pageSize: number;
  /** the event collector's page (latestPage, re-sent whole on every new event: keep it small) */
  eventPageSize: number;
}

export const DEFAULT_TIMEOUTS: VcenterTimeouts = {
  callMs: 15_000,
  syncMs: 120_000,
  waitSeconds: 30,
  waitSlackMs: 10_000,
  keepaliveMs: 120_000,
  backoffMinMs: 1_000,
  backoffMaxMs: 60_000,
  authBackoffMs: 120_000,
  pageSize: 1_000,
  eventPageSize: 20,
};

export function urlOf(cfg: VcenterConfig): URL {
  let u: URL;
  try {
    u = new URL(cfg.url);
  } catch {
    throw new VmtraceError('CONFIG_INVALID', `vCenter ${cfg.name}: url ${cfg.url} is not a URL`);
  }
  if (u.protocol !== 'https:') throw new VmtraceError('CONFIG_INVALID', `vCenter ${cfg.name}: url must be https (got ${u.protocol})`);
  u.username = '';
  u.password = '';
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/sdk';
  return u;
}

export async function readPassword(cfg: VcenterConfig): Promise<string> {
  try {
    // one trailing newline is the file's, not the password's
    return (await readFile(cfg.passwordFile, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new VmtraceError('CONFIG_UNREADABLE', `vCenter ${cfg.name}: cannot read passwordFile ${cfg.passwordFile}: ${errorMessage(err)}`);
  }
}

export class Session {
  view: SoapMoRef | null = null;
  /** the dedicated property collectors: placement, VMs, inventory, then events */
  collectors: SoapMoRef[] = [];
  hotCollector: SoapMoRef | null = null;
  vmView: SoapMoRef | null = null;
  eventFilter: string | null = null;
  eventCollector: SoapMoRef | null = null;
  private loggedIn = false;
  private closed = false;

  private constructor(
    readonly cfg: VcenterConfig,
    readonly api: VimApi,
    readonly transport: Transport,
    readonly sc: ServiceContent,
    private readonly timeouts: VcenterTimeouts,
  ) {}

  /** Connect, read ServiceContent, log in. On any failure nothing is left open. */
  static async open(cfg: VcenterConfig, timeouts: VcenterTimeouts): Promise<Session> {
    const transport = new Transport(urlOf(cfg), makeAgent(cfg, cfg.name), cfg.name);
    let s: Session | null = null;
    try {
      const api = await VimApi.create(transport, cfg.name, timeouts.callMs);
      const sc = await api.retrieveServiceContent();
      s = new Session(cfg, api, transport, sc, timeouts);
      const password = await readPassword(cfg);
      await api.login(sc.sessionManager, cfg.username, password);
      s.loggedIn = true;
      return s;
    } catch (err) {
      transport.close();
      throw err;
    }
  }

  /** Two container views and three dedicated property collectors (see HOT_PROPERTIES). */
  async createInventoryFilter(): Promise<void> {
    const { api, sc } = this;
    this.vmView = await api.createContainerView(sc.viewManager, sc.rootFolder, VM_VIEW_TYPES);
    this.view = await api.createContainerView(sc.viewManager, sc.rootFolder, INVENTORY_VIEW_TYPES);
    for (const [view, props] of [
      [this.vmView, HOT_PROPERTIES],
      [this.vmView, VM_PROPERTIES],
      [this.view, INVENTORY_PROPERTIES],
    ] as const) {
      const pc = await api.createPropertyCollector(sc.propertyCollector);
      this.collectors.push(pc);
      await api.createFilter(pc, viewFilterSpec(view, props));
    }
    this.hotCollector = this.collectors[0]!;
  }

  /**
   * An event collector for the events we act on, watched (its latestPage) through a property
   * collector of its own. Events are hints: a start event that arrives after the VM has moved
   * is ignored (see Watcher.flushEvents).
   */
  async createEventFilter(): Promise<void> {
    if (!this.sc.eventManager) return;
    this.eventCollector = await this.api.createCollectorForEvents(this.sc.eventManager, WATCHED_EVENTS);
    await this.api.setCollectorPageSize(this.eventCollector, this.timeouts.eventPageSize);
    // its own property collector: an event must not make the placement stream return early
    const pc = await this.api.createPropertyCollector(this.sc.propertyCollector);
    this.collectors.push(pc);
    const f = await this.api.createFilter(pc, {
      propSet: [{ type: 'EventHistoryCollector', all: false, pathSet: ['latestPage'] }],
      objectSet: [{ obj: this.eventCollector, skip: false }],
    });
    this.eventFilter = f.$value;
  }

  /**
   * Destroy what we created and log out, each step bounded by the call timeout; failures are
   * expected here (the session may be gone already) and only logged. Returns 'orphaned' when
   * the session may still exist on vCenter but did not answer (frozen, unreachable): the
   * caller keeps it and calls `retryLogout()` later, before logging in again.
   */
  async close(log: Logger): Promise<'closed' | 'orphaned'> {
    if (this.closed) return 'closed';
    this.transport.abortAll();
    if (!this.loggedIn) return this.finish();
    const attempt = async (what: string, fn: () => Promise<void>): Promise<'ok' | 'gone' | 'silent'> => {
      try {
        await fn();
        return 'ok';
      } catch (err) {
        log.debug({ err: errorMessage(err) }, `vCenter cleanup: ${what} failed`);
        return sessionGone(err) ? 'gone' : err instanceof VimFault ? 'ok' : 'silent';
      }
    };
    // destroying a collector also destroys its filters; if the first shows the session is gone
    // (or vCenter is silent), the other steps would fare alike
    for (const [i, pc] of this.collectors.entries()) {
      const r = await attempt('DestroyPropertyCollector', () => this.api.destroyPropertyCollector(pc));
      if (i === 0 && r === 'gone') return this.finish();
      if (i === 0 && r === 'silent') return 'orphaned';
    }
    if (this.eventCollector) await attempt('DestroyCollector', () => this.api.destroyCollector(this.eventCollector!));
    if (this.view) await attempt('DestroyView', () => this.api.destroyView(this.view!));
    if (this.vmView) await attempt('DestroyView', () => this.api.destroyView(this.vmView!));
    return this.retryLogout(log);
  }

  /** Log out a session that did not answer before. 'closed' once it is certainly gone. */
  async retryLogout(log: Logger): Promise<'closed' | 'orphaned'> {
    if (this.closed) return 'closed';
    try {
      await this.api.logout(this.sc.sessionManager);
    } catch (err) {
      if (!sessionGone(err) && !(err instanceof VimFault)) {
        log.debug({ err: errorMessage(err) }, 'vCenter logout unanswered; will retry');
        return 'orphaned';
      }
    }
    return this.finish();
  }

  /** Give up on an orphan (too many, or stopping): close its sockets. */
  abandon(): void {
    this.finish();
  }

  private finish(): 'closed' {
    this.closed = true;
    this.transport.close();
    return 'closed';
  }
}

/** The fault vCenter gives for a session that no longer exists. */
function sessionGone(err: unknown): boolean {
  return err instanceof VimFault && err.fault === 'NotAuthenticated';
}

export { mo };
