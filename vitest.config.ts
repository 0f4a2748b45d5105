import { defineConfig } from 'vitest/config';

// Integration tests start real peers (ovsdb-server, lldpd, snmpd, the vCenter simulator) in
// their own temp dirs and network namespaces, so files may run in parallel; two workers match
// the two cores CI has.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
