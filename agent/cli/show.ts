// `vmtrace show summary|ports|neighbors|vms|vtep|events [--agent HOST[:PORT]] [--json]`:
// one agent's state, read over SNMP (VMTRACE-MIB). The JSON shape is documented in
// show-render.ts. Exit codes (DESIGN §1): 0 ok, 1 user error (bad flags, missing or rejected
// credentials), 2 agent unreachable, 3 internal (an agent that answers nonsense included).

import { errorMessage, exitCodeFor, VmtraceError } from '../../shared/errors.js';
import { SnmpAuthError, type ClientOptions } from '../../shared/snmp/client.js';
import { resolveCredentials, type V3Options } from '../../shared/snmp/credentials.js';
import { AgentReader } from '../../shared/snmp/reader.js';
import { parseAgentTarget } from '../../shared/snmp/target.js';
import { renderHuman, renderJson, SHOW_WHAT, type ShowResult, type ShowWhat } from './show-render.js';

export { SHOW_WHAT, type ShowWhat } from './show-render.js';

export interface ShowOptions {
  /** HOST[:PORT], default 127.0.0.1:16100 */
  agent?: string;
  json: boolean;
  /** a community given directly (the CLI passes VMTRACE_SNMP_COMMUNITY through env instead) */
  community?: string;
  /** file holding the v2c community (0600) */
  communityFile?: string;
  /** SNMPv3 authPriv; keys from files */
  v3?: V3Options;
  /** per-request timeout and retries; defaults 1500 ms, 1 retry */
  timeoutMs?: number;
  retries?: number;
  /** for tests: the clock used for "5m ago" (default Date.now) */
  now?: () => number;
  /** where the one-line error goes (default process.stderr) */
  err?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

export async function showCommand(what: ShowWhat, opts: ShowOptions, out: NodeJS.WritableStream): Promise<number> {
  const errOut = opts.err ?? process.stderr;
  let reader: AgentReader | undefined;
  try {
    if (!SHOW_WHAT.includes(what)) {
      throw new VmtraceError('USAGE', `show what? one of ${SHOW_WHAT.join(', ')} (got "${String(what)}")`);
    }
    const target = parseAgentTarget(opts.agent);
    const creds = resolveCredentials(opts, opts.env ?? process.env);
    const clientOpts: ClientOptions = {};
    if (opts.timeoutMs !== undefined) clientOpts.timeoutMs = opts.timeoutMs;
    if (opts.retries !== undefined) clientOpts.retries = opts.retries;
    reader = new AgentReader(target, creds, clientOpts);
    const result = await read(reader, what);
    out.write(opts.json ? renderJson(reader.agent, result) : renderHuman(result, (opts.now ?? Date.now)()));
    return 0;
  } catch (err) {
    errOut.write(`vmtrace show: ${errorMessage(err)}\n`);
    // Rejected v3 credentials are the operator's to fix, not an internal fault.
    if (err instanceof SnmpAuthError) return 1;
    return exitCodeFor(err);
  } finally {
    reader?.close();
  }
}

async function read(reader: AgentReader, what: ShowWhat): Promise<ShowResult> {
  switch (what) {
    case 'summary':
      return { what, summary: await reader.summary() };
    case 'ports':
      return { what, ports: await reader.ports() };
    case 'neighbors':
      return { what, neighbors: await reader.neighbors() };
    case 'vms': {
      const vms = await reader.vms();
      return { what, vms, vnics: await reader.vnics() };
    }
    case 'vtep':
      return { what, vteps: await reader.vteps() };
    case 'events':
      return { what, events: await reader.events() };
  }
}
