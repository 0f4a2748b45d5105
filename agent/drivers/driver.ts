// The one contract every switch driver keeps (NAPALM style): documented here, proven by
// test/contract/driver.contract.ts against each implementation.

import type { DevicePort, PortChange, VtepState } from '../../shared/model.js';

export interface Driver {
  /** `ovsdb`, `dry-run`, … */
  readonly kind: string;

  /**
   * Connects and checks the device is usable (OVSDB: the bridge exists).
   * Throws VmtraceError OVSDB_UNREACHABLE (transient) or OVSDB_BRIDGE_MISSING (operator must act).
   */
  open(): Promise<void>;

  /** Closes sockets; idempotent. */
  close(): Promise<void>;

  /** Every port of the switch (opted in or not), read from the device now. */
  ports(): Promise<DevicePort[]>;

  /**
   * Applies VLAN adds/removes to trunks in one device transaction where the device allows.
   * Changes are deltas (insert/delete), never a rewrite of the whole set, so an operator's
   * concurrent edit of other VLANs survives. A transaction that would leave a trunk empty
   * (OVS: empty = all VLANs, DESIGN rule 8) is refused whole (VmtraceError OVSDB_CONFLICT).
   * A port that vanished fails the whole transaction (OVSDB_CONFLICT), nothing applied.
   */
  apply(changes: PortChange[]): Promise<void>;

  /**
   * Calls `listener` with the names of ports whose VLAN configuration changed on the device
   * (by anyone, us included), and with `null` after a reconnect (everything may have changed).
   * Returns an unsubscribe function.
   */
  observe(listener: (ports: string[] | null) => void): () => void;

  /** Connection state changes (reconnects happen inside the driver, with backoff). */
  onConnection(listener: (up: boolean, error?: Error) => void): () => void;

  /** hardware_vtep, when the device has one. */
  readonly vtep: VtepDriver | null;
}

export interface VtepDiff {
  add: VtepState;
  remove: VtepState;
}

export interface VtepDriver {
  /**
   * The device's bindings, remote MACs (lower case) and unknown-dst flood lists, sorted, read
   * now. Only logical switches with a tunnel key (VNI) are shown.
   */
  read(): Promise<VtepState>;

  /**
   * Applies a diff in one device transaction, removals before adds; nothing applied on error.
   * One binding per (port, VLAN): binding a VLAN bound to another VNI, or an unknown port, is
   * refused whole (OVSDB_CONFLICT). One location per (VNI, MAC): adding a MAC at another VTEP
   * moves it. A removal only takes what still matches (same VNI / same VTEP), so removals are
   * idempotent and never take an entry someone re-pointed meanwhile. Flood lists change by
   * the VTEPs named. Missing logical switches (tunnel key = VNI) are created.
   */
  apply(diff: VtepDiff): Promise<void>;
}
