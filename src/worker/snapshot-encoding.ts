// What a snapshot thread hands the pipeline for one chunk: per row, the record's encoded images,
// its Kafka key and partition, what the snapshot window matches stream rows by, and the resume
// cursor. The images are most of a record's encoding cost and need neither the record's id nor
// its position, which only the pipeline knows when it queues the row. Everything is packed in
// typed arrays that are transferred, not copied, to the worker's thread: cloning ten thousand
// strings and objects per chunk cost more than it saved. Pure.
import type { DtsValue } from '../format/dts-avro/values.ts';
import { snapshotRowsEncoder } from '../format/formats.ts';
import type { FormatName, SnapshotRowsEncoder } from '../format/record-format.ts';
import { choosePartition, type PartitioningMode } from '../sink/partitioner.ts';
import type { FileOffset } from '../source/binlog/position-order.ts';
import type { RowChange, TableSchema } from '../source/row-change.ts';
import type { ChunkCursor } from '../source/snapshot/chunk-plan.ts';
import { keyIdentity } from '../source/snapshot/chunk-reader.ts';
import { partitionKeyFor, recordKeyFor } from './record-key.ts';
import { type RowMatcher, rowMatcher } from './table-filter.ts';

/** Byte strings end to end: string i is `bytes[ends[i - 1] ?? 0 .. ends[i]]`. */
export interface Packed {
  bytes: Uint8Array;
  ends: Uint32Array;
}

export interface EncodedChunk {
  /** Rows in key order. */
  count: number;
  /** Each row's part of its record, in the job's format (RecordFormat's snapshotRow takes it). */
  images: Packed;
  /** Each row's Kafka record key, UTF-8; null for a table without a key. */
  keys: Packed | null;
  /** Each row's partition. */
  partitions: Uint32Array;
  /** Each row's keyIdentity of its chunk-key cells; null for a table without a key. */
  identities: Packed | null;
  /** Each row's resume cursor (the one right after it), as JSON; null for a table without a key. */
  cursors: Packed | null;
  /** Resume after this; null once the table is exhausted. */
  last: ChunkCursor | null;
  /** The binlog end noted right after the chunk's SELECT: the window's high watermark. */
  high: FileOffset;
}

/** Where a table's rows go: their format and object name in Kafka, and how they are partitioned. */
export interface Placement {
  format: FormatName;
  objectName: string;
  partitioning: PartitioningMode;
  partitions: number;
  /** tables[].partitionKey: the columns the partition is hashed from instead of the key. */
  partitionKey?: readonly string[];
  /** tables[].filter: copied rows that do not meet it are not written. */
  filter?: string;
}

/** How rows of one table become an EncodedChunk: built once per table (chunkEncoding). */
export interface ChunkEncoding {
  schema: TableSchema;
  keyIndexes: readonly number[];
  recordKey: (change: RowChange) => string | null;
  /** What the partition is hashed from when not the key (tables[].partitionKey). */
  partitionBy: ((change: RowChange) => string | null) | null;
  /** tables[].filter: the same decision as for binlog rows (table-filter.ts); null: every row. */
  matches: RowMatcher | null;
  /** What each row's part of its record is (snapshotRowsEncoder). */
  rows: SnapshotRowsEncoder;
  placement: Placement;
}

export function chunkEncoding(
  schema: TableSchema,
  keyIndexes: readonly number[],
  placement: Placement,
): ChunkEncoding {
  const { objectName, partitionKey, filter } = placement;
  return {
    schema,
    keyIndexes,
    recordKey: recordKeyFor(schema, objectName),
    partitionBy: partitionKey ? partitionKeyFor(schema, objectName, partitionKey) : null,
    matches: filter ? rowMatcher(filter, schema, objectName) : null,
    rows: snapshotRowsEncoder(placement.format, schema),
    placement,
  };
}

export function encodeChunk(
  how: ChunkEncoding,
  chunk: { rows: DtsValue[][]; cursors: ChunkCursor[]; last: ChunkCursor | null },
  high: FileOffset,
): EncodedChunk {
  const { objectName, partitioning, partitions: count } = how.placement;
  const { matches, partitionBy } = how;
  // Rows the filter leaves out are dropped; the chunk's end cursor stays, so the copy resumes
  // after them too.
  const kept = matches ? chunk.rows.flatMap((row, i) => (matches(row) ? [i] : [])) : null;
  const rows = kept ? kept.map((i) => chunk.rows[i]!) : chunk.rows;
  const cursors = kept ? kept.map((i) => chunk.cursors[i]!) : chunk.cursors;
  const keyed = how.keyIndexes.length > 0;
  const keys: string[] = [];
  const identities: string[] = [];
  const partitions = new Uint32Array(rows.length);
  // Only the key functions read it: one change object for the whole chunk.
  const change: RowChange = {
    operation: 'INIT',
    table: how.schema,
    before: null,
    after: null,
    position: { file: '', offset: 0, gtid: '', timestamp: 0 },
  };
  for (let i = 0; i < rows.length; i++) {
    change.after = rows[i]!;
    const key = how.recordKey(change);
    if (key !== null) keys.push(key);
    partitions[i] = choosePartition(partitioning, count, objectName, partitionBy ? partitionBy(change) : key);
    if (keyed) identities.push(keyIdentity(rows[i]!, how.keyIndexes));
  }
  const images = how.rows(rows);
  return {
    count: rows.length,
    images: { bytes: images.bytes, ends: images.ends },
    keys: keys.length === rows.length && rows.length > 0 ? pack(keys) : null,
    partitions,
    identities: keyed ? pack(identities) : null,
    cursors: keyed ? pack(cursors.map((c) => JSON.stringify(c))) : null,
    last: chunk.last,
    high,
  };
}

/** The buffers to transfer with a chunk. */
export function transferables(chunk: EncodedChunk): ArrayBuffer[] {
  const all = [chunk.images, chunk.keys, chunk.identities, chunk.cursors].flatMap((p) =>
    p ? [p.bytes.buffer, p.ends.buffer] : [],
  );
  return [...all, chunk.partitions.buffer] as ArrayBuffer[];
}

function pack(strings: readonly string[]): Packed {
  const ends = new Uint32Array(strings.length);
  let size = 0;
  for (let i = 0; i < strings.length; i++) {
    size += Buffer.byteLength(strings[i]!);
    ends[i] = size;
  }
  // Not from Buffer's shared pool: this memory is transferred away.
  const bytes = Buffer.allocUnsafeSlow(size);
  for (let i = 0, at = 0; i < strings.length; i++) at += bytes.write(strings[i]!, at);
  return { bytes, ends };
}

/** Item `i` of `packed`, as a Buffer over the same memory. */
export function bytesAt(packed: Packed, i: number): Buffer {
  const start = i > 0 ? packed.ends[i - 1]! : 0;
  return Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset + start, packed.ends[i]! - start);
}

export const stringAt = (packed: Packed, i: number): string => bytesAt(packed, i).toString('utf8');
