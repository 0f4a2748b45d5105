// The standalone SNMP agent (UDP) for switches without snmpd. Our own message layer rather
// than net-snmp's Agent: its Mib/provider layer walks tables by scanning (quadratic), its
// request path is not separable from that layer, and its USM keeps no time window and no
// usmStats. Here: v2c with per-community source prefixes, v3 USM authPriv (SHA-1/SHA-256,
// AES-128), read-only, every bad packet counted and dropped, nothing thrown out of the socket.

import dgram from 'node:dgram';
import { BlockList, isIPv6 } from 'node:net';
import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import { BerError, BerReader, encodeVarbind } from './ber.js';
import { badPackets, type SnmpCounters } from './counters.js';
import {
  decodeMessage,
  decodeScopedPdu,
  encodeCommunityMessage,
  encodePdu,
  encodeV3Message,
  FLAG_AUTH,
  FLAG_PRIV,
  FLAG_REPORTABLE,
  PDU,
  VERSION_2C,
  type Pdu,
  type V3Message,
} from './message.js';
import { answer } from './respond.js';
import type { OidTree } from './tree.js';
import { aesDecrypt, localizeUser, verifyDigest, type LocalizedUser, type UsmUserConfig } from './usm.js';
import { throttled } from './throttle.js';
import { T } from './varbind.js';

export interface CommunityConfig {
  community: string;
  /** source prefix, "192.0.2.0/24", "::1/128"; a bare address means /32 or /128 */
  from: string;
}

export interface UdpAgentConfig {
  host: string;
  port: number;
  communities: CommunityConfig[];
  users: UsmUserConfig[];
  engineId: Buffer;
}

const USM_STATS = [1, 3, 6, 1, 6, 3, 15, 1, 1];
const USM = {
  unsupportedSecLevels: 1,
  notInTimeWindows: 2,
  unknownUserNames: 3,
  unknownEngineIDs: 4,
  wrongDigests: 5,
  decryptionErrors: 6,
} as const;

/** Largest datagram we send; v3 requests may ask for less (msgMaxSize). */
const MAX_DATAGRAM = 65507;
/** Room for message headers around the varbinds (v3: security parameters, AES, digest). */
const OVERHEAD = 220;
const TIME_WINDOW_S = 150;

/** An engine id stable for a switch: RFC 3411 format 5 (octets) under net-snmp's enterprise. */
export function engineIdFor(name: string): Buffer {
  const hash = createHash('sha256').update(`vmtrace:${name}`).digest().subarray(0, 12);
  return Buffer.concat([Buffer.from([0x80, 0x00, 0x1f, 0x88, 0x05]), hash]);
}

