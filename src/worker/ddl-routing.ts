// Pure decisions about DDL statements against a job's routing: where its DDL record goes, and
// what it does to the selection (the pipeline reports and acts on the effects, in order).
import type { DdlTarget, TableRef } from '../source/binlog/ddl-target.ts';
import type { Routing } from './routing.ts';

export interface DdlDestination {
  database: string;
  table: string | null;
  topic: string;
}

/** The first selected table the statement touches, or a selected database; null when none. */
export function ddlDestination(routing: Routing, target: DdlTarget): DdlDestination | null {
  const defaultTopic = routing.topics[0]!;
  if (target.kind === 'database') {
    const db = routing.targetDatabase(target.database);
    return db === null ? null : { database: db, table: null, topic: defaultTopic };
  }
  const refs =
    target.kind === 'rename'
      ? target.renames.map((r) => r.from)
      : target.kind === 'other'
        ? []
        : target.tables;
  for (const ref of refs) {
    const route = routing.route(ref.database, ref.table);
    if (route) return { database: route.targetDatabase, table: route.targetTable, topic: route.topic };
  }
  return null;
}

/** Selected tables renamed to a name that is not selected: they stop syncing. */
export function renamesOutOfSelection(
  routing: Routing,
  target: DdlTarget,
): { from: TableRef; to: TableRef; objectName: string }[] {
  if (target.kind !== 'rename') return [];
  return target.renames.flatMap(({ from, to }) => {
    const was = routing.route(from.database, from.table);
    return was && !routing.route(to.database, to.table) ? [{ from, to, objectName: was.objectName }] : [];
  });
}

/** Selected tables the statement drops; `listed` when spec.objects names them. */
export function droppedSelectedTables(
  routing: Routing,
  target: DdlTarget,
): { objectName: string; listed: boolean }[] {
  if (target.kind !== 'drop') return [];
  return target.tables.flatMap((t) => {
    const route = routing.route(t.database, t.table);
    return route ? [{ objectName: route.objectName, listed: routing.listed(t.database, t.table) }] : [];
  });
}

/**
 * What a statement does to the job: a table spec.objects names is dropped (stop: it cannot be
 * synced any more), a table that was only part of a selected database is dropped (it just ends,
 * like it began), a selected table is renamed out of the selection (it no longer syncs).
 */
export type DdlEffect =
  | { kind: 'stop'; objectName: string }
  | { kind: 'notice'; reason: string; message: string }
  | { kind: 'warn'; reason: string; message: string; details: { from: TableRef; to: TableRef } };

export function ddlEffects(routing: Routing, target: DdlTarget): DdlEffect[] {
  const effects: DdlEffect[] = droppedSelectedTables(routing, target).map((d) =>
    d.listed
      ? { kind: 'stop', objectName: d.objectName }
      : {
          kind: 'notice',
          reason: 'TableDropped',
          message: `table ${d.objectName} was dropped on the source; it no longer syncs`,
        },
  );
  for (const r of renamesOutOfSelection(routing, target)) {
    effects.push({
      kind: 'warn',
      reason: 'TableRenamedOutOfSelection',
      message: `table ${r.from.database}.${r.from.table} was renamed to ${r.to.database}.${r.to.table}, which is not selected: ${r.objectName} no longer syncs`,
      details: { from: r.from, to: r.to },
    });
  }
  return effects;
}
