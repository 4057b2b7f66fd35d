import { describe, expect, it } from 'vitest';
import { integer } from '../../../src/format/dts-avro/values.ts';
import { comparePositions } from '../../../src/source/binlog/position-order.ts';
import type { TableSchema } from '../../../src/source/row-change.ts';
import { openSnapshotWindow } from '../../../src/worker/snapshot-window.ts';

const schema = {
  database: 'd',
  table: 't',
  columns: [],
  primaryKey: ['id'],
  uniqueKeys: {},
} as unknown as TableSchema;
const row = (id: number, v: number) => [integer(10, String(id)), integer(10, String(v))];
const cursor = (id: number) => ({ key: ['id'], hex: [Buffer.from(String(id)).toString('hex')] });

describe('snapshot window', () => {
  it('drops rows touched before the chunk arrived and while waiting for the high watermark', () => {
    const w = openSnapshotWindow('d.t', [0]);
    w.touch(row(2, 99)); // between opening and the SELECT
    w.fill(
      { schema, rows: [row(1, 1), row(2, 2), row(3, 3), row(4, 4)], cursors: [1, 2, 3, 4].map(cursor) },
      { file: 'b.000001', offset: 100 },
    );
    w.touch(row(4, 44)); // after the SELECT, before the high watermark
    w.touch(null);
    expect(w.survivors().rows).toEqual([
      { cells: row(1, 1), cursor: cursor(1) },
      { cells: row(3, 3), cursor: cursor(3) },
    ]);
  });

  it('indexes the chunk only when a touch comes after it arrived, and still drops that row', () => {
    const w = openSnapshotWindow('d.t', [0]);
    w.fill(
      { schema, rows: [row(1, 1), row(2, 2)], cursors: [1, 2].map(cursor) },
      { file: 'b.000001', offset: 9 },
    );
    expect(w.survivors().rows.map((r) => r.cursor)).toEqual([cursor(1), cursor(2)]);
    w.touch(row(1, 10));
    expect(w.survivors().rows).toEqual([{ cells: row(2, 2), cursor: cursor(2) }]);
  });

  it('keeps every row of a key-less table (a full scan, flagged elsewhere)', () => {
    const w = openSnapshotWindow('d.t', []);
    w.touch(row(1, 9));
    w.fill({ schema, rows: [row(1, 1)], cursors: [] }, { file: 'b.000001', offset: 1 });
    expect(w.survivors().rows).toEqual([{ cells: row(1, 1), cursor: null }]);
  });
});

describe('comparePositions', () => {
  it('orders by file sequence number, then offset', () => {
    expect(comparePositions({ file: 'b.000009', offset: 900 }, { file: 'b.000010', offset: 4 })).toBeLessThan(
      0,
    );
    expect(
      comparePositions({ file: 'b.000010', offset: 5 }, { file: 'b.000010', offset: 4 }),
    ).toBeGreaterThan(0);
    expect(comparePositions({ file: 'b.000010', offset: 4 }, { file: 'b.000010', offset: 4 })).toBe(0);
  });
});