export function parseListen(spec: string): { host: string; port: number } {
  const m = /^(?:udp6?:)?(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(spec.trim());
  if (!m) throw new RangeError(`SNMP listen address "${spec}" is not udp:HOST:PORT`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new RangeError(`SNMP listen port ${port} is out of range`);
  return { host: (m[1] ?? m[2])!, port };
}

interface CommunityRule {
  community: Buffer;
  allowed: BlockList;
}

function ruleFor(c: CommunityConfig): CommunityRule {
  const allowed = new BlockList();
  const [addr, bits] = c.from.split('/');
  const type = isIPv6(addr!) ? 'ipv6' : 'ipv4';
  const prefix = bits === undefined ? (type === 'ipv6' ? 128 : 32) : Number(bits);
  allowed.addSubnet(addr!, prefix, type);
  return { community: Buffer.from(c.community, 'utf8'), allowed };
}

export class UdpAgent {
  private socket: dgram.Socket | null = null;
  private readonly rules: CommunityRule[];
  private readonly users = new Map<string, LocalizedUser>();
  private readonly startMs = Date.now();
  private lastError = '';
  private readonly warnInternal = throttled(60_000, (suppressed) =>
    this.log.warn({ err: this.lastError, suppressed }, 'snmp: dropped a packet after an internal error'),
  );
  /** RFC 3414 wants boots to grow on every restart; without storage, the start second does. */
  private readonly boots = Math.max(1, Math.floor(Date.now() / 1000) - 1_700_000_000);

  constructor(
    private readonly cfg: UdpAgentConfig,
    private readonly tree: () => OidTree,
    private readonly counters: SnmpCounters,
    private readonly log: Logger,
  ) {
    this.rules = cfg.communities.map(ruleFor);
    for (const u of cfg.users) this.users.set(u.name, localizeUser(u, cfg.engineId));
  }

  get address(): { address: string; port: number } | null {
    const a = this.socket?.address();
    return a ? { address: a.address, port: a.port } : null;
  }

  private engineTime(): number {
    return Math.floor((Date.now() - this.startMs) / 1000);
  }

  start(): Promise<void> {
    const type = isIPv6(this.cfg.host) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, recvBufferSize: 1 << 20 });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      try {
        this.onPacket(msg, rinfo);
      } catch (err) {
        // Last line of defence: a bug in answering one packet must not stop the agent.
        this.counters.silentDrops++;
        this.lastError = String(err);
        this.warnInternal();
      }
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.cfg.port, this.cfg.host, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.log.warn({ err: err.message }, 'snmp: socket error'));
        this.log.info({ address: `${this.cfg.host}:${this.address?.port}` }, 'snmp: standalone agent listening');
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => s.close(() => resolve()));
  }

  /** Bad packets so far (served as vmtraceSnmpBadPackets). */
  badPackets(): number {
    return badPackets(this.counters);
  }

  private send(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.socket || buf.length > MAX_DATAGRAM) return;
    this.counters.outPkts++;
    this.socket.send(buf, rinfo.port, rinfo.address);
  }

  private onPacket(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    this.counters.inPkts++;
    let msg;
    try {
      msg = decodeMessage(buf);
    } catch (err) {
      if (err instanceof BerError && /unknown SNMP version/.test(err.message)) this.counters.inBadVersions++;
      else this.counters.inASNParseErrs++;
      return;
    }
    if (msg.version === 3) return this.onV3(msg, buf, rinfo);
    if (msg.version !== VERSION_2C) {
      this.counters.inBadVersions++;
      return;
    }
    const rule = this.rules.find((r) => r.community.equals(msg.community));
    if (!rule) {
      this.counters.inBadCommunityNames++;
      return;
    }
    const family = rinfo.family === 'IPv6' ? 'ipv6' : 'ipv4';
    if (!rule.allowed.check(rinfo.address, family)) {
      this.counters.inBadCommunityUses++;
      return;
    }
    const pdu = msg.pdu;
    if (!this.isRequest(pdu)) return;
    const a = answer(pdu, this.tree(), MAX_DATAGRAM - OVERHEAD - msg.community.length);
    const out = encodeCommunityMessage(VERSION_2C, msg.community, encodePdu(PDU.Response, pdu.requestId, a.errorStatus, a.errorIndex, a.varbinds));
    this.send(out, rinfo);
  }

  private isRequest(pdu: Pdu): boolean {
    if (pdu.tag === PDU.Set) this.counters.setRequestsRefused++;
    if (pdu.tag === PDU.Get || pdu.tag === PDU.GetNext || pdu.tag === PDU.GetBulk || pdu.tag === PDU.Set) return true;
    this.counters.silentDrops++;
    return false;
  }

  private report(m: V3Message, rinfo: dgram.RemoteInfo, stat: number, count: number, user: LocalizedUser | null, requestId = 0): void {
    if (!(m.flags & FLAG_REPORTABLE)) return;
    const vb = encodeVarbind({ oid: [...USM_STATS, stat, 0], type: T.Counter32, value: count });
    const pdu = encodePdu(PDU.Report, requestId, 0, 0, [vb]);
    const out = encodeV3Message({
      msgId: m.msgId,
      flags: user ? FLAG_AUTH : 0,
      engineId: this.cfg.engineId,
      boots: this.boots,
      time: this.engineTime(),
      userName: user ? m.userName : Buffer.alloc(0),
      user,
      contextEngineId: this.cfg.engineId,
      contextName: Buffer.alloc(0),
      pdu,
    });
    this.send(out, rinfo);
  }

  private onV3(m: V3Message, buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const c = this.counters;
    if (m.securityModel !== 3) {
      c.silentDrops++;
      return;
    }
    const plainId = m.scoped?.pdu.requestId ?? 0;
    if (!m.engineId.equals(this.cfg.engineId)) {
      c.usmUnknownEngineIDs++;
      return this.report(m, rinfo, USM.unknownEngineIDs, c.usmUnknownEngineIDs, null, plainId);
    }
    const user = this.users.get(m.userName.toString('utf8'));
    if (!user) {
      c.usmUnknownUserNames++;
      return this.report(m, rinfo, USM.unknownUserNames, c.usmUnknownUserNames, null, plainId);
    }
    if ((m.flags & (FLAG_AUTH | FLAG_PRIV)) !== (FLAG_AUTH | FLAG_PRIV)) {
      c.usmUnsupportedSecLevels++;
      return this.report(m, rinfo, USM.unsupportedSecLevels, c.usmUnsupportedSecLevels, null, plainId);
    }
    if (m.authParams.length !== (user.auth === 'sha1' ? 12 : 24) || !verifyDigest(user.auth, user.authKey, buf, m.authOffset)) {
      c.usmWrongDigests++;
      return this.report(m, rinfo, USM.wrongDigests, c.usmWrongDigests, null);
    }
    const now = this.engineTime();
    if (m.boots !== this.boots || Math.abs(m.time - now) > TIME_WINDOW_S) {
      c.usmNotInTimeWindows++;
      return this.report(m, rinfo, USM.notInTimeWindows, c.usmNotInTimeWindows, user);
    }
    let pdu: Pdu;
    try {
      const plain = aesDecrypt(user.privKey, m.boots, m.time, m.privParams, m.encrypted!);
      pdu = decodeScopedPdu(new BerReader(plain)).pdu;
    } catch {
      c.usmDecryptionErrors++;
      return this.report(m, rinfo, USM.decryptionErrors, c.usmDecryptionErrors, null);
    }
    if (!this.isRequest(pdu)) return;
    const budget = Math.min(MAX_DATAGRAM, Math.max(484, m.maxSize)) - OVERHEAD - user.name.length;
    const a = answer(pdu, this.tree(), budget);
    const out = encodeV3Message({
      msgId: m.msgId,
      flags: FLAG_AUTH | FLAG_PRIV,
      engineId: this.cfg.engineId,
      boots: this.boots,
      time: this.engineTime(),
      userName: m.userName,
      user,
      contextEngineId: this.cfg.engineId,
      contextName: Buffer.alloc(0),
      pdu: encodePdu(PDU.Response, pdu.requestId, a.errorStatus, a.errorIndex, a.varbinds),
    });
    this.send(out, rinfo);
  }
}
