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
    expect(t.fresh({ file: 'b.000001', offset: 4, gtid: '' })).toBe(true);
    expect(t.fresh({ file: 'b.000001', offset: 4, gtid: '' })).toBe(true);
    expect(t.rowsDone).toBe(2);
    t.endTransaction();
    expect(t.rowsDone).toBe(0);
    expect(t.nextId).toBe(2);
  });

  it('on resume skips the rows of the stored transaction already in Kafka, then counts on', () => {
    const t = createOffsetTracker(resumeAt(2));
    const at = { file: 'b.000002', offset: 400, gtid: '0-1-9' };
    expect([t.fresh(at), t.fresh(at), t.fresh(at)]).toEqual([false, false, true]);
    expect(t.rowsDone).toBe(3);
    expect(t.takeId()).toBe(57);
  });

  it('finds the stored transaction by its GTID on another server (a failover), by position without one', () => {
    const promoted = createOffsetTracker(resumeAt(1));
    const there = { file: 'replica-bin.000007', offset: 12_345, gtid: '0-1-9' };
    expect([promoted.fresh(there), promoted.fresh(there)]).toEqual([false, true]);
    const legacy = createOffsetTracker({ ...resumeAt(1), binlog: { ...resumeAt(1).binlog, gtid: '' } });
    expect(legacy.fresh({ file: 'b.000002', offset: 400, gtid: '0-1-9' })).toBe(false);
  });

  it('skips nothing once the stream is past the stored transaction', () => {
    const t = createOffsetTracker(resumeAt(2));
    expect(t.fresh({ file: 'b.000002', offset: 900, gtid: '0-1-10' })).toBe(true);
    // The skip is over for good: the same position later is new data.
    expect(t.fresh({ file: 'b.000002', offset: 400, gtid: '0-1-9' })).toBe(true);
    const u = createOffsetTracker(resumeAt(2));
    u.endTransaction();
    expect(u.fresh({ file: 'b.000002', offset: 400, gtid: '0-1-9' })).toBe(true);
  });

  it('builds the job offset of a point in the stream, snapshot progress only when there is some', () => {
    const position = { file: 'b.000003', offset: 120, gtid: '0-1-12', timestamp: 0 };
    expect(
      jobOffsetAt({
        position,
        rowsDone: 3,
        nextId: 9,
        snapshot: undefined,
        gtidPos: undefined,
        serverId: undefined,
      }),
    ).toEqual({
      version: 1,
      binlog: { file: 'b.000003', position: 120, gtid: '0-1-12', rowsDone: 3 },
      nextId: 9,
    });
    const snapshot = { tables: { 'd.t': { cursor: [5] } }, initialized: ['d.u'] };
    const at = { position, rowsDone: 0, nextId: 9, snapshot, gtidPos: '0-1-12', serverId: 7 };
    expect(jobOffsetAt(at).snapshot).toEqual(snapshot);
    expect(jobOffsetAt(at).binlog).toMatchObject({ gtidPos: '0-1-12', serverId: 7 });
  });
});
