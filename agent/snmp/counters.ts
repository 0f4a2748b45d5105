// Counters of the SNMP side, named after the standard objects they mirror (SNMPv2-MIB snmp
// group, SNMP-USER-BASED-SM-MIB usmStats), plus ours for AgentX and notifications.

export interface SnmpCounters {
  inPkts: number;
  outPkts: number;
  inBadVersions: number;
  inBadCommunityNames: number;
  inBadCommunityUses: number;
  inASNParseErrs: number;
  silentDrops: number;
  setRequestsRefused: number;
  usmUnsupportedSecLevels: number;
  usmNotInTimeWindows: number;
  usmUnknownUserNames: number;
  usmUnknownEngineIDs: number;
  usmWrongDigests: number;
  usmDecryptionErrors: number;
  agentxConnects: number;
  agentxDisconnects: number;
  agentxRequests: number;
  agentxParseErrors: number;
  notificationsSent: number;
  notificationsDropped: number;
  notificationErrors: number;
  /** tables the state view failed to produce (served empty) */
  viewErrors: number;
}

export function newCounters(): SnmpCounters {
  return {
    inPkts: 0,
    outPkts: 0,
    inBadVersions: 0,
    inBadCommunityNames: 0,
    inBadCommunityUses: 0,
    inASNParseErrs: 0,
    silentDrops: 0,
    setRequestsRefused: 0,
    usmUnsupportedSecLevels: 0,
    usmNotInTimeWindows: 0,
    usmUnknownUserNames: 0,
    usmUnknownEngineIDs: 0,
    usmWrongDigests: 0,
    usmDecryptionErrors: 0,
    agentxConnects: 0,
    agentxDisconnects: 0,
    agentxRequests: 0,
    agentxParseErrors: 0,
    notificationsSent: 0,
    notificationsDropped: 0,
    notificationErrors: 0,
    viewErrors: 0,
  };
}

/**
 * Packets dropped as bad: undecodable, wrong version, unknown community or user, wrong
 * source, failed digest or decryption (VMTRACE-MIB vmtraceSnmpBadPackets). Discovery and
 * time-window reports are normal v3 traffic and not counted.
 */
export function badPackets(c: SnmpCounters): number {
  return (
    c.inBadVersions +
    c.inBadCommunityNames +
    c.inBadCommunityUses +
    c.inASNParseErrs +
    c.usmUnsupportedSecLevels +
    c.usmUnknownUserNames +
    c.usmWrongDigests +
    c.usmDecryptionErrors +
    c.agentxParseErrors
  );
}
