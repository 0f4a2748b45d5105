// `vmtrace show summary|ports|neighbors|vms|vtep|events [--agent HOST[:PORT]] [--json]`:
// one agent's state, read over SNMP (VMTRACE-MIB). The JSON shape is documented in
// show-render.ts. Exit codes (DESIGN §1): 0 ok, 1 user error (bad flags, missing or rejected
// credentials), 2 agent unreachable, 3 internal (an agent that answers nonsense included).

import { parseArgs } from 'node:util';
import { errorMessage, exitCodeFor, VmtraceError } from '../../shared/errors.js';
import { SnmpAuthError, type ClientOptions } from '../../shared/snmp/client.js';
import { resolveCredentials, type AuthProtocol, type PrivProtocol, type V3Options } from '../../shared/snmp/credentials.js';
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

export const SHOW_USAGE = `usage: vmtrace show summary|ports|neighbors|vms|vtep|events [options]
  --agent HOST[:PORT]        the agent to read (default 127.0.0.1:16100)
  --json                     stable JSON instead of tables
  --community-file FILE      SNMPv2c community (0600 file); or set VMTRACE_SNMP_COMMUNITY
  --v3-user NAME             SNMPv3 authPriv instead, with:
  --v3-auth-key-file FILE      auth passphrase file (0600)
  --v3-priv-key-file FILE      privacy passphrase file (0600)
  --v3-auth sha256|sha1|sha224|sha384|sha512   (default sha256)
  --v3-priv aes128|aes256|aes256c              (default aes128)
  --timeout SECONDS          per request, one retry (default 1.5)
`;

/**
 * `vmtrace show …` from argv (the words after "show"): parses flags, runs showCommand.
 * Usage errors print one line plus the usage text to `err` and return 1.
 */
export async function showMain(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        agent: { type: 'string' },
        json: { type: 'boolean', default: false },
        'community-file': { type: 'string' },
        'v3-user': { type: 'string' },
        'v3-auth': { type: 'string' },
        'v3-auth-key-file': { type: 'string' },
        'v3-priv': { type: 'string' },
        'v3-priv-key-file': { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    err.write(`vmtrace show: ${errorMessage(e)}\n${SHOW_USAGE}`);
    return 1;
  }
  const v = parsed.values;
  if (v.help) {
    out.write(SHOW_USAGE);
    return 0;
  }
  const usage = (msg: string): number => {
    err.write(`vmtrace show: ${msg}\n${SHOW_USAGE}`);
    return 1;
  };
  const [what, ...extra] = parsed.positionals;
  if (what === undefined || !SHOW_WHAT.includes(what as ShowWhat)) return usage(what === undefined ? 'show what?' : `unknown subcommand "${what}"`);
  if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
  const opts: ShowOptions = { json: v.json, err, env };
  if (v.agent !== undefined) opts.agent = v.agent;
  if (v['community-file'] !== undefined) opts.communityFile = v['community-file'];
  if (v.timeout !== undefined) {
    const s = Number(v.timeout);
    if (!Number.isFinite(s) || s <= 0 || s > 60) return usage(`--timeout ${v.timeout}: give seconds, 0-60`);
    opts.timeoutMs = Math.round(s * 1000);
  }
  const v3Flags = ['v3-user', 'v3-auth', 'v3-auth-key-file', 'v3-priv', 'v3-priv-key-file'] as const;
  if (v3Flags.some((f) => v[f] !== undefined)) {
    if (v['v3-user'] === undefined || v['v3-auth-key-file'] === undefined || v['v3-priv-key-file'] === undefined) {
      return usage('SNMPv3 needs --v3-user, --v3-auth-key-file and --v3-priv-key-file');
    }
    opts.v3 = { user: v['v3-user'], authKeyFile: v['v3-auth-key-file'], privKeyFile: v['v3-priv-key-file'] };
    if (v['v3-auth'] !== undefined) opts.v3.auth = v['v3-auth'] as AuthProtocol;
    if (v['v3-priv'] !== undefined) opts.v3.priv = v['v3-priv'] as PrivProtocol;
  }
  return showCommand(what as ShowWhat, opts, out);
}
