// tables[].filter bound to one table's shape: whether a row image meets it, and what a row change
// becomes for the consumer when its images fall on different sides (an UPDATE out of the filter is
// a DELETE, into it an INSERT). The same function decides for copied rows and binlog rows.
import { ConfigError } from '../errors.ts';
import { compileFilter, filterColumns, parseFilter } from '../filter/row-filter.ts';
import { valueText } from '../format/dts-avro/render.ts';
import type { DtsValue } from '../format/dts-avro/values.ts';
import type { RowChange, TableSchema } from '../source/row-change.ts';

export type RowMatcher = (image: readonly DtsValue[]) => boolean;

/** The filter over `table`'s columns; a column the table lacks stops the job with the fix. */
export function rowMatcher(filter: string, table: TableSchema, objectName: string): RowMatcher {
  const expr = parseFilter(filter);
  const names = table.columns.map((c) => c.name);
  const missing = filterColumns(expr).filter((c) => !names.includes(c));
  if (missing.length > 0)
    throw new ConfigError(
      `the filter of ${objectName} names ${missing.join(', ')}, which the table does not have`,
      `fix tables[].filter of ${objectName} (columns: ${names.join(', ')})`,
    );
  const test = compileFilter(expr, (name) => names.indexOf(name));
  return (image) => test((i) => valueText(image[i] ?? null));
}

/** What the consumer gets for `change` under the filter: it, another operation, or nothing. */
export function filteredChange(change: RowChange, matches: RowMatcher): RowChange | null {
  const before = change.before !== null && matches(change.before);
  const after = change.after !== null && matches(change.after);
  if (change.operation !== 'UPDATE') return (change.operation === 'DELETE' ? before : after) ? change : null;
  if (before && after) return change;
  if (before) return { ...change, operation: 'DELETE', after: null };
  if (after) return { ...change, operation: 'INSERT', before: null };
  return null;
}
