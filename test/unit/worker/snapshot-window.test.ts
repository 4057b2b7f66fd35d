import { describe, expect, it } from 'vitest';
import { integer } from '../../../src/format/dts-avro/values.ts';
import { comparePositions } from '../../../src/source/binlog/position-order.ts';
import { keyIdentity } from '../../../src/source/snapshot/chunk-reader.ts';
import { openSnapshotWindow } from '../../../src/worker/snapshot-window.ts';

const row = (id: number, v: number) => [integer(10, String(id)), integer(10, String(v))];
const ids =
  (...keys: number[]) =>
  (i: number) =>
    keyIdentity(row(keys[i]!, 0), [0]);
const high = { file: 'b.000001', offset: 100 };

describe('snapshot window', () => {
  it('drops rows touched before the chunk arrived and while waiting for the high watermark', () => {
    const w = openSnapshotWindow('d.t', [0]);
    w.touch(row(2, 99)); // between opening and the SELECT
    w.fill(4, ids(1, 2, 3, 4), high);
    w.touch(row(4, 44)); // after the SELECT, before the high watermark
    w.touch(null);
    expect(w.survivors()).toEqual([0, 2]);
    expect(w.high()).toEqual(high);
  });

  it('indexes the chunk only when a touch comes after it arrived, and still drops that row', () => {
    const w = openSnapshotWindow('d.t', [0]);
    w.fill(2, ids(1, 2), high);
    expect(w.survivors()).toEqual([0, 1]);
    w.touch(row(1, 10));
    expect(w.survivors()).toEqual([1]);
  });

  it('keeps every row of a key-less table (a full scan, flagged elsewhere)', () => {
    const w = openSnapshotWindow('d.t', []);
    w.touch(row(1, 9));
    w.fill(
      3,
      () => {
        throw new Error('a key-less table has no identities');
      },
      high,
    );
    expect(w.survivors()).toEqual([0, 1, 2]);
  });

  it('keeps overlapping windows of one table apart: each drops only its own rows', () => {
    const first = openSnapshotWindow('d.t', [0]);
    first.fill(2, ids(1, 2), high);
    const second = openSnapshotWindow('d.t', [0]);
    for (const w of [first, second]) w.touch(row(3, 1));
    second.fill(2, ids(3, 4), { ...high, offset: 200 });
    for (const w of [first, second]) w.touch(row(2, 1));
    expect(first.survivors()).toEqual([0]);
    expect(second.survivors()).toEqual([1]);
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
