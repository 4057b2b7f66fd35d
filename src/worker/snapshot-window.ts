// The read-only watermark method for one snapshot chunk. A window opens before the chunk's SELECT;
// from then on every key of the table that a binlog event touches is recorded. When the chunk
// arrives with the binlog end noted after it (the high watermark), its rows with touched keys are
// dropped, and further touches keep dropping rows until the stream passes the high watermark; the
// rest are then emitted as INIT records. Touched rows need no INIT record: the event that touched
// them carries the full row (binlog_row_image=FULL) and sits in the stream before or after the
// INIT point as it should. Dropping a row touched before the SELECT is harmless for the same reason.
// Windows of one table may overlap (the next chunk is read while this one waits); each keeps its
// own record, so they are independent.
import type { DtsValue } from '../format/dts-avro/values.ts';
import type { FileOffset } from '../source/binlog/position-order.ts';
import { keyIdentity } from '../source/snapshot/chunk-reader.ts';

export interface SnapshotWindow {
  readonly table: string;
  /** Records the keys of a row image the stream produced for this table. */
  touch(cells: readonly DtsValue[] | null): void;
  /**
   * The chunk: its `count` rows, row i's keyIdentity (asked only once the stream touched the
   * table; never for a table without a key, where nothing is dropped), and its high watermark.
   * Rows touched so far are dropped now.
   */
  fill(count: number, identityAt: (i: number) => string, high: FileOffset): void;
  /** The high watermark once filled. */
  high(): FileOffset | null;
  /** The indexes of the surviving rows, in key order. */
  survivors(): number[];
}

export function openSnapshotWindow(table: string, keyIndexes: readonly number[]): SnapshotWindow {
  const touched = new Set<string>();
  let chunk: { count: number; identityAt: (i: number) => string } | null = null;
  let highMark: FileOffset | null = null;
  // Index of each pending row by key, to drop it when the stream touches it later. Built on the
  // first touch after the chunk arrived: a table nobody writes to never pays for it.
  let pending: Map<string, number> | null = null;
  const dropped = new Set<number>();
  const indexChunk = (c: NonNullable<typeof chunk>) => {
    const index = new Map<string, number>();
    for (let i = 0; i < c.count; i++) {
      const id = c.identityAt(i);
      if (touched.has(id)) dropped.add(i);
      else index.set(id, i);
    }
    pending = index;
  };

  return {
    table,
    touch(cells) {
      if (cells === null || keyIndexes.length === 0) return;
      const id = keyIdentity(cells, keyIndexes);
      touched.add(id);
      if (chunk && !pending) indexChunk(chunk);
      const at = pending?.get(id);
      if (at !== undefined) dropped.add(at);
    },
    fill(count, identityAt, high) {
      chunk = { count, identityAt };
      highMark = high;
      if (keyIndexes.length > 0 && touched.size > 0) indexChunk(chunk);
    },
    high: () => highMark,
    survivors() {
      if (!chunk) throw new Error(`window on ${table} has no chunk`);
      const kept: number[] = [];
      for (let i = 0; i < chunk.count; i++) if (!dropped.has(i)) kept.push(i);
      return kept;
    },
  };
}
