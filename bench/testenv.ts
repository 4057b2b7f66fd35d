// The test services' coordinates for the benchmarks, as `scripts/testenv.sh env` prints them.
import { execFileSync } from 'node:child_process';
import { parseEnvLines } from '../test/support/env-lines.ts';

export function testenvCoordinates(): Record<string, string> {
  const script = new URL('../scripts/testenv.sh', import.meta.url).pathname;
  return parseEnvLines(execFileSync('bash', [script, 'env', 'mariadb', 'kafka'], { encoding: 'utf8' }));
}
