#!/usr/bin/env node
// `vmtrace`: one command, subcommands as in DESIGN §1. Errors print one line (never a stack
// trace; VMTRACE_DEBUG=1 adds it) and exit 1 user error, 2 peer unreachable, 3 internal.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VmtraceError, errorMessage, exitCodeFor } from '../../shared/errors.js';
import { checkConfigText, formatProblems, loadConfig } from '../config/load.js';
import { VERSION } from '../version.js';

const USAGE = `vmtrace ${VERSION}: VLANs and VXLAN tunnel entries that follow virtual machines

usage:
  vmtrace agent --config FILE            run the switch agent (systemd runs it)
  vmtrace config check FILE              validate a config; every error with its path and line
  vmtrace plan --config FILE [--apply] [--json]
                                         what the agent would change now, and why;
                                         --apply confirms what the guard holds back
  vmtrace show summary|ports|neighbors|vms|vtep|events [--agent HOST[:PORT]] [--json]
                                         one agent's state, read over SNMP
  vmtrace lldp decode FILE.pcap [--json] decode the LLDP/CDP frames of a capture
  vmtrace --version | --help

exit codes: 0 ok, 1 user error, 2 peer unreachable, 3 internal error
`;

function usage(msg: string): never {
  throw new VmtraceError('USAGE', `${msg} (vmtrace --help)`);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const out = process.stdout;
  switch (cmd) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      out.write(USAGE);
      return cmd === undefined ? 1 : 0;
    case '-V':
    case '--version':
    case 'version':
      out.write(`vmtrace ${VERSION}\n`);
      return 0;
    case 'agent':
      return agentCommand(rest);
    case 'config': {
      const [sub, file, ...more] = rest;
      if (sub !== 'check' || !file || more.length) usage('usage: vmtrace config check FILE');
      return configCheck(file);
    }
    case 'plan': {
      const { values } = parse(rest, { config: { type: 'string' }, apply: { type: 'boolean' }, json: { type: 'boolean' } });
      if (!values.config) usage('plan needs --config FILE');
      const { planCommand } = await import('./plan.js');
      return planCommand({ config: values.config as string, apply: !!values.apply, json: !!values.json }, out, process.stderr);
    }
    case 'show': {
      const { showMain } = await import('./show.js');
      return showMain(rest, out, process.stderr);
    }
    case 'lldp': {
      const [sub, ...args] = rest;
      if (sub !== 'decode') usage('usage: vmtrace lldp decode FILE.pcap [--json]');
      const { values, positionals } = parse(args, { json: { type: 'boolean' } }, true);
      if (positionals.length !== 1) usage('usage: vmtrace lldp decode FILE.pcap [--json]');
      const { lldpDecodeCommand } = await import('./lldp-decode.js');
      return lldpDecodeCommand(positionals[0]!, { json: !!values.json }, out);
    }
    default:
      usage(`unknown command "${cmd}"`);
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse(args: string[], options: Options, positionals = false) {
  try {
    return parseArgs({ args, options: options!, allowPositionals: positionals, strict: true });
  } catch (e) {
    usage(errorMessage(e));
  }
}

function configCheck(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new VmtraceError('CONFIG_UNREADABLE', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
  const { problems } = checkConfigText(text, file);
  if (problems.length) {
    process.stderr.write(formatProblems(file, problems) + '\n');
    process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${file}\n`);
    return 1;
  }
  process.stdout.write(`${file}: ok\n`);
  return 0;
}

async function agentCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: 'string' } });
  if (!values.config) usage('agent needs --config FILE');
  const cfg = loadConfig(values.config as string);
  // Signals are caught from the start: one during start-up aborts it (waiting for the switch
  // included); a second one, while a clean stop hangs, exits at once.
  let signal: NodeJS.Signals | null = null;
  let onStop: (() => void) | null = null;
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (signal) {
      process.stderr.write(`vmtrace: ${sig} again: exiting without a clean stop\n`);
      process.exit(1);
    }
    signal = sig;
    abort.abort();
    onStop?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const { runAgent } = await import('../main.js');
  const { createLogger } = await import('../log.js');
  let agent;
  try {
    agent = await runAgent(cfg, createLogger(cfg.raw.log?.level), abort.signal);
  } catch (e) {
    if (signal) return 0; // stopped while starting
    throw e;
  }
  await new Promise<void>((r) => {
    onStop = r;
    if (signal) r();
  });
  try {
    await agent.stop();
    return 0;
  } catch (e) {
    process.stderr.write(`vmtrace: stopping after ${signal}: ${errorMessage(e)}\n`);
    return 3;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // sockets of one-shot commands must not keep the process up
    if (process.argv[2] !== 'agent') setTimeout(() => process.exit(code), 50).unref();
    else process.exit(code);
  },
  (e) => {
    const code = exitCodeFor(e);
    const msg = e instanceof VmtraceError ? e.message : `internal error: ${errorMessage(e)}`;
    process.stderr.write(msg.split('\n').map((l) => `vmtrace: ${l}`).join('\n') + '\n');
    if (process.env.VMTRACE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exit(code);
  },
);
