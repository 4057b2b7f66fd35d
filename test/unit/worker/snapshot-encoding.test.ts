import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createRecordEncoder, decodeRecord, encodeRecord } from '../../../src/format/dts-avro/codec.ts';
import { rowRecord, snapshotRecordShell } from '../../../src/format/dts-avro/record.ts';
import type { DtsRecord } from '../../../src/format/dts-avro/schema.ts';
import { choosePartition } from '../../../src/sink/partitioner.ts';
import { snapshotConverter } from '../../../src/source/mysql/value-converters.ts';
import type { SnapshotRow, TableSchema } from '../../../src/source/row-change.ts';
import { keyIdentity } from '../../../src/source/snapshot/chunk-reader.ts';
import { partitionKeyFor, recordKeyFor } from '../../../src/worker/record-key.ts';
import {
  bytesAt,
  chunkEncoding,
  cursorAt,
  type EncodedChunk,
  encodeChunk,
  identitiesOf,
  transferables,
} from '../../../src/worker/snapshot-encoding.ts';
import { column, position, usersTable } from '../format/dts-avro-fixtures.ts';

// An INIT record as the pipeline assembles it around images encoded apart.
const encodeWithImages = (shell: DtsRecord, images: Buffer) =>
  createRecordEncoder().encodeInitRecords(shell)(Number(shell.id), images);

const table = usersTable();
const placement = {
  format: 'dts-avro' as const,
  objectName: 'shop.users',
  partitioning: 'primaryKey' as const,
  partitions: 7,
};
// As the snapshot SELECT returns them: the id's digits, the email's bytes.
const rows: SnapshotRow[] = [1, 2, 3].map((id) => [Buffer.from(String(id)), Buffer.from(`ü${id}@x`)]);
const cellsOf = (t: TableSchema, row: SnapshotRow) =>
  row.map((cell, i) => snapshotConverter(t.columns[i]!)(cell));
const cursors = [1, 2, 3].map((id) => ({ key: ['id'], hex: [Buffer.from(String(id)).toString('hex')] }));
const high = { file: 'b.000002', offset: 99 };
/** Row i's after image, decoded from the INIT record the pipeline assembles around it. */
const decodedImages = (chunk: EncodedChunk, i: number) =>
  decodeRecord(
    encodeWithImages(
      snapshotRecordShell(table, position(), { id: 1, objectName: 'shop.users', sourceVersion: 'v' }),
      bytesAt(chunk.images, i),
    ),
  ).afterImages;
const INIT = { operation: 'INIT' as const, table, before: null, position: position() };
const how = (t: TableSchema, keyIndexes: number[]) => chunkEncoding(t, keyIndexes, placement);

describe('encodeChunk', () => {
  it('packs per row what the pipeline needs, equal to what it would compute from the cells', () => {
    const chunk = encodeChunk(how(table, [0]), { rows, last: cursors[2]! }, high);
    expect(chunk.count).toBe(3);
    const identityAt = identitiesOf(table, chunk);
    rows.forEach((row, i) => {
      const cells = cellsOf(table, row);
      const change = { operation: 'INIT' as const, table, before: null, after: cells, position: position() };
      const key = recordKeyFor(table, 'shop.users')(change);
      expect(bytesAt(chunk.keys!, i).toString()).toBe(key);
      expect(chunk.partitions[i]).toBe(choosePartition('primaryKey', 7, 'shop.users', key));
      expect(identityAt(i)).toBe(keyIdentity(cells, [0]));
      expect(cursorAt(chunk, i)).toEqual(cursors[i]);
      const ctx = { id: i + 1, objectName: 'shop.users', sourceVersion: 'v' };
      const whole = encodeRecord(rowRecord(change, ctx));
      const assembled = encodeWithImages(
        snapshotRecordShell(table, position(), ctx),
        bytesAt(chunk.images, i),
      );
      expect(assembled.equals(whole)).toBe(true);
    });
    expect(decodedImages(chunk, 1)).toEqual(cellsOf(table, rows[1]!));
    expect(chunk.last).toEqual(cursors[2]);
    expect(chunk.high).toEqual(high);
    // Each buffer once: a transfer list with a buffer twice is refused.
    const buffers = transferables(chunk);
    expect(new Set(buffers).size).toBe(buffers.length);
  });

  it('has no keys, key cells or cursors for a table without a key, all rows on partition 0', () => {
    const keyless: TableSchema = { ...table, primaryKey: [], uniqueKeys: {}, columns: [column('v', 3)] };
    const chunk = encodeChunk(how(keyless, []), { rows: [[Buffer.from('1')], [null]], last: null }, high);
    expect([chunk.keys, chunk.keyCells, cursorAt(chunk, 0)]).toEqual([null, null, null]);
    expect([...chunk.partitions]).toEqual([0, 0]);
    expect(chunk.count).toBe(2);
  });

  it('drops the rows a filter leaves out and keeps keys, partitions and key cells aligned with the rest', () => {
    const filtered = chunkEncoding(table, [0], { ...placement, filter: 'id != 2', partitionKey: ['email'] });
    const chunk = encodeChunk(filtered, { rows, last: cursors[2]! }, high);
    expect(chunk.count).toBe(2);
    expect([0, 1].map((i) => bytesAt(chunk.keys!, i).toString())).toEqual([
      'shop.users:["1"]',
      'shop.users:["3"]',
    ]);
    const byEmail = partitionKeyFor(table, 'shop.users', ['email']);
    expect([...chunk.partitions]).toEqual(
      [rows[0]!, rows[2]!].map((row) =>
        choosePartition('primaryKey', 7, 'shop.users', byEmail({ ...INIT, after: cellsOf(table, row) })),
      ),
    );
    expect([cursorAt(chunk, 0), cursorAt(chunk, 1)]).toEqual([cursors[0], cursors[2]]);
    expect(chunk.last).toEqual(cursors[2]);
    expect(decodedImages(chunk, 1)).toEqual(cellsOf(table, rows[2]!));
  });

  it('survives structured cloning with its buffers transferred, as a thread sends it', () => {
    const chunk = encodeChunk(how(table, [0]), { rows, last: null }, high);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<typeof chunk>((resolve) => {
      port2.once('message', resolve);
    });
    port1.postMessage(chunk, transferables(chunk));
    return received.then((copy) => {
      expect(chunk.images.bytes.byteLength).toBe(0);
      expect(identitiesOf(table, copy)(2)).toBe(keyIdentity(cellsOf(table, rows[2]!), [0]));
      expect(cursorAt(copy, 2)).toEqual(cursors[2]);
      expect(bytesAt(copy.keys!, 0).toString()).toBe('shop.users:["1"]');
      port1.close();
      port2.close();
    });
  });
});
