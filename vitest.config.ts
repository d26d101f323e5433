import { configDefaults, defineConfig } from 'vitest/config';

// scripts/test.sh runs the integration files in two groups side by side, each against a lab
// of its own (FLEET_TEST_GROUP=a|b): lab tests spend much of their time waiting on their
// hosts, so two labs keep a 2-core machine busy. Group b is the swarm's files (they share one
// swarm that ensureSwarm builds once) and, to balance the two, backups, tor and
// firewall (measured: group a also runs the unit tests first); every other file is in group a,
// so a new file lands there unless it is listed here.
const GROUP_B = [
  'test/integration/roles-swarm.test.ts',
  'test/integration/stack.test.ts',
  'test/integration/roles-comms.test.ts',
  'test/integration/roles-backups.test.ts',
  'test/integration/roles-tor.test.ts',
  'test/integration/roles-firewall.test.ts',
];
const group = process.env.FLEET_TEST_GROUP;
if (group !== undefined && group !== 'a' && group !== 'b') throw new Error(`FLEET_TEST_GROUP="${group}": expected a or b`);
const ALL = ['test/integration/**/*.test.ts'];

export default defineConfig({
  test: {
    // Never the developer's own ~/.ssh/config: a test that wants one names its file.
    env: { FLEET_SSH_CONFIG: 'none' },
    projects: [
      // Unit tests run real shells; on a shared 2-core machine a test can take seconds.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 30_000 } },
      {
        test: {
          name: 'integration',
          include: group === 'b' ? GROUP_B : ALL,
          exclude: group === 'a' ? [...configDefaults.exclude, ...GROUP_B] : configDefaults.exclude,
          environment: 'node',
          // One lab per run, shared by every file: files run one after another against it.
          fileParallelism: false,
          globalSetup: ['test/integration/lab-global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
