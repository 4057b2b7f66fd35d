import { describe, expect, it } from 'vitest';
import { SyncError } from '../../../src/errors.ts';
import type { JobOffset } from '../../../src/offsets/job-offset.ts';
import { resumePoint } from '../../../src/worker/resume-point.ts';

const stored = (binlog: Partial<JobOffset['binlog']>): JobOffset => ({
  version: 1,
  binlog: { file: 'binlog.000003', position: 900, gtid: '0-1-41', rowsDone: 0, ...binlog },
  nextId: 10,
});
const end = { mode: 'end' } as const;

describe('resumePoint', () => {
  it('resumes by file and offset on the server the offset was written on', () => {
    expect(resumePoint(stored({ serverId: 1, gtidPos: '0-1-41' }), end, 1)).toEqual({
      start: { mode: 'file', file: 'binlog.000003', position: 900 },
      moved: false,
    });
    // Earlier versions did not note the server.
    expect(resumePoint(stored({}), end, 2).moved).toBe(false);
  });

  it('resumes by GTID position on another server (a promoted replica)', () => {
    expect(resumePoint(stored({ serverId: 1, gtidPos: '0-1-41,1-1-7' }), end, 2)).toEqual({
      start: { mode: 'gtid', gtidSet: '0-1-41,1-1-7' },
      moved: true,
    });
  });

  it('stops with SourceServerChanged when another server has no GTID position to resume from', () => {
    const attempt = () => resumePoint(stored({ serverId: 1 }), end, 2);
    expect(attempt).toThrow(SyncError);
    expect(attempt).toThrow(/server_id 1.*server_id 2/);
  });

  it('starts a new job where the spec says', () => {
    expect(resumePoint(null, end, 1).start).toEqual(end);
    expect(resumePoint(null, { mode: 'gtid', gtidSet: '0-1-5' }, 1).start).toEqual({
      mode: 'gtid',
      gtidSet: '0-1-5',
    });
    expect(resumePoint(null, { mode: 'file', file: 'b.000001', position: 4 }, 1).start).toEqual({
      mode: 'file',
      file: 'b.000001',
      position: 4,
    });
  });
});
