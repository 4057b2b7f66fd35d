import { describe, expect, it } from 'vitest';
import type { JobOffset } from '../../../src/offsets/job-offset.ts';
import { createOffsetTracker, jobOffsetAt } from '../../../src/worker/offset-tracker.ts';

const resumeAt = (rowsDone: number): JobOffset => ({
  version: 1,
  binlog: { file: 'b.000002', position: 400, gtid: '0-1-9', rowsDone },
  nextId: 57,
});

describe('the offset tracker', () => {
  it('starts a new job at record id 1 and counts the rows of each transaction', () => {
    const t = createOffsetTracker(null);
    expect(t.takeId()).toBe(1);
    expect(t.fresh({ file: 'b.000001', offset: 4 })).toBe(true);
    expect(t.fresh({ file: 'b.000001', offset: 4 })).toBe(true);
    expect(t.rowsDone).toBe(2);
    t.endTransaction();
    expect(t.rowsDone).toBe(0);
    expect(t.nextId).toBe(2);
  });

  it('on resume skips the rows of the stored transaction already in Kafka, then counts on', () => {
    const t = createOffsetTracker(resumeAt(2));
    const at = { file: 'b.000002', offset: 400 };
    expect([t.fresh(at), t.fresh(at), t.fresh(at)]).toEqual([false, false, true]);
    expect(t.rowsDone).toBe(3);
    expect(t.takeId()).toBe(57);
  });

  it('skips nothing once the stream is past the stored transaction', () => {
    const t = createOffsetTracker(resumeAt(2));
    expect(t.fresh({ file: 'b.000002', offset: 900 })).toBe(true);
    // The skip is over for good: the same position later is new data.
    expect(t.fresh({ file: 'b.000002', offset: 400 })).toBe(true);
    const u = createOffsetTracker(resumeAt(2));
    u.endTransaction();
    expect(u.fresh({ file: 'b.000002', offset: 400 })).toBe(true);
  });

  it('builds the job offset of a point in the stream, snapshot progress only when there is some', () => {
    const position = { file: 'b.000003', offset: 120, gtid: '0-1-12', timestamp: 0 };
    expect(jobOffsetAt({ position, rowsDone: 3, nextId: 9, snapshot: undefined })).toEqual({
      version: 1,
      binlog: { file: 'b.000003', position: 120, gtid: '0-1-12', rowsDone: 3 },
      nextId: 9,
    });
    const snapshot = { tables: { 'd.t': { cursor: [5] } }, initialized: ['d.u'] };
    expect(jobOffsetAt({ position, rowsDone: 0, nextId: 9, snapshot }).snapshot).toEqual(snapshot);
  });
});
