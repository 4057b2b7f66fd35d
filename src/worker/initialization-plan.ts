// Which tables a worker initializes when it starts: a pure decision from the stored offset, the
// tables the spec selects now and the re-snapshot requests. The offset names every initialized
// table, so a table that enters the selection (a spec edit, a whole database selected) is copied
// on the next start like the first ones were, and a table that left it is forgotten.
import type { JobOffset, SnapshotProgress } from '../offsets/job-offset.ts';
import type { DdlTarget, TableRef } from '../source/binlog/ddl-target.ts';
import type { FileOffset } from '../source/binlog/position-order.ts';

/** A request to copy tables again (spec.initialization.resnapshots): handled once per name. */
export interface ResnapshotRequest {
  name: string;
  /** `database.table` */
  tables: readonly string[];
}

export interface InitializationPlanInput {
  /** The stored offset; null for a new job. */
  stored: JobOffset | null;
  /** `database.table` of every selected table that exists now. */
  selected: readonly string[];
  /** The binlog end now: every row a copy planned here reads is at least as new. */
  binlogEnd: FileOffset;
  data: boolean;
  schema: boolean;
  resnapshots: readonly ResnapshotRequest[];
}

export interface InitializationPlan {
  /** The progress this run starts from (what the job offset carries from its first write on). */
  progress: SnapshotProgress;
  /** Tables whose rows are to be copied, in order; resumed ones (a cursor) first. */
  copy: string[];
  /** Tables whose structure record (SHOW CREATE TABLE) is still to be written. */
  describe: string[];
  /** Tables of requests not handled yet that are not selected (or do not exist): a spec error. */
  unknown: { request: string; table: string }[];
}

/** Null when the job keeps no initialization state (neither data nor schema is initialized). */
export function planInitialization(input: InitializationPlanInput): InitializationPlan | null {
  if (!input.data && !input.schema) return null;
  const selected = new Set(input.selected);
  const stored = input.stored;
  // An offset without progress was written by an earlier version once initialization had
  // finished: the tables selected then are not known, so every table selected now counts as done.
  const base: SnapshotProgress =
    stored === null
      ? { tables: {}, initialized: [] }
      : (stored.snapshot ?? { tables: {}, initialized: [...input.selected] });

  const initialized = new Set(base.initialized.filter((t) => selected.has(t)));
  const tables: SnapshotProgress['tables'] = {};
  for (const [t, p] of Object.entries(base.tables)) if (selected.has(t)) tables[t] = p;
  const handled = new Set(base.requests ?? []);
  const requests: string[] = [];
  const unknown: InitializationPlan['unknown'] = [];
  for (const request of input.resnapshots) {
    requests.push(request.name);
    if (handled.has(request.name)) continue;
    for (const t of request.tables) {
      if (!selected.has(t)) {
        unknown.push({ request: request.name, table: t });
        continue;
      }
      initialized.delete(t);
      tables[t] = { cursor: null, from: input.binlogEnd };
    }
  }

  const describe: string[] = [];
  const fresh = new Set<string>();
  for (const t of input.selected) {
    if (initialized.has(t) || tables[t] !== undefined) continue;
    // Marked as started at once: a restart neither writes its structure again nor skips its rows.
    tables[t] = { cursor: null, from: input.binlogEnd };
    if (input.schema) describe.push(t);
    fresh.add(t);
  }
  const resumed = input.selected.filter((t) => tables[t] !== undefined && !fresh.has(t));
  let copy = [...resumed, ...fresh];
  if (!input.data) {
    // Structure only: written before the stream starts, so every table is done with it.
    for (const t of copy) {
      delete tables[t];
      initialized.add(t);
    }
    copy = [];
  }
  return {
    progress: {
      tables,
      initialized: input.selected.filter((t) => initialized.has(t)),
      ...(requests.length > 0 ? { requests } : {}),
    },
    copy,
    describe,
    unknown,
  };
}

/** Whether every table the progress knows has been copied. */
export const initializationComplete = (p: SnapshotProgress): boolean => Object.keys(p.tables).length === 0;

/**
 * The progress after a DDL statement of the stream: a table created later needs no copy (the
 * binlog holds all its rows), a dropped one is forgotten, a renamed one keeps its state under the
 * new name, and one renamed into the selection enters it: its rows are copied (`entered`).
 */
export function progressAfterDdl(
  progress: SnapshotProgress,
  target: DdlTarget,
  selected: (ref: TableRef) => boolean,
  at: FileOffset,
): { progress: SnapshotProgress; entered: string[] } {
  const name = (ref: TableRef) => `${ref.database}.${ref.table}`;
  const tables = { ...progress.tables };
  const initialized = new Set(progress.initialized);
  const entered: string[] = [];
  const forget = (t: string) => {
    delete tables[t];
    initialized.delete(t);
  };
  if (target.kind === 'create') {
    for (const ref of target.tables) {
      const t = name(ref);
      // Being copied (a CREATE … IF NOT EXISTS of a table that was there): the copy goes on.
      if (selected(ref) && tables[t] === undefined) initialized.add(t);
    }
  } else if (target.kind === 'drop') {
    for (const ref of target.tables) forget(name(ref));
  } else if (target.kind === 'rename') {
    for (const { from, to } of target.renames) {
      const [f, t] = [name(from), name(to)];
      const state = initialized.has(f) ? 'initialized' : tables[f];
      forget(f);
      if (!selected(to)) continue;
      if (state === 'initialized') initialized.add(t);
      else if (state !== undefined && selected(from)) tables[t] = state;
      else {
        tables[t] = { cursor: null, from: { file: at.file, offset: at.offset } };
        entered.push(t);
      }
    }
  } else {
    return { progress, entered };
  }
  return { progress: { ...progress, tables, initialized: [...initialized] }, entered };
}
