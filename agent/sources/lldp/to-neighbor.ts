// A decoded LLDP or CDP frame as a domain Neighbor (shared/model.ts). CDP is mapped the way
// lldpd maps it, so our LLDP-MIB rows for a CDP neighbour match lldpd's: chassis id = Device-ID
// (subtype 7, local), port id subtype 5 (interface name), sysDescr "<platform> running on\n<version>",
// capabilities from the CDP capability word, management addresses with an unknown interface.

import type { Neighbor, NeighborMgmtAddress } from '../../../shared/model.js';
import type { CdpFrame } from './cdp-decode.js';
import type { LldpFrame } from './lldp-types.js';
import { hex } from './reader.js';

/** What a frame says; the table adds lastSeen / lastChange / remIndex. */
export type NeighborContent = Omit<Neighbor, 'lastSeen' | 'lastChange' | 'remIndex'>;

export function lldpNeighbor(iface: string, f: LldpFrame): NeighborContent {
  return {
    iface,
    protocol: 'lldp',
    chassisId: f.chassisId.id,
    chassisIdSubtype: f.chassisId.subtype,
    chassisIdRaw: f.chassisId.raw,
    portId: f.portId.id,
    portIdSubtype: f.portId.subtype,
    portIdRaw: f.portId.raw,
    sysName: f.sysName,
    sysDescr: f.sysDescr,
    portDescr: f.portDescr,
    mgmtAddresses: f.mgmtAddresses.map((m) => m.address),
    mgmt: f.mgmtAddresses.map((m) => ({ ...m })),
    capabilities: f.capabilities ? { ...f.capabilities } : null,
    ttl: f.ttl,
    cdp: null,
  };
}

// CDP capability word → 802.1AB bits (lldpd cdp.c)
const CDP_ROUTER = 0x01;
const CDP_TB_BRIDGE = 0x02;
const CDP_SR_BRIDGE = 0x04;
const CDP_SWITCH = 0x08;
const CDP_HOST = 0x10;
const CDP_REPEATER = 0x40;
const CDP_PHONE = 0x80;

export function cdpCapabilities(word: number): number {
  let c = 0;
  if (word & CDP_ROUTER) c |= 0x10;
  if (word & (CDP_TB_BRIDGE | CDP_SR_BRIDGE | CDP_SWITCH)) c |= 0x04;
  if (word & CDP_HOST) c |= 0x80;
  if (word & CDP_REPEATER) c |= 0x02;
  if (word & CDP_PHONE) c |= 0x20;
  return c;
}

const enc = new TextEncoder();

export function cdpNeighbor(iface: string, f: CdpFrame): NeighborContent {
  const deviceId = f.deviceId ?? '';
  const portId = f.portId ?? '';
  const seen = new Set<string>();
  const mgmt: NeighborMgmtAddress[] = [];
  for (const a of [...f.addresses, ...f.mgmtAddresses]) {
    if (a.family === 'other' || seen.has(a.address)) continue;
    seen.add(a.address);
    mgmt.push({ family: a.family === 'ipv4' ? 1 : 2, address: a.address, raw: a.raw, ifSubtype: 1, ifId: 0, oid: '' });
  }
  const caps = f.capabilities === null ? null : cdpCapabilities(f.capabilities);
  let sysDescr: string | null = null;
  if (f.platform !== null && f.softwareVersion !== null) sysDescr = `${f.platform} running on\n${f.softwareVersion}`;
  else sysDescr = f.softwareVersion ?? f.platform;
  return {
    iface,
    protocol: 'cdp',
    chassisId: deviceId,
    chassisIdSubtype: 7,
    chassisIdRaw: hex(enc.encode(deviceId)),
    portId,
    portIdSubtype: 5,
    portIdRaw: hex(enc.encode(portId)),
    sysName: deviceId || null,
    sysDescr,
    portDescr: portId || null,
    mgmtAddresses: mgmt.map((m) => m.address),
    mgmt,
    capabilities: caps === null ? null : { supported: caps, enabled: caps },
    ttl: f.ttl,
    cdp: {
      deviceId,
      platform: f.platform,
      softwareVersion: f.softwareVersion,
      nativeVlan: f.nativeVlan,
      duplex: f.duplex,
      vtpDomain: f.vtpDomain,
      capabilities: f.capabilities,
    },
  };
}
