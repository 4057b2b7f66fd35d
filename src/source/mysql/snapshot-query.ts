// How the snapshot must read rows so that its values are what snapshotConverter expects: every
// cell as the raw bytes of MySQL's text protocol, with nothing interpreted by mysql2.
import type { QueryOptions } from 'mysql2';
import type { ColumnSpec } from '../row-change.ts';
import { TYPE } from './column-types.ts';

/**
 * Run once on every snapshot connection. `time_zone = '+00:00'`: a SELECT renders TIMESTAMP in the
 * session time zone and the binlog stores UTC epoch seconds; rendering in UTC makes the text map
 * back to the stored instant (no DST gaps or folds). `character_set_results = NULL`: text columns
 * come back as their stored bytes in their own charset instead of converted to the connection's
 * charset (MariaDB's latin1 0x81, for one, has no round trip through utf8mb4 and cp1252). It
 * changes only results: statement text and literals keep the connection charset.
 */
export const SNAPSHOT_SESSION_SQL = "SET time_zone = '+00:00', character_set_results = NULL";

/**
 * Per-query mysql2 options for snapshot SELECTs (`db.query({ sql, ...SNAPSHOT_QUERY_OPTIONS })`):
 * `typeCast: false` returns every non-NULL cell as the Buffer the server sent, so no mysql2
 * conversion can lose anything (numbers, dates, zero dates, BIT, GEOMETRY); `rowsAsArray` keeps
 * cells aligned with the select list, i.e. with `TableSchema.columns`.
 */
export const SNAPSHOT_QUERY_OPTIONS = { typeCast: false, rowsAsArray: true } as const satisfies Omit<
  QueryOptions,
  'sql'
>;

export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/**
 * The select list for `columns`, in their order. FLOAT is read as DOUBLE because MariaDB prints a
 * FLOAT with 6 significant digits (3.40282e38 for the stored 3.4028234663852886e38) while the
 * widened double prints exactly; ENUM/SET labels are converted to utf8mb4 so they decode like any
 * other label text.
 */
export function snapshotSelectList(columns: readonly ColumnSpec[]): string {
  return columns
    .map((column) => {
      const name = quoteIdentifier(column.name);
      switch (column.typeNumber) {
        case TYPE.FLOAT:
          return `CAST(${name} AS DOUBLE) AS ${name}`;
        case TYPE.ENUM:
        case TYPE.SET:
          return `CONVERT(${name} USING utf8mb4) AS ${name}`;
        default:
          return name;
      }
    })
    .join(', ');
}
