import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/cli-process.ts';
import { deleteTopics, rootConnection } from '../../support/sync-job.ts';
import { inTestenvShell, testEnv } from '../../support/testenv.ts';

// README's commands run as a user pastes them: the blocks of its sections, verbatim, in a plain
// shell: `make demo`'s script, then the look at the running system it leaves, then the worker
// without Kubernetes beside it (twice: the commands are rerunnable).
const env = testEnv();
const repo = new URL('../../../', import.meta.url).pathname;
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The `n`th code block after `heading`. */
function codeBlock(heading: string, n = 0): string {
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks[n];
  if (block === undefined) throw new Error(`README has no code block ${n} under ${heading}`);
  return block;
}

interface Line {
  operation: string;
  objectName: string;
  fields?: { name: string; after: string | null }[];
}

/** decode's JSON lines among what the other commands print ("Created topic ...", tables). */
const records = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

const demoProcesses = async () => (await inTestenvShell(`${repo}scripts/testenv.sh status demo`)).trim();

describe('README', () => {
  afterAll(async () => {
    await inTestenvShell(`${repo}scripts/testenv.sh down demo`);
    const db = await rootConnection(env);
    await db.query('DROP DATABASE IF EXISTS local_shop');
    await db.query('DROP DATABASE IF EXISTS shop');
    await db.end();
    await deleteTopics(env, ['local-orders', 'orders-sync']);
  });

  it('the demo leaves a running system, and the quick start shows how to look at it', {
    timeout: 240_000,
  }, async () => {
    const out = await inTestenvShell(`cd ${repo} && npm run -s demo`, 200_000);
    expect(out).toMatch(/orders-sync\s+Syncing\s+True/);
    expect(out).toContain('keep running');
    expect(await demoProcesses()).toMatch(/demo kubelet: running[\s\S]*demo operator: running/);

    // The quick start's commands, all but the last (`scripts/testenv.sh down`, which would stop
    // this test's services too; `down demo` in afterAll is its first step).
    const look = codeBlock('## Quick start', 1)
      .split('\n')
      .filter((l) => !l.startsWith('scripts/testenv.sh down'))
      .join('\n');
    const seen = await inTestenvShell(`cd ${repo}\n${look}`, 60_000);
    expect(seen).toMatch(/orders-sync\s+Syncing\s+True/);
    // The row the quick start inserts went through the running operator's worker into Kafka.
    await eventually(async () => {
      const again = await inTestenvShell(
        `cd ${repo} && bin/syncjob decode --brokers "$KAFKA_BROKERS" --topic orders-sync --from-beginning`,
      );
      return records(again).some(
        (r) => r.operation === 'INSERT' && r.fields?.find((f) => f.name === 'note')?.after === 'more',
      );
    }, 'the quick start row to arrive in orders-sync');
  });

  it('"Try the worker without Kubernetes" works as written beside the demo, and again when rerun', {
    timeout: 180_000,
  }, async () => {
    const block = codeBlock('## Try the worker without Kubernetes');
    let before = 0;
    for (const run of [1, 2]) {
      const out = await inTestenvShell(`cd ${repo}\n${block}`, 120_000);
      const updates = records(out).filter(
        (l) => l.operation === 'UPDATE' && l.objectName === 'local_shop.orders',
      );
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
    // The demo's system kept running beside it.
    expect(await demoProcesses()).toMatch(/demo operator: running/);
  });

  it('`scripts/testenv.sh down demo` (the first step of `down`) stops what the demo left running', async () => {
    await inTestenvShell(`${repo}scripts/testenv.sh down demo`);
    expect(await demoProcesses()).toBe('demo: not running');
    // The kubelet stand-in ends the worker pods it runs when it stops (its own tests show it).
    const left = spawnSync(
      'pgrep',
      ['-f', 'test/kubelet/main.ts|main.ts operator --image syncjob-operator:demo'],
      {
        encoding: 'utf8',
      },
    ).stdout;
    expect(left.trim()).toBe('');
  });
});
