// Notifications of VMTRACE-MIB to the configured targets: v2c traps or informs, v3 authPriv
// traps (our engine is authoritative, so the receiver needs our engine id, which the agent
// logs at start) or v3 informs (the receiver is authoritative: its engine is discovered first
// and the user's keys are localised to it), rate-limited by a token bucket so that a vMotion storm cannot flood a
// trap receiver; what the bucket refuses is counted, never queued without bound.

import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { ENUMS, oidArray, type VmtraceName } from '../../shared/mib/oids.js';
import type { Logger } from '../log.js';
import { encodeVarbind } from './ber.js';
import type { SnmpCounters } from './counters.js';
import { decodeMessage, encodeCommunityMessage, encodePdu, encodeV3Message, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, PDU, VERSION_2C, type Message, type V3Message } from './message.js';
import { localizeUser, type LocalizedUser, type UsmUserConfig } from './usm.js';
import { T, type Varbind } from './varbind.js';

export type NotificationKind = 'vlanAdded' | 'vlanRemoved' | 'vcenterStateChange' | 'guardTripped' | 'limitReached';

export interface NotificationFields {
  ifIndex?: number;
  port?: string;
  vlan?: number | null;
  reason?: string;
  vcenter?: string;
  state?: 'connecting' | 'syncing' | 'synced' | 'disconnected';
  /** guardTripped: removals in the refused plan */
  count?: number;
}

export interface TrapTarget {
  /** "udp:HOST:PORT" (port defaults to 162) */
  target: string;
  /** v2c */
  community?: string;
  /** v3 authPriv (takes precedence over community) */
  user?: UsmUserConfig;
  /** send an InformRequest and retry until acknowledged (v2c, or v3 after engine discovery) */
  inform?: boolean;
}

export interface RateLimit {
  /** burst size */
  burst: number;
  /** notifications per second, sustained */
  perSecond: number;
}

const KIND_OID: Record<NotificationKind, VmtraceName> = {
  vlanAdded: 'vmtraceVlanAdded',
  vlanRemoved: 'vmtraceVlanRemoved',
  vcenterStateChange: 'vmtraceVcenterStateChange',
  guardTripped: 'vmtraceGuardTripped',
  limitReached: 'vmtraceLimitReached',
};

const SYS_UPTIME = [1, 3, 6, 1, 2, 1, 1, 3, 0];
const SNMP_TRAP_OID = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];

function text(s: string | undefined | null): Buffer {
  const b = Buffer.from(s ?? '', 'utf8');
  return b.length <= 255 ? b : b.subarray(0, 255);
}

/** The varbinds of one notification, objects in the order the MIB's OBJECTS clause lists them. */
export function notificationVarbinds(kind: NotificationKind, f: NotificationFields, uptimeCs: number): Varbind[] {
  const obj = (name: VmtraceName, type: number, value: Varbind['value']): Varbind => ({ oid: [...oidArray(name), 0], type, value });
  const port = [
    obj('vmtraceNotifIfIndex', T.Integer, Math.max(0, f.ifIndex ?? 0)),
    obj('vmtraceNotifPort', T.OctetString, text(f.port)),
    obj('vmtraceNotifVlan', T.Integer, f.vlan ?? -1),
    obj('vmtraceNotifReason', T.OctetString, text(f.reason)),
  ];
  let objects: Varbind[];
  switch (kind) {
    case 'vcenterStateChange':
      objects = [
        obj('vmtraceNotifVcenter', T.OctetString, text(f.vcenter)),
        obj('vmtraceNotifVcenterState', T.Integer, ENUMS.vmtraceNotifVcenterState[f.state ?? 'disconnected']),
        obj('vmtraceNotifReason', T.OctetString, text(f.reason)),
      ];
      break;
    case 'guardTripped':
      objects = [obj('vmtraceNotifCount', T.Gauge32, Math.max(0, f.count ?? 0)), obj('vmtraceNotifReason', T.OctetString, text(f.reason))];
      break;
    default:
      objects = port;
  }
  return [
    { oid: SYS_UPTIME, type: T.TimeTicks, value: uptimeCs >>> 0 },
    { oid: SNMP_TRAP_OID, type: T.ObjectIdentifier, value: oidArray(KIND_OID[kind]) },
    ...objects,
  ];
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit.burst;
    this.last = now();
  }
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((t - this.last) / 1000) * this.limit.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface ResolvedTarget {
  host: string;
  port: number;
  community: Buffer | null;
  /** keys localised to our engine (v3 traps) */
  user: LocalizedUser | null;
  userConfig: UsmUserConfig | null;
  inform: boolean;
  label: string;
  /** v3 informs: the receiver's engine, learned by discovery */
  remote?: { engineId: Buffer; boots: number; time: number; at: number; user: LocalizedUser };
}

