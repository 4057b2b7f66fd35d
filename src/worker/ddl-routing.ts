// Pure decisions about DDL statements against a job's routing: where its DDL record goes, and
// which selected tables it renames out of the selection.
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
