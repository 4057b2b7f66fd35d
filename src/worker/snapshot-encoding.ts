// What a snapshot thread hands the pipeline for one chunk: per row, the record's encoded images,
// its Kafka key and partition, and its chunk-key cells, which the window matches stream rows by
// and the resume cursor is made of. The images are most of a record's encoding cost and need
// neither the record's id nor its position, which only the pipeline knows when it queues the row.
// Everything is packed in typed arrays that are transferred, not copied, to the worker's thread:
// cloning ten thousand strings and objects per chunk cost more than it saved. Pure.
import { snapshotRowsEncoder } from '../format/formats.ts';
import type { FormatName, SnapshotRowsEncoder } from '../format/record-format.ts';
import { choosePartition, type PartitioningMode } from '../sink/partitioner.ts';
import type { FileOffset } from '../source/binlog/position-order.ts';
import { type CellConverter, snapshotCellForm, snapshotConverter } from '../source/mysql/value-converters.ts';
import type { RowChange, SnapshotRow, TableSchema } from '../source/row-change.ts';
import { type ChunkCursor, cursorOf } from '../source/snapshot/chunk-plan.ts';
import { keyIdentity } from '../source/snapshot/chunk-reader.ts';
import { partitionKeyFor, recordKeyColumns, recordKeyFor } from './record-key.ts';
import { type RowMatcher, rowMatcher } from './table-filter.ts';

/** Byte strings end to end: string i is `bytes[ends[i - 1] ?? 0 .. ends[i]]`. */
export interface Packed {
  bytes: Uint8Array;
  ends: Uint32Array;
}

export interface EncodedChunk {
  /** Rows in key order. */
  count: number;
  /** Each row's part of its record, in the job's format (a TableEncoder's snapshotRows takes it). */
  images: Packed;
  /** Each row's Kafka record key, UTF-8; null for a table without a key. */
  keys: Packed | null;
  /** Each row's partition. */
  partitions: Uint32Array;
  /** The chunk key's columns; empty for a table without a key. */
  keyColumns: string[];
  /**
   * Each row's chunk-key cells as the SELECT returned them, row i's cell j at `i * keyColumns.length
   * + j`; null without a key. Made into a row's identity or cursor only when the pipeline needs one
   * (identitiesOf, cursorAt): most rows never.
   */
  keyCells: Packed | null;
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
  /** The columns the key, partition and filter read, converted to DtsValues; no other cell is. */
  read: readonly { index: number; convert: CellConverter }[];
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
  const names = new Set(
    filter ? schema.columns.map((c) => c.name) : [...recordKeyColumns(schema), ...(partitionKey ?? [])],
  );
  return {
    schema,
    keyIndexes,
    recordKey: recordKeyFor(schema, objectName),
    partitionBy: partitionKey ? partitionKeyFor(schema, objectName, partitionKey) : null,
    matches: filter ? rowMatcher(filter, schema, objectName) : null,
    read: schema.columns.flatMap((column, index) =>
      names.has(column.name) ? [{ index, convert: snapshotConverter(column) }] : [],
    ),
    rows: snapshotRowsEncoder(placement.format, schema, schema.columns.map(snapshotCellForm)),
    placement,
  };
}

export function encodeChunk(
  how: ChunkEncoding,
  chunk: { rows: readonly SnapshotRow[]; last: ChunkCursor | null },
  high: FileOffset,
): EncodedChunk {
  const { objectName, partitioning, partitions: count } = how.placement;
  const { matches, partitionBy, keyIndexes, read } = how;
  // Only the key, partition and filter functions read it, right away: one change object and one
  // row of cells for the whole chunk.
  const cells = new Array(how.schema.columns.length).fill(null);
  const change: RowChange = {
    operation: 'INIT',
    table: how.schema,
    before: null,
    after: cells,
    position: { file: '', offset: 0, gtid: '', timestamp: 0 },
  };
  // Rows the filter leaves out are dropped; the chunk's end cursor stays, so the copy resumes
  // after them too.
  const rows: SnapshotRow[] = [];
  const keys: string[] = [];
  const partitions: number[] = [];
  for (const row of chunk.rows) {
    for (const { index, convert } of read) cells[index] = convert(row[index]);
    if (matches && !matches(cells)) continue;
    rows.push(row);
    const key = how.recordKey(change);
    if (key !== null) keys.push(key);
    partitions.push(
      choosePartition(partitioning, count, objectName, partitionBy ? partitionBy(change) : key),
    );
  }
  const images = how.rows(rows);
  const keyed = keyIndexes.length > 0;
  return {
    count: rows.length,
    images: { bytes: images.bytes, ends: images.ends },
    keys: keys.length === rows.length && rows.length > 0 ? pack(keys) : null,
    partitions: Uint32Array.from(partitions),
    keyColumns: keyIndexes.map((i) => how.schema.columns[i]!.name),
    keyCells: keyed ? packCells(rows, keyIndexes) : null,
    last: chunk.last,
    high,
  };
}

/** Row i's keyIdentity in a chunk of `schema`'s rows, made of its key cells as the stream's rows are. */
export function identitiesOf(schema: TableSchema, chunk: EncodedChunk): (i: number) => string {
  const { keyColumns, keyCells } = chunk;
  const converters = keyColumns.map((name) =>
    snapshotConverter(schema.columns.find((c) => c.name === name)!),
  );
  const positions = converters.map((_, j) => j);
  return (i) =>
    keyIdentity(
      converters.map((convert, j) => convert(bytesAt(keyCells!, i * converters.length + j))),
      positions,
    );
}

/** The resume cursor right after row i; null for a table without a key. */
export function cursorAt(chunk: EncodedChunk, i: number): ChunkCursor | null {
  const { keyColumns, keyCells } = chunk;
  if (!keyCells) return null;
  return cursorOf(
    keyColumns,
    keyColumns.map((_, j) => bytesAt(keyCells, i * keyColumns.length + j)),
  );
}

/** The buffers to transfer with a chunk. */
export function transferables(chunk: EncodedChunk): ArrayBuffer[] {
  const all = [chunk.images, chunk.keys, chunk.keyCells].flatMap((p) =>
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

/** The cells at `positions` of every row, end to end (a key cell is never NULL). */
function packCells(rows: readonly SnapshotRow[], positions: readonly number[]): Packed {
  const ends = new Uint32Array(rows.length * positions.length);
  let size = 0;
  let n = 0;
  for (const row of rows) for (const p of positions) ends[n++] = size += row[p]!.length;
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const row of rows) for (const p of positions) at += row[p]!.copy(bytes, at);
  return { bytes, ends };
}

/** Item `i` of `packed`, as a Buffer over the same memory. */
export function bytesAt(packed: Packed, i: number): Buffer {
  const start = i > 0 ? packed.ends[i - 1]! : 0;
  return Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset + start, packed.ends[i]! - start);
}
