// Reading net-snmp tool output (`-On -Ox`: numeric OIDs, every string in hex) into a map, and
// the instances VMTRACE-MIB must hold for a ViewData, written from the MIB's column
// definitions independently of agent/snmp (it is the oracle the agent is checked against).

import { OIDS } from '../../shared/mib/oids.js';
import type { VlanId } from '../../shared/model.js';
import type { ViewData } from './snmp-view.js';

export interface Instance {
  type: 'INTEGER' | 'Gauge32' | 'Counter64' | 'STRING' | 'Timeticks' | 'OID' | 'Counter32';
  /** number as text, or lower-case hex for strings */
  value: string;
}

export function parseWalk(out: string): Map<string, Instance> {
  const map = new Map<string, Instance>();
  let last: { oid: string; inst: Instance } | null = null;
  for (const line of out.split('\n')) {
    const m = /^(\.[\d.]+) = (.*)$/.exec(line);
    if (!m) {
      // continuation of a multi-line Hex-STRING
      if (last && last.inst.type === 'STRING' && /^[0-9A-Fa-f ]+$/.test(line)) last.inst.value += line.replace(/\s+/g, '').toLowerCase();
      continue;
    }
    const oid = m[1]!.slice(1);
    const v = m[2]!;
    let inst: Instance;
    if (v === '""') inst = { type: 'STRING', value: '' };
    else if (v.startsWith('Hex-STRING: ')) inst = { type: 'STRING', value: v.slice(12).replace(/\s+/g, '').toLowerCase() };
    else if (v.startsWith('STRING: ')) inst = { type: 'STRING', value: Buffer.from(v.slice(8).replace(/^"|"$/g, '')).toString('hex') };
    else {
      const t = /^(\w+): (.*)$/.exec(v);
      if (!t) continue;
      const type = t[1] as Instance['type'];
      let value = t[2]!;
      if (type === 'Timeticks') value = /\((\d+)\)/.exec(value)?.[1] ?? value;
      inst = { type, value };
    }
    map.set(oid, inst);
    last = { oid, inst };
  }
  return map;
}

const hex = (s: string | null | undefined): string => Buffer.from(s ?? '', 'utf8').toString('hex');

function bitmapHex(vlans: VlanId[]): string {
  const b = Buffer.alloc(512);
  for (const v of vlans) if (v > 0 && v < 4095) b[v >> 3]! |= 0x80 >> (v & 7);
  return b.toString('hex');
}

