import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { testenvEnv } from '../../scripts/lib/testenv-env.ts';

const script = fileURLToPath(new URL('../../scripts/testenv.sh', import.meta.url));

// Brings the real services up (idempotent: seconds when they already run) so a single integration
// test file can be run on its own, then hands their coordinates to the tests. At the end it prints
// the peak RSS of the test files' processes (per-file-setup.ts records them).
export default function setup(project: TestProject): () => void {
  execFileSync('bash', [script, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const rssFile = path.join(tmpdir(), `syncjob-test-rss-${process.pid}.tsv`);
  writeFileSync(rssFile, '');
  const env = testenvEnv();
  project.provide('testenv', {
    ...env,
    ...(project.name === 'integration-mysql' ? mysqlAsSource(env) : { SYNCJOB_TEST_SOURCE_TYPE: 'mariadb' }),
    SYNCJOB_TEST_RSS_FILE: rssFile,
  });
  return () => {
    if (!existsSync(rssFile)) return;
    const rows = readFileSync(rssFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t') as [string, string])
      .sort((a, b) => Number(b[1]) - Number(a[1]));
    if (rows.length > 0) {
      const top = rows
        .slice(0, 3)
        .map(([file, mib]) => `${file} ${mib} MiB`)
        .join(', ');
      process.stdout.write(`Peak RSS of the test processes (${rows.length} files), highest: ${top}\n`);
    }
  };
}

// The integration-mysql project runs the same suites with the real MySQL server as their source.
function mysqlAsSource(env: Record<string, string>): Record<string, string> {
  const source: Record<string, string> = { SYNCJOB_TEST_SOURCE_TYPE: 'mysql' };
  for (const key of ['HOST', 'PORT', 'ROOT_USER', 'ROOT_PASSWORD', 'SYNC_USER', 'SYNC_PASSWORD']) {
    const value = env[`ORACLE_MYSQL_${key}`];
    if (value === undefined) throw new Error(`scripts/testenv.sh env did not print ORACLE_MYSQL_${key}`);
    source[`MYSQL_${key}`] = value;
  }
  return source;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testenv: Record<string, string>;
  }
}
