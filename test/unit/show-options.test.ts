// `--agent HOST[:PORT]` and where SNMP credentials come from: files, env, never a default.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VmtraceError } from '../../shared/errors.js';
import { resolveCredentials } from '../../shared/snmp/credentials.js';
import { formatAgentTarget, parseAgentTarget } from '../../shared/snmp/target.js';

const dir = mkdtempSync(join(tmpdir(), 'show-opts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof VmtraceError ? err.code : `not a VmtraceError: ${String(err)}`;
  }
  return 'no error';
}

describe('parseAgentTarget', () => {
  it.each([
    [undefined, '127.0.0.1', 16100, 'udp4'],
    ['', '127.0.0.1', 16100, 'udp4'],
    ['leaf1.example', 'leaf1.example', 16100, 'udp4'],
    ['192.0.2.7:161', '192.0.2.7', 161, 'udp4'],
    ['[2001:db8::1]:1161', '2001:db8::1', 1161, 'udp6'],
    ['[::1]', '::1', 16100, 'udp6'],
    ['2001:db8::5', '2001:db8::5', 16100, 'udp6'],
  ] as const)('%s → %s port %i', (text, host, port, transport) => {
    expect(parseAgentTarget(text)).toEqual({ host, port, transport });
  });

  it.each(['host:0', 'host:70000', 'host:x', ':161', 'a b:161'])('refuses %s as USAGE', (text) => {
    expect(codeOf(() => parseAgentTarget(text))).toBe('USAGE');
  });

  it('formats back, brackets for IPv6', () => {
    expect(formatAgentTarget(parseAgentTarget('[2001:db8::1]:1161'))).toBe('[2001:db8::1]:1161');
    expect(formatAgentTarget(parseAgentTarget('leaf1'))).toBe('leaf1:16100');
  });
});

describe('resolveCredentials', () => {
  it('has no default community: nothing given is a usage error', () => {
    expect(codeOf(() => resolveCredentials({}, {}))).toBe('USAGE');
  });

  it('takes the community file first, then a given value, then VMTRACE_SNMP_COMMUNITY', () => {
    const f = file('community', 'from-file\n');
    const env = { VMTRACE_SNMP_COMMUNITY: 'from-env' };
    expect(resolveCredentials({ communityFile: f, community: 'given' }, env)).toEqual({ version: '2c', community: 'from-file' });
    expect(resolveCredentials({ community: 'given' }, env)).toEqual({ version: '2c', community: 'given' });
    expect(resolveCredentials({}, env)).toEqual({ version: '2c', community: 'from-env' });
  });

  it('refuses a secret file others can read, a missing one and an empty one', () => {
    expect(codeOf(() => resolveCredentials({ communityFile: file('open', 'x\n', 0o644) }, {}))).toBe('SECRET_INSECURE');
    expect(codeOf(() => resolveCredentials({ communityFile: join(dir, 'nope') }, {}))).toBe('CONFIG_UNREADABLE');
    expect(codeOf(() => resolveCredentials({ communityFile: file('empty', '\n') }, {}))).toBe('CONFIG_INVALID');
  });

  it('reads v3 keys from files, defaults to SHA-256 + AES-128, refuses short keys and mixing with a community', () => {
    const auth = file('auth', 'auth-secret-1\n');
    const priv = file('priv', 'priv-secret-1');
    expect(resolveCredentials({ v3: { user: 'nms', authKeyFile: auth, privKeyFile: priv } }, {})).toEqual({
      version: '3',
      user: 'nms',
      auth: 'sha256',
      authKey: 'auth-secret-1',
      priv: 'aes128',
      privKey: 'priv-secret-1',
    });
    expect(codeOf(() => resolveCredentials({ v3: { user: 'nms', authKeyFile: file('short', 'abc'), privKeyFile: priv } }, {}))).toBe('USAGE');
    expect(codeOf(() => resolveCredentials({ community: 'x', v3: { user: 'nms', authKeyFile: auth, privKeyFile: priv } }, {}))).toBe('USAGE');
    expect(
      codeOf(() => resolveCredentials({ v3: { user: 'nms', auth: 'md5' as never, authKeyFile: auth, privKeyFile: priv } }, {})),
    ).toBe('USAGE');
  });
});

describe('showMain (argv → exit code), before any packet is sent', () => {
  class Sink {
    text = '';
    write(chunk: string): boolean {
      this.text += chunk;
      return true;
    }
  }
  async function main(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
    const { showMain } = await import('../../agent/cli/show.js');
    const out = new Sink();
    const err = new Sink();
    const code = await showMain(argv, out as unknown as NodeJS.WritableStream, err as unknown as NodeJS.WritableStream, env);
    return { code, out: out.text, err: err.text };
  }

  it.each([
    [['bogus'], 'unknown subcommand "bogus"'],
    [[], 'show what?'],
    [['ports', 'extra'], 'unexpected argument "extra"'],
    [['ports', '--nope'], "Unknown option '--nope'"],
    [['ports', '--v3-user', 'nms'], 'SNMPv3 needs --v3-user, --v3-auth-key-file and --v3-priv-key-file'],
    [['ports', '--timeout', 'soon'], '--timeout soon: give seconds'],
  ])('%j → exit 1: %s', async (argv, message) => {
    const r = await main(argv);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toContain(message);
    expect(r.err).toContain('usage: vmtrace show');
  });

  it('no credentials anywhere → exit 1, one line, no default community tried', async () => {
    const r = await main(['summary', '--agent', '127.0.0.1:9']);
    expect(r).toEqual({ code: 1, out: '', err: 'vmtrace show: no SNMP credentials: give --community-file FILE, set VMTRACE_SNMP_COMMUNITY, or use SNMPv3 (--v3-user …)\n' });
  });

  it('--help prints the usage', async () => {
    const r = await main(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--community-file FILE');
  });
});