function rangeText(vlans: VlanId[]): string {
  const s = [...new Set(vlans.filter((v) => v > 0 && v < 4095))].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

const I = (n: number): Instance => ({ type: 'INTEGER', value: String(n) });
const G = (n: number): Instance => ({ type: 'Gauge32', value: String(n) });
const C = (n: number): Instance => ({ type: 'Counter64', value: String(n) });
const S = (s: string | null | undefined): Instance => ({ type: 'STRING', value: hex(s) });
const H = (h: string): Instance => ({ type: 'STRING', value: h });
const secs = (ms: number | null): Instance => G(ms ? Math.floor(ms / 1000) : 0);
const vlanOr = (v: number | null): Instance => I(v ?? -1);

const PROTO: Record<string, number> = { lldp: 2, cdp: 3, pinned: 4 };
const VC_STATE: Record<string, number> = { connecting: 1, syncing: 2, synced: 3, disconnected: 4 };
const POWER: Record<string, number> = { poweredOn: 1, poweredOff: 2, suspended: 3 };
const PORT_STATE: Record<string, number> = { ok: 1, frozen: 2, limit: 3 };

/** Every instance of VMTRACE-MIB for `d`, keyed by dotted OID (no leading dot). */
export function expectedVmtrace(d: ViewData, snmpBadPackets = 0): Map<string, Instance> {
  const m = new Map<string, Instance>();
  const sc = (name: keyof typeof OIDS, v: Instance) => m.set(`${OIDS[name]}.0`, v);
  const s = d.summary;
  sc('vmtraceSwitchName', S(s.switchName));
  sc('vmtraceVersion', S(s.version));
  sc('vmtraceMode', I(s.mode === 'enforce' ? 1 : 2));
  sc('vmtraceStartTime', secs(s.startedAt));
  sc('vmtraceVcenterCount', G(s.vcenters.length));
  sc('vmtraceVcentersSynced', G(s.vcenters.filter((v) => v.state === 'synced').length));
  sc('vmtracePortCount', G(s.counts.ports));
  sc('vmtraceManagedPortCount', G(s.counts.managedPorts));
  sc('vmtraceHostCount', G(s.counts.hosts));
  sc('vmtraceVmCount', G(s.counts.vms));
  sc('vmtraceVnicCount', G(s.counts.vnics));
  sc('vmtraceNeighborCount', G(s.counts.neighbors));
  sc('vmtraceVlanAdds', C(s.counters.vlanAdds));
  sc('vmtraceVlanRemoves', C(s.counters.vlanRemoves));
  sc('vmtracePlansApplied', C(s.counters.plansApplied));
  sc('vmtracePlansRefused', C(s.counters.plansRefused));
  sc('vmtraceLimitRefusals', C(s.counters.limitRefusals));
  sc('vmtraceApplyErrors', C(s.counters.applyErrors));
  sc('vmtraceMalformedFrames', C(s.counters.malformedFrames));
  sc('vmtraceSnmpBadPackets', C(snmpBadPackets));
  sc('vmtraceLastChangeLatency', G(s.lastChangeLatencyMs ?? 0));
  sc('vmtraceAvgChangeLatency', G(s.avgChangeLatencyMs ?? 0));
  sc('vmtraceFrozen', I(s.frozen ? 1 : 2));
  sc('vmtraceFrozenReason', S(s.frozen ? s.frozenReason : ''));
  const row = (entry: keyof typeof OIDS, col: number, idx: number, v: Instance) => m.set(`${OIDS[entry]}.${col}.${idx}`, v);
  s.vcenters.forEach((v, k) => {
    row('vmtraceVcenterEntry', 2, k + 1, S(v.name));
    row('vmtraceVcenterEntry', 3, k + 1, I(VC_STATE[v.state]!));
    row('vmtraceVcenterEntry', 4, k + 1, secs(v.lastSync));
    row('vmtraceVcenterEntry', 5, k + 1, S(v.error ?? ''));
  });
  for (const p of d.ports) {
    const e = (c: number, v: Instance) => row('vmtracePortEntry', c, p.ifIndex, v);
    e(2, S(p.name));
    e(3, S(p.neighborHost));
    e(4, S(p.neighborNic));
    e(5, I(p.neighborProtocol ? PROTO[p.neighborProtocol]! : 1));
    e(6, I(p.managed ? 1 : 2));
    const sets: VlanId[][] = [p.vlans, p.staticVlans, p.dynamicVlans, p.ownedVlans, p.missingVlans, p.surplusVlans];
    sets.forEach((set, k) => {
      e(7 + 2 * k, H(bitmapHex(set)));
      e(8 + 2 * k, S(rangeText(set)));
    });
    e(19, I(PORT_STATE[p.state]!));
    e(20, S(p.state === 'ok' ? '' : p.reason));
    e(21, G(p.vlans.length));
    e(22, G(p.missingVlans.length));
    e(23, G(p.surplusVlans.length));
  }
  for (const v of d.vms) {
    const e = (c: number, x: Instance) => row('vmtraceVmEntry', c, v.index, x);
    e(2, S(v.name));
    e(3, S(v.vcenter));
    e(4, S(v.moid));
    e(5, S(v.uuid));
    e(6, I(POWER[v.powerState] ?? 4));
    e(7, S(v.host));
  }
  for (const n of d.vnics) {
    const e = (c: number, x: Instance) => row('vmtraceVnicEntry', c, n.index, x);
    e(2, I(n.vmIndex));
    e(3, S(n.vmName));
    e(4, H(n.mac.replace(/:/g, '')));
    e(5, S(n.portgroup));
    e(6, vlanOr(n.vlan));
    e(7, G(n.vni ?? 0));
    e(8, I(n.ifIndex ?? 0));
  }
  for (const v of d.vteps) {
    const e = (c: number, x: Instance) => row('vmtraceVtepEntry', c, v.index, x);
    e(2, G(v.vni));
    e(3, vlanOr(v.vlan));
    e(4, S(v.port));
    e(5, G(v.remoteMacs));
    e(6, S(v.remoteVteps.join(',')));
  }
  for (const ev of d.events) {
    const e = (c: number, x: Instance) => row('vmtraceEventEntry', c, ev.index, x);
    e(2, secs(ev.at));
    e(3, S(ev.kind));
    e(4, S(ev.port));
    e(5, vlanOr(ev.vlan));
    e(6, S(ev.message));
  }
  d.neighbors.forEach((n, k) => {
    const e = (c: number, x: Instance) => row('vmtraceNeighborEntry', c, k + 1, x);
    e(2, I(n.ifIndex));
    e(3, S(n.port));
    e(4, I(PROTO[n.protocol]!));
    e(5, S(n.chassisId));
    e(6, S(n.portId));
    e(7, S(n.sysName));
    e(8, S(n.sysDescr));
    e(9, S(n.mgmtAddresses.join(',')));
    e(10, G(n.ttl));
    e(11, S(n.host));
    e(12, S(n.nic));
  });
  return m;
}

/** Sorted like an SNMP walk. */
export function sortedOids(m: Map<string, Instance>): string[] {
  const cmp = (a: string, b: string) => {
    const x = a.split('.').map(Number);
    const y = b.split('.').map(Number);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };
  return [...m.keys()].sort(cmp);
}
