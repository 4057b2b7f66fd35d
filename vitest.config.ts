import { defineConfig } from 'vitest/config';

// Two projects: unit tests of pure logic (fast, no services) and integration tests that talk to
// the real MariaDB, Kafka and kube-apiserver that scripts/testenv.sh starts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The services are shared; files run one at a time so timings and binlogs stay readable.
          fileParallelism: false,
        },
      },
    ],
  },
});
