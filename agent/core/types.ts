// What the core needs to know of the operator's config (normalised by agent/config), and the
// ownership ledger it keeps per port. Plain data.

import type { VlanId, VlanRange } from '../../shared/model.js';

export interface PinnedNeighbor {
  /** vCenter host name (FQDN or short) */
  host: string;
  nics: string[];
}

export interface PortPolicy {
  staticVlans: VlanId[];
  maxVlans: number;
  pruneHoldDownMs: number;
  /** VLANs present at first sight count as owned (static and protected aside) */
  adopt: boolean;
  neighbor: PinnedNeighbor | null;
}

export interface NetworkMapping {
  /** portgroup name or glob */
  pattern: string;
  vlan: VlanId;
}

export interface OverlayPolicy {
  sourceIp: string;
  hostVtepPortgroup: string;
  networks: { portgroup: string; vni: number }[];
}

export interface Policy {
  switchName: string;
  mode: 'enforce' | 'dry-run';
  /** opt-in port globs */
  include: string[];
  defaults: PortPolicy;
  /** per port name; fields left out fall back to defaults */
  overrides: Record<string, Partial<PortPolicy>>;
  networks: {
    default: 'portgroup' | 'ignore';
    map: NetworkMapping[];
    ignore: string[];
  };
  allowedVlans: VlanRange[];
  protectedVlans: VlanId[];
  maxRemovalsPerPlan: number;
  maxVlanMembers: number;
  /** vCenter names that must be synced before any removal (rule 4) */
  vcenters: string[];
  overlay: OverlayPolicy | null;
}

/** Ownership ledger entry for one port (rule 3), persisted by the store. */
export interface PortRecord {
  port: string;
  /** ms since epoch vmtrace first saw the port */
  firstSeenAt: number;
  /** VLANs on the port when vmtrace first saw it: never removed unless `adopt` */
  initialVlans: VlanId[];
  /** VLANs vmtrace added (or adopted): the only ones it may remove */
  owned: VlanId[];
  /** hold-down timers (rule 2): VLAN → ms since epoch it stopped being needed */
  unneededSince: Record<number, number>;
}