export function parseTrapTarget(spec: string): { host: string; port: number } {
  const m = /^(?:udp6?:)?(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new RangeError(`trap target "${spec}" is not udp:HOST[:PORT]`);
  return { host: (m[1] ?? m[2])!, port: m[3] ? Number(m[3]) : 162 };
}

export class Notifier {
  private readonly targets: ResolvedTarget[];
  private readonly bucket: TokenBucket;
  private socket4: dgram.Socket | null = null;
  private socket6: dgram.Socket | null = null;
  private readonly startMs = Date.now();
  private readonly boots = Math.max(1, Math.floor(Date.now() / 1000) - 1_700_000_000);
  private readonly informs = new Map<number, { resolve: (m: Message) => void }>();
  private closed = false;

  constructor(
    targets: TrapTarget[],
    private readonly engineId: Buffer,
    private readonly counters: SnmpCounters,
    private readonly log: Logger,
    limit: RateLimit = { burst: 20, perSecond: 5 },
  ) {
    this.bucket = new TokenBucket(limit);
    this.targets = targets.map((t) => {
      const { host, port } = parseTrapTarget(t.target);
      return {
        host,
        port,
        community: t.user ? null : Buffer.from(t.community ?? '', 'utf8'),
        user: t.user && !t.inform ? localizeUser(t.user, engineId) : null,
        userConfig: t.user ?? null,
        inform: t.inform === true,
        label: t.target,
      };
    });
  }

  private socketFor(host: string): dgram.Socket {
    const v6 = isIPv6(host);
    let s = v6 ? this.socket6 : this.socket4;
    if (!s) {
      s = dgram.createSocket(v6 ? 'udp6' : 'udp4');
      s.on('error', (err) => this.log.warn({ err: err.message }, 'snmp: notification socket error'));
      s.on('message', (msg) => this.onAck(msg));
      s.unref();
      if (v6) this.socket6 = s;
      else this.socket4 = s;
    }
    return s;
  }

  private onAck(msg: Buffer): void {
    try {
      const m = decodeMessage(msg);
      if (m.version === VERSION_2C) {
        if (m.pdu.tag === PDU.Response) this.informs.get(m.pdu.requestId)?.resolve(m);
      } else if (m.version === 3) {
        this.informs.get(m.msgId)?.resolve(m);
      }
    } catch {
      // not ours
    }
  }

  /** Sends `kind` to every target unless the rate limit says no. Never throws, never blocks. */
  notify(kind: NotificationKind, fields: NotificationFields = {}): void {
    if (this.closed || this.targets.length === 0) return;
    if (!this.bucket.take()) {
      this.counters.notificationsDropped++;
      return;
    }
    const vbs = notificationVarbinds(kind, fields, Math.floor((Date.now() - this.startMs) / 10)).map(encodeVarbind);
    for (const t of this.targets) {
      try {
        this.sendTo(t, vbs);
      } catch (err) {
        this.counters.notificationErrors++;
        this.log.warn({ target: t.label, err: (err as Error).message }, 'snmp: notification not sent');
      }
    }
  }

  private sendTo(t: ResolvedTarget, vbs: Buffer[]): void {
    const id = randomInt(1, 0x7fffffff);
    const socket = this.socketFor(t.host);
    if (t.userConfig && t.inform) {
      void this.informV3(t, vbs, socket);
      return;
    }
    if (t.user) {
      const out = encodeV3Message({
        msgId: id,
        flags: FLAG_AUTH | FLAG_PRIV,
        engineId: this.engineId,
        boots: this.boots,
        time: Math.floor((Date.now() - this.startMs) / 1000),
        userName: Buffer.from(t.user.name, 'utf8'),
        user: t.user,
        contextEngineId: this.engineId,
        contextName: Buffer.alloc(0),
        pdu: encodePdu(PDU.TrapV2, id, 0, 0, vbs),
      });
      socket.send(out, t.port, t.host);
      this.counters.notificationsSent++;
      return;
    }
    const out = encodeCommunityMessage(VERSION_2C, t.community!, encodePdu(t.inform ? PDU.Inform : PDU.TrapV2, id, 0, 0, vbs));
    if (!t.inform) {
      socket.send(out, t.port, t.host);
      this.counters.notificationsSent++;
      return;
    }
    void this.exchange(t, socket, id, () => out).then((ack) => this.settle(t, ack !== null));
  }

  private settle(t: ResolvedTarget, acked: boolean): void {
    if (this.closed) return;
    if (acked) this.counters.notificationsSent++;
    else {
      this.counters.notificationErrors++;
      this.log.warn({ target: t.label }, 'snmp: inform not acknowledged');
    }
  }

  /** Sends `build()` until a message with `key` (request id or msgID) comes back: 3 tries, 1 s apart. */
  private exchange(t: ResolvedTarget, socket: dgram.Socket, key: number, build: () => Buffer): Promise<Message | null> {
    return new Promise((resolve) => {
      let tries = 0;
      let timer: NodeJS.Timeout | undefined;
      const attempt = (): void => {
        if (this.closed || tries++ >= 3) {
          this.informs.delete(key);
          resolve(null);
          return;
        }
        socket.send(build(), t.port, t.host);
        timer = setTimeout(attempt, 1000);
        timer.unref();
      };
      this.informs.set(key, {
        resolve: (m) => {
          if (timer) clearTimeout(timer);
          this.informs.delete(key);
          resolve(m);
        },
      });
      attempt();
    });
  }

  /** RFC 3414 discovery: an empty noAuth request; the receiver's Report names its engine. */
  private async discover(t: ResolvedTarget, socket: dgram.Socket): Promise<boolean> {
    const msgId = randomInt(1, 0x7fffffff);
    const probe = encodeV3Message({
      msgId, flags: FLAG_REPORTABLE, engineId: Buffer.alloc(0), boots: 0, time: 0, userName: Buffer.alloc(0), user: null,
      contextEngineId: Buffer.alloc(0), contextName: Buffer.alloc(0), pdu: encodePdu(PDU.Get, msgId, 0, 0, []),
    });
    const m = (await this.exchange(t, socket, msgId, () => probe)) as V3Message | null;
    if (!m || m.version !== 3 || m.engineId.length === 0) return false;
    if (!t.remote || !t.remote.engineId.equals(m.engineId)) {
      t.remote = { engineId: Buffer.from(m.engineId), boots: m.boots, time: m.time, at: Date.now(), user: localizeUser(t.userConfig!, m.engineId) };
    } else Object.assign(t.remote, { boots: m.boots, time: m.time, at: Date.now() });
    return true;
  }

  private async informV3(t: ResolvedTarget, vbs: Buffer[], socket: dgram.Socket): Promise<void> {
    for (let round = 0; round < 2; round++) {
      if (!t.remote && !(await this.discover(t, socket))) break;
      const r = t.remote!;
      const msgId = randomInt(1, 0x7fffffff);
      const build = () =>
        encodeV3Message({
          msgId, flags: FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE, engineId: r.engineId, boots: r.boots,
          time: r.time + Math.floor((Date.now() - r.at) / 1000), userName: Buffer.from(r.user.name, 'utf8'), user: r.user,
          contextEngineId: this.engineId, contextName: Buffer.alloc(0), pdu: encodePdu(PDU.Inform, msgId, 0, 0, vbs),
        });
      const ack = (await this.exchange(t, socket, msgId, build)) as V3Message | null;
      // an encrypted answer is the Response; a plaintext one is a Report (time window,
      // unknown engine after a receiver restart): learn again and retry once
      if (ack && ack.encrypted) return this.settle(t, true);
      t.remote = undefined;
      if (!ack) break;
    }
    this.settle(t, false);
  }

  close(): void {
    this.closed = true;
    this.informs.clear();
    this.socket4?.close();
    this.socket6?.close();
    this.socket4 = this.socket6 = null;
  }
}
