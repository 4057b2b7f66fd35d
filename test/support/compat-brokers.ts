import { expect } from 'vitest';
import type { TestEnv } from './testenv.ts';

// The compat brokers `make test` starts; `make test-compat` starts them all.
const DEFAULT_SUBSET = ['0.10.2.2'];

export interface CompatBroker {
  version: string;
  brokers: string[];
}

/** The compat brokers that run, oldest first. */
export const runningCompatBrokers = (env: TestEnv): CompatBroker[] => env.kafka.compat ?? [];

function startCommand(versions: string[], expected: string[]): string {
  return versions.every((v) => DEFAULT_SUBSET.includes(v))
    ? '`scripts/testenv.sh up kafka-compat` (`make testenv-up` runs it)'
    : `\`SYNCJOB_KAFKA_COMPAT_VERSIONS='${expected.join(' ')}' scripts/testenv.sh up kafka-compat\` (\`make test-compat\` runs it)`;
}

/** Fails, naming the command that starts them, when a broker testenv is configured to start is missing. */
export function expectConfiguredCompatBrokers(env: TestEnv): void {
  const running = runningCompatBrokers(env);
  const expected = env.kafka.compatExpected ?? [];
  const missing = expected.filter((v) => !running.some((b) => b.version === v));
  if (missing.length > 0) {
    expect.fail(
      `compat Kafka ${missing.join(', ')} is not running: start it with ${startCommand(missing, expected)}`,
    );
  }
  if (running.length === 0) {
    expect.fail(`no compat Kafka broker runs: start one with ${startCommand(DEFAULT_SUBSET, expected)}`);
  }
}
