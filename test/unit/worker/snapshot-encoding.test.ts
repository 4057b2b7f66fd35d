import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createRecordEncoder, decodeRecord, encodeRecord } from '../../../src/format/dts-avro/codec.ts';
import { rowRecord, snapshotRecordShell } from '../../../src/format/dts-avro/record.ts';
import { character, integer } from '../../../src/format/dts-avro/values.ts';
import { choosePartition } from '../../../src/sink/partitioner.ts';
import type { TableSchema } from '../../../src/source/row-change.ts';
import { keyIdentity } from '../../../src/source/snapshot/chunk-reader.ts';
import { recordKeyFor } from '../../../src/worker/record-key.ts';
import {
  bytesAt,
  chunkEncoding,
  encodeChunk,
  stringAt,
  transferables,
} from '../../../src/worker/snapshot-encoding.ts';
import { column, position, usersTable } from '../format/dts-avro-fixtures.ts';

const table = usersTable();
const placement = {
  format: 'dts-avro' as const,
  objectName: 'shop.users',
  partitioning: 'primaryKey' as const,
  partitions: 7,
};
const rows = [1, 2, 3].map((id) => [integer(20, String(id)), character('utf8mb4', Buffer.from(`ü${id}@x`))]);
const cursors = [1, 2, 3].map((id) => ({ key: ['id'], hex: [Buffer.from(String(id)).toString('hex')] }));
const high = { file: 'b.000002', offset: 99 };
const how = (t: TableSchema, keyIndexes: number[]) => chunkEncoding(t, keyIndexes, placement);

describe('encodeChunk', () => {
  it('packs per row what the pipeline needs, equal to what it would compute from the cells', () => {
    const chunk = encodeChunk(how(table, [0]), { rows, cursors, last: cursors[2]! }, high);
    const { encodeWithImages } = createRecordEncoder();
    expect(chunk.count).toBe(3);
    rows.forEach((cells, i) => {
      const change = { operation: 'INIT' as const, table, before: null, after: cells, position: position() };
      const key = recordKeyFor(table, 'shop.users')(change);
      expect(bytesAt(chunk.keys!, i).toString()).toBe(key);
      expect(chunk.partitions[i]).toBe(choosePartition('primaryKey', 7, 'shop.users', key));
      expect(stringAt(chunk.identities!, i)).toBe(keyIdentity(cells, [0]));
      expect(JSON.parse(stringAt(chunk.cursors!, i))).toEqual(cursors[i]);
      const ctx = { id: i + 1, objectName: 'shop.users', sourceVersion: 'v' };
      const whole = encodeRecord(rowRecord(change, ctx));
      const assembled = encodeWithImages(
        snapshotRecordShell(table, position(), ctx),
        bytesAt(chunk.images, i),
      );
      expect(assembled.equals(whole)).toBe(true);
    });
    expect(
      decodeRecord(
        encodeWithImages(
          snapshotRecordShell(table, position(), { id: 9, objectName: 'shop.users', sourceVersion: 'v' }),
          bytesAt(chunk.images, 1),
        ),
      ).afterImages,
    ).toEqual(rows[1]);
    expect(chunk.last).toEqual(cursors[2]);
    expect(chunk.high).toEqual(high);
    // Each buffer once: a transfer list with a buffer twice is refused.
    const buffers = transferables(chunk);
    expect(new Set(buffers).size).toBe(buffers.length);
  });

  it('has no keys, identities or cursors for a table without a key, all rows on partition 0', () => {
    const keyless: TableSchema = { ...table, primaryKey: [], uniqueKeys: {}, columns: [column('v', 3)] };
    const chunk = encodeChunk(
      how(keyless, []),
      { rows: [[integer(11, '1')], [integer(11, '2')]], cursors: [], last: null },
      high,
    );
    expect([chunk.keys, chunk.identities, chunk.cursors]).toEqual([null, null, null]);
    expect([...chunk.partitions]).toEqual([0, 0]);
    expect(chunk.count).toBe(2);
  });

  it('survives structured cloning with its buffers transferred, as a thread sends it', () => {
    const chunk = encodeChunk(how(table, [0]), { rows, cursors, last: null }, high);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<typeof chunk>((resolve) => {
      port2.once('message', resolve);
    });
    port1.postMessage(chunk, transferables(chunk));
    return received.then((copy) => {
      expect(chunk.images.bytes.byteLength).toBe(0);
      expect(stringAt(copy.identities!, 2)).toBe(keyIdentity(rows[2]!, [0]));
      expect(bytesAt(copy.keys!, 0).toString()).toBe('shop.users:["1"]');
      port1.close();
      port2.close();
    });
  });
});
