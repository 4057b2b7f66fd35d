import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { parseEnvLines } from './env-lines.ts';

const script = fileURLToPath(new URL('../../scripts/testenv.sh', import.meta.url));

// Brings the real services up (idempotent: seconds when they already run) so a single integration
// test file can be run on its own, then hands their coordinates to the tests.
export default function setup(project: TestProject): void {
  execFileSync('bash', [script, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const env = parseEnvLines(execFileSync('bash', [script, 'env'], { encoding: 'utf8' }));
  project.provide('testenv', env);
}

declare module 'vitest' {
  export interface ProvidedContext {
    testenv: Record<string, string>;
  }
}
