// Child process of store-crash.test.ts: opens the store and commits ledger rows in a loop,
// several commits in flight, printing each commit's sequence number only after commit()
// resolved. The parent kills it with SIGKILL at a random moment and checks every printed
// number survived. Usage: tsx store-crash-child.ts DB_PATH FIRST_SEQ

import { Store } from '../../agent/store/index.js';
import { silentLogger } from '../../agent/log.js';

const [path, firstArg] = process.argv.slice(2);
if (!path || !firstArg) {
  process.stderr.write('usage: store-crash-child DB_PATH FIRST_SEQ\n');
  process.exit(2);
}
const IN_FLIGHT = 4;

process.stdout.write('opening\n');
const store = await Store.open(path, { logger: silentLogger(), journalCap: 5_000 });
process.stdout.write('ready\n');

let seq = Number(firstArg);
async function worker(): Promise<never> {
  for (;;) {
    const n = seq++;
    const work: Promise<void>[] = [
      store.commit({
        ledger: [{ port: `seq-${n}`, firstSeenAt: n, initialVlans: [1], owned: [(n % 4000) + 2], unneededSince: { [(n % 4000) + 2]: n } }],
        journal: [{ at: n, kind: 'vlan-added', port: `seq-${n}`, vlan: (n % 4000) + 2, message: `seq ${n}` }],
      }),
    ];
    // bulkier writes now and then, so the WAL grows and checkpoints happen mid-run
    if (n % 25 === 0) {
      const vms = Array.from({ length: 300 }, (_, i) => ({
        key: `vc1/vm-${i}`, vcenter: 'vc1', moid: `vm-${i}`, name: `vm-${i}-${n}`, uuid: null,
        powerState: 'poweredOn' as const, template: false, host: 'vc1/host-1', vnics: [],
      }));
      work.push(store.saveInventory('vc1', { hosts: [], networks: [], vms }, n));
    }
    await Promise.all(work);
    // stdout to a pipe is synchronous on Linux: once written, the parent has it
    process.stdout.write(`${n}\n`);
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker()));
