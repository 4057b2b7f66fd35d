// Runs in every integration test file: prints what its processes, loggers and the shared services
// said when one of its tests (or a hook) fails, and records the file's peak RSS for the summary the
// global setup prints, so a test whose memory grows with the machine's speed shows up.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, inject } from 'vitest';
import { failureOutput, showOnFailure } from './failure-output.ts';

// The shared services' own logs, their last lines: what MariaDB, Kafka or the API server said
// around the failure.
const script = new URL('../../scripts/testenv.sh', import.meta.url).pathname;
showOnFailure('test services (last 40 lines of each log)', () => {
  const files = execFileSync('bash', [script, 'logs', 'mariadb', 'kafka', 'kube', 'kafka-compat'], {
    encoding: 'utf8',
  })
    .split(/\s+/)
    .filter(Boolean);
  return files
    .filter((f) => existsSync(f))
    .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-41).join('\n')}`)
    .join('\n');
});

let printed = false;
const print = () => {
  if (printed) return;
  printed = true;
  const text = failureOutput();
  if (text !== '') process.stderr.write(`\n${text}\n`);
};

beforeEach(({ onTestFailed }) => onTestFailed(print));

type Task = { result?: { state?: string; errors?: unknown[] }; tasks?: Task[] };
const failed = (t: Task): boolean =>
  t.result?.state === 'fail' || (t.result?.errors?.length ?? 0) > 0 || (t.tasks ?? []).some(failed);

// vitest wants a destructuring pattern for the context it passes first.
// biome-ignore lint/correctness/noEmptyPattern: the context is unused; the suite comes second
afterAll(({}, suite) => {
  if (failed(suite as Task)) print();
  const rssFile = inject('testenv').SYNCJOB_TEST_RSS_FILE;
  if (rssFile) {
    const mib = Math.round(process.resourceUsage().maxRSS / 1024);
    appendFileSync(rssFile, `${path.relative(process.cwd(), suite.file.filepath)}\t${mib}\n`);
  }
});
