// syncjob as deployed: `syncjob run -f job.json` from the built tree, under the worker's Node flags,
// a process of its own; exactly-once (the default) or, to compare with Debezium's, at-least-once.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WORKER_NODE_FLAGS } from '../../src/worker/node-flags.ts';
import { buildImageDir } from '../../test/support/image-dir.ts';
import { stopWithStats } from './process-stats.ts';
import type { BenchEnv, Position, RunningTool, StreamingTool } from './tool.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** `root`: the checkout whose `syncjob` runs (another commit's, to compare before and after). */
export function syncjobTool(
  env: BenchEnv,
  root = ROOT,
  delivery: 'exactlyOnce' | 'atLeastOnce' = 'exactlyOnce',
): StreamingTool {
  // Built before any scenario, so no timing includes the build.
  const main = path.join(buildImageDir(root), 'dist/cli/main.js');
  let port = 19_600;
  /** From `from`, or with a snapshot first when `from` is null (a new job's default start: the binlog end). */
  const start = (table: string, topic: string, from: Position | null): RunningTool => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-syncjob-'));
    const manifest = path.join(dir, 'job.json');
    const [database, name] = table.split('.');
    writeFileSync(
      manifest,
      JSON.stringify({
        apiVersion: 'syncjob.io/v1alpha1',
        kind: 'SyncJob',
        metadata: { name: topic },
        spec: {
          source: {
            type: env.source,
            host: env.mysql.host,
            port: env.mysql.port,
            username: env.mysql.syncUser,
            passwordSecretRef: { name: 's', key: 'p' },
            ...(from ? { startPosition: { mode: 'file', file: from.file, position: from.position } } : {}),
          },
          target: { brokers: env.brokers, topic, version: '4.x', delivery },
          objects: [{ database, tables: [{ name }] }],
          initialization: { data: from === null, schema: false },
          worker: { metricsPort: port++ },
        },
      }),
    );
    const child: ChildProcess = spawn(
      path.join(ROOT, 'node_modules/.bin/node'),
      [...WORKER_NODE_FLAGS, main, 'run', '-f', manifest],
      {
        env: { ...process.env, SYNCJOB_SECRET_S_P: env.mysql.syncPassword, SYNCJOB_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    return { stop: stopWithStats(child) };
  };
  return {
    // The record key: `<db>.<table>:["42"]` (src/worker/record-key.ts).
    idOf: (key) => {
      if (key === null) return null;
      const text = key.toString();
      return Number((JSON.parse(text.slice(text.indexOf(':') + 1)) as string[])[0]);
    },
    name: 'syncjob',
    // Also the job's name, hence its offsets key: a run's own, so every run starts as a new job.
    topicFor: (run, table) => {
      const name = table.slice(table.indexOf('.') + 1).replaceAll('_', '-');
      return name.includes(run) ? `bench-${name}` : `bench-${name}-${run}`;
    },
    async catchUp(table, topic, { write }) {
      const from = await env.binlogEnd();
      await write();
      return start(table, topic, from);
    },
    async stream(table, topic) {
      return start(table, topic, await env.binlogEnd());
    },
    async initialize(table, topic) {
      return start(table, topic, null);
    },
  };
}
