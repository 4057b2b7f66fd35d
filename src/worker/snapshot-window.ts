// The read-only watermark method for one snapshot chunk. A window opens before the chunk's SELECT;
// from then on every key of the table that a binlog event touches is recorded. When the chunk
// arrives with the binlog end noted after it (the high watermark), its rows with touched keys are
// dropped, and further touches keep dropping rows until the stream passes the high watermark; the
// rest are then emitted as INIT records. Touched rows need no INIT record: the event that touched
// them carries the full row (binlog_row_image=FULL) and sits in the stream before or after the
// INIT point as it should. Dropping a row touched before the SELECT is harmless for the same reason.
import type { DtsValue } from '../format/dts-avro/values.ts';
import type { FileOffset } from '../source/binlog/position-order.ts';
import type { TableSchema } from '../source/row-change.ts';
import type { ChunkCursor } from '../source/snapshot/chunk-plan.ts';
import { keyIdentity } from '../source/snapshot/chunk-reader.ts';

export interface ChunkRows {
  schema: TableSchema;
  rows: DtsValue[][];
  /** Per row, the cursor after it (empty for a table without a key). */
  cursors: ChunkCursor[];
}

export interface SnapshotWindow {
  readonly table: string;
  /** Records the keys of a row image the stream produced for this table. */
  touch(cells: readonly DtsValue[] | null): void;
  /** The chunk and its high watermark; rows touched so far are dropped now. */
  fill(chunk: ChunkRows, high: FileOffset): void;
  /** The high watermark once filled. */
  high(): FileOffset | null;
  /** The surviving rows (with their cursors), in key order. */
  survivors(): { schema: TableSchema; rows: { cells: DtsValue[]; cursor: ChunkCursor | null }[] };
}

export function openSnapshotWindow(table: string, keyIndexes: readonly number[]): SnapshotWindow {
  const touched = new Set<string>();
  let chunk: ChunkRows | null = null;
  let highMark: FileOffset | null = null;
  // Index of each pending row by key, to drop it when the stream touches it later. Built on the
  // first touch after the chunk arrived: a table nobody writes to never pays for it.
  let pending: Map<string, number> | null = null;
  const dropped = new Set<number>();
  const identity = (cells: readonly DtsValue[]) => keyIdentity(cells, keyIndexes);
  const indexChunk = (c: ChunkRows) => {
    pending = new Map();
    c.rows.forEach((cells, i) => {
      const id = identity(cells);
      if (touched.has(id)) dropped.add(i);
      else pending!.set(id, i);
    });
  };

  return {
    table,
    touch(cells) {
      if (cells === null || keyIndexes.length === 0) return;
      const id = identity(cells);
      touched.add(id);
      if (chunk && !pending) indexChunk(chunk);
      const at = pending?.get(id);
      if (at !== undefined) dropped.add(at);
    },
    fill(c, high) {
      chunk = c;
      highMark = high;
      if (keyIndexes.length > 0 && touched.size > 0) indexChunk(c);
    },
    high: () => highMark,
    survivors() {
      if (!chunk) throw new Error(`window on ${table} has no chunk`);
      const c = chunk;
      return {
        schema: c.schema,
        rows: c.rows.flatMap((cells, i) => (dropped.has(i) ? [] : [{ cells, cursor: c.cursors[i] ?? null }])),
      };
    },
  };
}
