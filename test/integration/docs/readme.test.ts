import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../support/cli-process.ts';
import { deleteTopics, rootConnection } from '../../support/sync-job.ts';
import { inTestenvShell, testEnv } from '../../support/testenv.ts';

// README's commands run as a user pastes them: the block of a section, verbatim, in a plain shell.
const env = testEnv();
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

function codeBlockOf(heading: string): string {
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error(`README has no code block under ${heading}`);
  return block;
}

interface Line {
  operation: string;
  objectName: string;
  fields?: { name: string; after: string | null }[];
}

describe('README', () => {
  it('"Try the worker without Kubernetes" works as written, and again when run a second time', {
    timeout: 180_000,
  }, async () => {
    const block = codeBlockOf('## Try the worker without Kubernetes');
    const repo = new URL('../../../', import.meta.url).pathname;
    try {
      let before = 0;
      for (const run of [1, 2]) {
        const out = await inTestenvShell(`cd ${repo}\n${block}`, 120_000);
        // decode's JSON lines, among what the other commands print ("Created topic ...").
        const lines = out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Line);
        const updates = lines.filter((l) => l.operation === 'UPDATE' && l.objectName === 'local_shop.orders');
        // Each run's changes are in the topic, after the earlier run's (a rerun's REPLACE of the
        // existing row is an UPDATE too).
        expect(updates.length, `run ${run}:\n${out}`).toBeGreaterThan(before);
        before = updates.length;
        expect(updates.at(-1)?.fields?.find((f) => f.name === 'note')?.after).toBe('paid');
        // `kill %1` stopped the worker: its port closes.
        await eventually(
          async () => (await fetch('http://127.0.0.1:19480/healthz').catch(() => null)) === null,
          'the worker of the README to stop',
        );
      }
    } finally {
      const db = await rootConnection(env);
      await db.query('DROP DATABASE IF EXISTS local_shop');
      await db.end();
      await deleteTopics(env, ['local-orders']);
    }
  });
});
