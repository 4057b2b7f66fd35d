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
          setupFiles: ['test/support/per-file-setup.ts'],
          // Every test's memory is bounded by its design (workloads sized by count, large topics
          // folded, not kept); a capped heap turns a test that grows with the machine's speed
          // into a failure here rather than somewhere else.
          execArgv: ['--max-old-space-size=1024'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The services are shared; files run one at a time so timings and binlogs stay readable.
          fileParallelism: false,
        },
      },
    ],
  },
});
