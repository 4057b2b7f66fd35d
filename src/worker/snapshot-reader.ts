// The worker's side of a snapshot thread (snapshot-thread.ts): one thread per initialization lane,
// reused table after table, one request at a time. A thread's failure arrives as an Error with
// the MySQL error's code, so it is retried like any source failure.
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TableSchema } from '../source/row-change.ts';
import type { ChunkCursor } from '../source/snapshot/chunk-plan.ts';
import type { MysqlConnectionOptions } from './connections.ts';
import type { EncodedChunk, Placement } from './snapshot-encoding.ts';

export interface ThreadStart {
  connection: MysqlConnectionOptions;
}

export type ThreadRequest =
  | { type: 'open'; schema: TableSchema; placement: Placement }
  | { type: 'read'; after: ChunkCursor | null; limit: number };

interface ThreadFailure {
  name: string;
  message: string;
  code?: string | undefined;
  errno?: number | undefined;
  sqlState?: string | undefined;
}

export type ThreadReply =
  | { type: 'opened'; keyIndexes: number[]; warning: string | null }
  | { type: 'chunk'; chunk: EncodedChunk }
  | { type: 'failed'; error: ThreadFailure };

export interface SnapshotReader {
  /** Starts on `schema`, placed in Kafka as `placement`: its chunk key's positions, and a warning without one. */
  open(schema: TableSchema, placement: Placement): Promise<{ keyIndexes: number[]; warning: string | null }>;
  /** The next chunk after `after` (null: the first), at most `limit` rows, with its high watermark. */
  read(after: ChunkCursor | null, limit: number): Promise<EncodedChunk>;
  /** Ends the thread and its connection. */
  close(): Promise<void>;
}

// Built to .js beside this file; run from source as .ts.
const THREAD_URL = new URL(`./snapshot-thread${extname(import.meta.url)}`, import.meta.url);
const CLOSE_GRACE_MS = 2000;

const revive = (f: ThreadFailure): Error => {
  const err = Object.assign(new Error(f.message), {
    ...(f.code === undefined ? {} : { code: f.code }),
    ...(f.errno === undefined ? {} : { errno: f.errno }),
    ...(f.sqlState === undefined ? {} : { sqlState: f.sqlState }),
  });
  err.name = f.name;
  return err;
};

export function startSnapshotReader(connection: MysqlConnectionOptions): SnapshotReader {
  const thread = new Worker(THREAD_URL, { workerData: { connection } satisfies ThreadStart });
  let pending: { resolve: (reply: ThreadReply) => void; reject: (err: Error) => void } | null = null;
  let dead: Error | null = null;
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  const die = (err: Error) => {
    dead ??= err;
    pending?.reject(dead);
    pending = null;
  };
  thread.on('message', (reply: ThreadReply) => {
    const p = pending;
    pending = null;
    if (reply.type === 'failed') p?.reject(revive(reply.error));
    else p?.resolve(reply);
  });
  thread.on('error', die);
  thread.once('exit', (code) => die(new Error(`the snapshot thread exited (code ${code})`)));

  const request = (req: ThreadRequest): Promise<ThreadReply> => {
    if (dead) return Promise.reject(dead);
    if (pending) return Promise.reject(new Error('a snapshot thread takes one request at a time'));
    return new Promise<ThreadReply>((resolve, reject) => {
      pending = { resolve, reject };
      thread.postMessage(req);
    });
  };

  return {
    async open(schema, placement) {
      const reply = await request({ type: 'open', schema, placement });
      if (reply.type !== 'opened') throw new Error(`the snapshot thread answered ${reply.type} to open`);
      return { keyIndexes: reply.keyIndexes, warning: reply.warning };
    },
    async read(after, limit) {
      const reply = await request({ type: 'read', after, limit });
      if (reply.type !== 'chunk') throw new Error(`the snapshot thread answered ${reply.type} to read`);
      return reply.chunk;
    },
    async close() {
      if (!dead) thread.postMessage({ type: 'close' });
      // A thread stuck in a query does not get to hold the worker's stop.
      const timer = setTimeout(() => void thread.terminate(), CLOSE_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
