// Which tables a data-changing statement touches, when the binlog carries it as SQL text
// (binlog_format STATEMENT, or MIXED for statements it deems safe) instead of row events: such
// changes cannot be synced, and a synced table among them must stop the job, not vanish.
import { refList, type TableRef, withoutComments } from './ddl-target.ts';

// Each form: what precedes the table list, and what ends it.
const FORMS: { start: RegExp; end: RegExp }[] = [
  // INSERT/REPLACE name one table: the list ends at the first space or parenthesis.
  {
    start: /^(?:INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*(?:INTO\s+)?/i,
    end: /[\s(]/,
  },
  { start: /^UPDATE\s+(?:(?:LOW_PRIORITY|IGNORE)\s+)*/i, end: /\sSET\s/i },
  {
    start: /^DELETE\s+(?:(?:LOW_PRIORITY|QUICK|IGNORE)\s+)*(?:FROM\s+)?/i,
    end: /\s(?:WHERE|ORDER|LIMIT|RETURNING)\s/i,
  },
  { start: /^LOAD\s+(?:DATA|XML)\s[\s\S]*?\sINTO\s+TABLE\s+/i, end: /\s/ },
];

// Words of a table list that are not tables (a table of such a name would need back-quotes).
const KEYWORDS = new Set([
  'FROM',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'OUTER',
  'CROSS',
  'NATURAL',
  'STRAIGHT_JOIN',
  'ON',
  'USING',
  'AS',
]);

/**
 * The tables a DML statement names, over-approximated (aliases and join conditions of a
 * multi-table UPDATE or DELETE count too, so none is missed); null when it is not DML.
 */
export function dmlStatementTables(sql: string, defaultDb: string): TableRef[] | null {
  const text = withoutComments(sql);
  for (const { start, end } of FORMS) {
    const m = start.exec(text);
    if (!m) continue;
    const rest = text.slice(m[0].length);
    const stop = rest.search(end);
    return refList(stop < 0 ? rest : rest.slice(0, stop), defaultDb).filter(
      (ref) => !(ref.database === defaultDb && KEYWORDS.has(ref.table.toUpperCase())),
    );
  }
  return null;
}
