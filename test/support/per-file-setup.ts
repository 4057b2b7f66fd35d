// Runs in every integration test file: prints what its processes and loggers said when one of its
// tests (or a hook) fails, and records the file's peak RSS, so a test whose memory grows with the
// machine's speed shows up (`scripts/testenv.sh` run dir, test-rss.tsv).
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, inject } from 'vitest';
import { failureOutput } from './failure-output.ts';

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
