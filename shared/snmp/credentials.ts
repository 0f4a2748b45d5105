// Who the reader is to the agent: a v2c community or a v3 USM user (authPriv only), with every
// secret read from a file (or, for the community, the environment). There is no default
// community: an operator who never configured one gets a usage error, not a silent "public".

import { readFileSync, statSync } from 'node:fs';
import { VmtraceError } from '../errors.js';

/** 'sha1' is the agent config's name for SHA-1; 'sha' the same, as net-snmp tools call it. */
export type AuthProtocol = 'sha' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export type PrivProtocol = 'aes128' | 'aes256' | 'aes256c';

export const AUTH_PROTOCOLS: readonly AuthProtocol[] = ['sha', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
export const PRIV_PROTOCOLS: readonly PrivProtocol[] = ['aes128', 'aes256', 'aes256c'];

export type SnmpCredentials =
  | { version: '2c'; community: string }
  | { version: '3'; user: string; auth: AuthProtocol; authKey: string; priv: PrivProtocol; privKey: string };

/** What the CLI gathers from flags; file paths, never secrets on the command line. */
export interface V3Options {
  user: string;
  auth?: AuthProtocol;
  authKeyFile: string;
  priv?: PrivProtocol;
  privKeyFile: string;
}

export interface CredentialOptions {
  community?: string;
  communityFile?: string;
  v3?: V3Options;
}

/**
 * Resolves credentials: v3 when asked for; else the community from `--community-file`, a
 * `--community` value, or `VMTRACE_SNMP_COMMUNITY`, in that order.
 */
export function resolveCredentials(opts: CredentialOptions, env: NodeJS.ProcessEnv = process.env): SnmpCredentials {
  if (opts.v3) {
    if (opts.community !== undefined || opts.communityFile !== undefined) {
      throw new VmtraceError('USAGE', 'give either a v3 user or a community, not both');
    }
    const v3 = opts.v3;
    if (!v3.user) throw new VmtraceError('USAGE', 'SNMPv3 needs a user name');
    const auth = v3.auth ?? 'sha256';
    const priv = v3.priv ?? 'aes128';
    if (!AUTH_PROTOCOLS.includes(auth)) {
      throw new VmtraceError('USAGE', `unknown SNMPv3 auth protocol "${auth}" (one of ${AUTH_PROTOCOLS.join(', ')})`);
    }
    if (!PRIV_PROTOCOLS.includes(priv)) {
      throw new VmtraceError('USAGE', `unknown SNMPv3 privacy protocol "${priv}" (one of ${PRIV_PROTOCOLS.join(', ')})`);
    }
    const authKey = readSecretFile(v3.authKeyFile, 'SNMPv3 auth key');
    const privKey = readSecretFile(v3.privKeyFile, 'SNMPv3 privacy key');
    // RFC 3414 §11.2: passphrases shorter than 8 characters are refused by every agent.
    if (authKey.length < 8 || privKey.length < 8) {
      throw new VmtraceError('USAGE', 'SNMPv3 keys must be at least 8 characters');
    }
    return { version: '3', user: v3.user, auth, authKey, priv, privKey };
  }
  let community: string | undefined;
  if (opts.communityFile !== undefined) community = readSecretFile(opts.communityFile, 'community');
  else if (opts.community !== undefined) community = opts.community;
  else if (env.VMTRACE_SNMP_COMMUNITY !== undefined) community = env.VMTRACE_SNMP_COMMUNITY;
  if (community === undefined || community === '') {
    throw new VmtraceError(
      'USAGE',
      'no SNMP credentials: give --community-file FILE, set VMTRACE_SNMP_COMMUNITY, or use SNMPv3 (--v3-user …)',
    );
  }
  return { version: '2c', community };
}

/** One secret per file, first line, trailing newline dropped; refused if others may read it. */
export function readSecretFile(path: string, what: string): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new VmtraceError('CONFIG_UNREADABLE', `cannot read ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      cause: err,
    });
  }
  if ((mode & 0o077) !== 0) {
    throw new VmtraceError(
      'SECRET_INSECURE',
      `${what} file ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line === '') throw new VmtraceError('CONFIG_INVALID', `${what} file ${path} is empty`);
  return line;
}
