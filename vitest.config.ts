import { defineConfig } from 'vitest/config';

// The source-independent suites: the type matrix, snapshot and streaming, REPLACE and DDL, crash
// and resume, added tables, filters and partition keys, exactly-once under faults.
const MYSQL_SUITES = [
  'test/integration/source/type-matrix.test.ts',
  // MySQL only: what MySQL writes and MariaDB does not.
  'test/integration/mysql/**/*.test.ts',
  'test/integration/worker/type-matrix-kafka.test.ts',
  'test/integration/worker/streaming.test.ts',
  'test/integration/worker/initialization.test.ts',
  'test/integration/worker/crash-resume.test.ts',
  'test/integration/worker/selection-changes.test.ts',
  'test/integration/worker/row-filter.test.ts',
  'test/integration/worker/partition-key.test.ts',
  'test/integration/worker/transient-failures.test.ts',
  'test/integration/worker/server-id-conflict.test.ts',
  'test/integration/worker/failover.test.ts',
  'test/integration/worker/start-position.test.ts',
  'test/integration/worker/selection.test.ts',
  'test/integration/operator/lifecycle.test.ts',
];

const integration = {
  test: {
    name: 'integration',
    include: ['test/integration/**/*.test.ts'],
    exclude: ['test/integration/mysql/**'],
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
};

// Three projects: unit tests of pure logic (fast, no services), integration tests that talk to the
// real MariaDB, Kafka and kube-apiserver that scripts/testenv.sh starts, and the source-independent
// suites again with the real MySQL server as their source.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      integration,
      {
        test: {
          ...integration.test,
          // The suites that hold on every source, again against the real MySQL server (global-setup.ts
          // points the tests' source at it), after the MariaDB run.
          name: 'integration-mysql',
          include: MYSQL_SUITES,
          exclude: [],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
