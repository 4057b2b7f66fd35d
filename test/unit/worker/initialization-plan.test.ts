import { describe, expect, it } from 'vitest';
import { decodeJobOffset, encodeJobOffset, type JobOffset } from '../../../src/offsets/job-offset.ts';
import { ddlTarget } from '../../../src/source/binlog/ddl-target.ts';
import {
  initializationComplete,
  planInitialization,
  progressAfterDdl,
} from '../../../src/worker/initialization-plan.ts';

const end = { file: 'bin.000007', offset: 900 };
const offset = (snapshot?: JobOffset['snapshot']): JobOffset => ({
  version: 1,
  binlog: { file: 'bin.000005', position: 300, gtid: '0-1-9', rowsDone: 0 },
  nextId: 40,
  ...(snapshot ? { snapshot } : {}),
});
const plan = (over: Partial<Parameters<typeof planInitialization>[0]> = {}) =>
  planInitialization({
    stored: null,
    selected: ['d.a', 'd.b'],
    binlogEnd: end,
    data: true,
    schema: false,
    resnapshots: [],
    ...over,
  });

describe('planInitialization', () => {
  it('copies every selected table of a new job, marked as started at the binlog end', () => {
    expect(plan()).toEqual({
      progress: {
        tables: { 'd.a': { cursor: null, from: end }, 'd.b': { cursor: null, from: end } },
        initialized: [],
      },
      copy: ['d.a', 'd.b'],
      describe: [],
      unknown: [],
    });
  });

  it('copies only a table added to the selection of a job that finished initializing', () => {
    const p = plan({ stored: offset({ tables: {}, initialized: ['d.a'] }), selected: ['d.a', 'd.b', 'd.c'] });
    expect(p?.copy).toEqual(['d.b', 'd.c']);
    expect(p?.progress.initialized).toEqual(['d.a']);
  });

  it('resumes a table being copied from its cursor before starting new ones', () => {
    const p = plan({
      stored: offset({ tables: { 'd.b': { cursor: [7], from: end } }, initialized: [] }),
      selected: ['d.a', 'd.b'],
    });
    expect(p?.copy).toEqual(['d.b', 'd.a']);
    expect(p?.progress.tables['d.b']).toEqual({ cursor: [7], from: end });
  });

  it('forgets tables that left the selection', () => {
    const p = plan({
      stored: offset({ tables: { 'd.gone': { cursor: [1] } }, initialized: ['d.a', 'd.old'] }),
      selected: ['d.a'],
    });
    expect(p?.progress).toEqual({ tables: {}, initialized: ['d.a'] });
    expect(p && initializationComplete(p.progress)).toBe(true);
  });

  it('treats an offset of an earlier version without progress as every selected table done', () => {
    const p = plan({ stored: offset(), selected: ['d.a', 'd.b'] });
    expect(p?.copy).toEqual([]);
    expect(p?.progress.initialized).toEqual(['d.a', 'd.b']);
  });

  it('reads progress of an earlier version (done tables as entries) in the current shape', () => {
    const legacy = Buffer.from(
      JSON.stringify({
        ...offset(),
        snapshot: { tables: { 'd.a': { cursor: null, done: true }, 'd.b': { cursor: [3], done: false } } },
      }),
    );
    const stored = decodeJobOffset(legacy);
    expect(stored?.snapshot).toEqual({ tables: { 'd.b': { cursor: [3] } }, initialized: ['d.a'] });
    expect(plan({ stored })?.copy).toEqual(['d.b']);
    expect(decodeJobOffset(encodeJobOffset(stored!))).toEqual(stored);
  });

  it('copies the tables of a re-snapshot request once, and names tables it cannot copy', () => {
    const request = { name: 'repair-1', tables: ['d.a', 'd.x'] };
    const first = plan({
      stored: offset({ tables: {}, initialized: ['d.a', 'd.b'] }),
      resnapshots: [request],
    });
    expect(first?.copy).toEqual(['d.a']);
    expect(first?.progress).toEqual({
      tables: { 'd.a': { cursor: null, from: end } },
      initialized: ['d.b'],
      requests: ['repair-1'],
    });
    expect(first?.unknown).toEqual([{ request: 'repair-1', table: 'd.x' }]);
    const again = plan({
      stored: offset({ tables: {}, initialized: ['d.a', 'd.b'], requests: ['repair-1'] }),
      resnapshots: [request],
    });
    expect(again?.copy).toEqual([]);
    expect(again?.unknown).toEqual([]);
    // A request removed from the spec is forgotten: its name may be used again.
    expect(
      plan({ stored: offset({ tables: {}, initialized: ['d.a', 'd.b'], requests: ['repair-1'] }) })?.progress,
    ).not.toHaveProperty('requests');
  });

  it('writes the structure of tables not started yet, and with data off copies nothing', () => {
    const p = plan({
      stored: offset({ tables: {}, initialized: ['d.a'] }),
      selected: ['d.a', 'd.b'],
      data: false,
      schema: true,
    });
    expect(p).toEqual({
      progress: { tables: {}, initialized: ['d.a', 'd.b'] },
      copy: [],
      describe: ['d.b'],
      unknown: [],
    });
  });

  it('keeps no state when the job initializes nothing', () => {
    expect(plan({ data: false, schema: false })).toBeNull();
  });
});

describe('progressAfterDdl', () => {
  const selected = (ref: { database: string; table: string }) => ref.database === 'd' && ref.table !== 'skip';
  const at = { file: 'bin.000009', offset: 50 };
  const base = { tables: { 'd.copying': { cursor: [2], from: end } }, initialized: ['d.a'] };
  const applied = (sql: string, progress = base) =>
    progressAfterDdl(progress, ddlTarget(sql, 'd'), selected, at);

  it('counts a table created in the stream as initialized: the binlog holds all its rows', () => {
    expect(applied('CREATE TABLE fresh (id INT PRIMARY KEY)')).toEqual({
      progress: { ...base, initialized: ['d.a', 'd.fresh'] },
      entered: [],
    });
    expect(applied('CREATE TABLE other.t (id INT)').progress.initialized).toEqual(['d.a']);
    // IF NOT EXISTS of a table being copied: the copy goes on.
    expect(applied('CREATE TABLE IF NOT EXISTS copying (id INT)').progress).toEqual(base);
  });

  it('forgets a dropped table', () => {
    expect(applied('DROP TABLE a, copying').progress).toEqual({ tables: {}, initialized: [] });
  });

  it('copies a table renamed into the selection from where the rename is', () => {
    const r = applied('RENAME TABLE other.t TO d.t');
    expect(r.entered).toEqual(['d.t']);
    expect(r.progress.tables['d.t']).toEqual({ cursor: null, from: at });
  });

  it('keeps the state of a table renamed within the selection, and drops one renamed out of it', () => {
    expect(applied('RENAME TABLE a TO a2').progress.initialized).toEqual(['d.a2']);
    expect(applied('ALTER TABLE copying RENAME TO moved').progress.tables).toEqual({
      'd.moved': { cursor: [2], from: end },
    });
    expect(applied('RENAME TABLE a TO skip')).toEqual({
      progress: { ...base, initialized: [] },
      entered: [],
    });
  });

  it('leaves the progress of other statements alone', () => {
    const r = applied('ALTER TABLE a ADD COLUMN c INT');
    expect(r.progress).toBe(base);
  });
});
