// The entry of a snapshot thread (started by snapshot-reader.ts): reads chunks of one table at a
// time on a connection of its own and encodes their rows (snapshot-encoding.ts), so parsing,
// converting and encoding rows, most of initialization's CPU, runs beside the worker's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import mysql from 'mysql2/promise';
import { binlogEnd } from '../source/mysql/binlog-end.ts';
import { type Flavor, prepareSourceSession } from '../source/mysql/flavor.ts';
import { SNAPSHOT_SESSION_SQL } from '../source/mysql/snapshot-query.ts';
import { type ChunkReader, createChunkReader } from '../source/snapshot/chunk-reader.ts';
import { type ChunkEncoding, chunkEncoding, encodeChunk, transferables } from './snapshot-encoding.ts';
import type { ThreadReply, ThreadRequest, ThreadStart } from './snapshot-reader.ts';

const port = parentPort!;
const { connection } = workerData as ThreadStart;
let conn: { c: mysql.Connection; flavor: Flavor } | null = null;
// An idle connection that fails (killed, timed out) fails the next request, not the thread.
let broken: Error | null = null;
let table: { reader: ChunkReader; encoding: ChunkEncoding } | null = null;

async function connected(): Promise<{ c: mysql.Connection; flavor: Flavor }> {
  if (broken) throw broken;
  if (!conn) {
    const c = await mysql.createConnection(connection);
    c.on('error', (err) => {
      broken = err;
    });
    await c.query(SNAPSHOT_SESSION_SQL);
    conn = { c, flavor: await prepareSourceSession(c) };
  }
  return conn;
}

async function handle(req: ThreadRequest): Promise<ThreadReply> {
  if (req.type === 'open') {
    const { c } = await connected();
    const reader = await createChunkReader(c, req.schema);
    table = {
      reader,
      encoding: chunkEncoding(req.schema, reader.keyIndexes, req.placement),
    };
    return { type: 'opened', keyIndexes: reader.keyIndexes, warning: reader.warning };
  }
  if (!table) throw new Error('no table is open in this snapshot thread');
  const { c, flavor } = await connected();
  const chunk = await table.reader.readChunk(req.after, req.limit);
  // After the SELECT, on the same connection: the binlog end that bounds what it may have missed.
  const high = await binlogEnd(c, flavor);
  return { type: 'chunk', chunk: encodeChunk(table.encoding, chunk, high) };
}

port.on('message', (req: ThreadRequest | { type: 'close' }) => {
  if (req.type === 'close') {
    void (conn?.c.end() ?? Promise.resolve()).catch(() => undefined).finally(() => port.close());
    return;
  }
  handle(req).then(
    (reply) => port.postMessage(reply, reply.type === 'chunk' ? transferables(reply.chunk) : []),
    (err: Error & { code?: string; errno?: number; sqlState?: string }) =>
      port.postMessage({
        type: 'failed',
        error: {
          name: err.name,
          message: err.message,
          code: err.code,
          errno: err.errno,
          sqlState: err.sqlState,
        },
      } satisfies ThreadReply),
  );
});
