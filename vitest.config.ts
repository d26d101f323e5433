import { defineConfig } from 'vitest/config';

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
          include: ['test/integration/**/*.test.ts'],
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
