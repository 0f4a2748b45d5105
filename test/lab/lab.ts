// The lab: everything real on one machine (DESIGN §1 `vmtrace lab`). Run with
//   node --import tsx test/lab/lab.ts up|status [--json]|vmotion [VM HOST]|down [--prefix TAG] …
// scripts/lab.sh wraps it for operators (install, up, show, vMotion, down).
// Exit codes: 0 ok, 1 usage or a lab that does not converge / misbehaves, 2 not root or no lab.

import { existsSync } from 'node:fs';
import { agentFiles, labAgentFiles } from './agent.js';
import { down } from './down.js';
import { instanceFlags, labNames, parseOptions, UsageError, type LabOptions } from './options.js';
import { LabError } from './proc.js';
import { labStatus, renderStatus, requireState } from './status.js';
import { showLab, up } from './up.js';
import { vmotion } from './vmotion.js';

// `lab.ts up | head` must not leave half a lab: a closed stdout is not a reason to stop
process.stdout.on('error', () => undefined);

const say = (line: string): void => {
  process.stdout.write(line + '\n');
};

function hints(o: LabOptions): string {
  const flags = instanceFlags(o);
  const lab = (cmd: string) => `node --import tsx test/lab/lab.ts ${cmd}${flags ? ` ${flags}` : ''}`;
  const f = agentFiles(o.dir, o.snmpPort);
  return [
    'The lab keeps running. Look at it:',
    `  ${lab('status')}`,
    `  node dist/agent/cli/vmtrace.js show ports --agent ${f.snmp} --community-file ${f.communityFile}`,
    `  ${lab('vmotion')}            # another vMotion, timed on the switch`,
    `  tail -f ${f.log}`,
    'Stop it:',
    `  bash scripts/lab.sh down${flags ? ` ${flags}` : ''}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { command, opts } = parseOptions(argv);
  switch (command) {
    case 'up': {
      const flags = instanceFlags(opts);
      const state = await up(opts, say).catch((e: unknown) => {
        if (!(e instanceof LabError) || !existsSync(labNames(opts).stateFile)) throw e;
        throw new LabError(`${e.message}\nwhat was built is left for a look: lab.ts status ${flags}; remove it with: lab.ts down ${flags}`.replace(/ +$/gm, '').replace(/ ;/, ';'));
      });
      const ok = await showLab(state, agentFiles(opts.dir, opts.snmpPort), say);
      if (!ok) throw new LabError('the switch converged, but `vmtrace show` could not read the agent over SNMP (see above)');
      if (process.env.VMTRACE_LAB_HINTS !== '0') say('\n' + hints(opts));
      return 0;
    }
    case 'hints':
      // how to look at a running lab and stop it (scripts/lab.sh --keep prints it last)
      requireState(opts);
      say(hints(opts));
      return 0;
    case 'status': {
      const s = await labStatus(opts);
      say(opts.json ? JSON.stringify(s, null, 2) : renderStatus(s).trimEnd());
      return s.up && s.converged ? 0 : 1;
    }
    case 'show': {
      // up's report again (trunks + vmtrace show), for scripts/lab.sh after a vMotion
      const state = requireState(opts);
      const ok = await showLab(state, labAgentFiles(opts.dir, opts.snmpPort, state), say);
      return ok ? 0 : 1;
    }
    case 'vmotion': {
      const r = await vmotion(opts, opts.json ? () => undefined : say);
      if (opts.json) say(JSON.stringify(r, null, 2));
      else say(`vMotion of ${r.vm}: ${r.to.port} gained VLAN ${r.vlan} after ${r.addMs} ms; ${r.from.port} kept it for ${(r.removeMs / 1000).toFixed(1)} s (hold-down ${r.holdDownS} s)`);
      return 0;
    }
    case 'down': {
      const removed = await down(opts);
      say(removed.length ? `lab down: stopped/removed ${removed.join(', ')}` : `lab down: nothing to do (${opts.dir} absent)`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(e.message.endsWith('\n') ? e.message : e.message + '\n');
      process.exit(1);
    }
    const msg = e instanceof LabError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`lab: ${msg}\n`);
    process.exit(e instanceof LabError && /needs root|no lab in/.test(msg) ? 2 : 1);
  },
);
