import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WORKER_NODE_FLAGS } from '../../../src/worker/node-flags.ts';

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');

describe('the worker Node flags', () => {
  it('are the ones the image and bin/syncjob start Node with', () => {
    const entrypoint = read('Dockerfile').match(/^ENTRYPOINT (\[.*\])$/m);
    expect(JSON.parse(entrypoint![1]!)).toEqual(['node', ...WORKER_NODE_FLAGS, 'dist/cli/main.js']);
    expect(read('bin/syncjob')).toContain(
      `exec "$node" ${WORKER_NODE_FLAGS.join(' ')} "$here/src/cli/main.ts"`,
    );
  });
});
