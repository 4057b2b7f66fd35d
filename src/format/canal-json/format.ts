// Canal JSON as a RecordFormat: one JSON object per row change, keys in the order Canal writes
// them, every cell as text (values.ts). `data` holds the row (the after image; DELETE: the deleted
// row), `old` for an UPDATE only the columns it changed, with their values before (open-source
// Canal's convention). Everything that depends only on the table (names, type maps, key names) is
// serialized once per table; a record is those pieces around its row, built as one string.
import type { RowChange, SnapshotRow, SourcePosition, TableSchema } from '../../source/row-change.ts';
import { type CellForm, cellFromBytes } from '../dts-avro/cell-forms.ts';
import type { DtsValue } from '../dts-avro/values.ts';
import type { RecordFormat, SnapshotRowsEncoder, TableTarget } from '../record-format.ts';
import { jdbcType, mysqlType } from './column-types.ts';
import { canalDdlType } from './ddl-type.ts';
import { type CellText, cellText } from './values.ts';

/**
 * Which `type` values are written: `dts` as the managed service (INIT for copied rows, DDL for
 * statements), `canal` as open-source Canal (copied rows are INSERT, statements CREATE, ALTER, …),
 * for readers that know only those, such as Flink's canal-json format.
 */
export type CanalTypes = 'dts' | 'canal';

export interface CanalJsonOptions {
  types: CanalTypes;
  /** Milliseconds for `ts`, the time the record is written. */
  now: () => number;
}

const json = JSON.stringify;

/** A row as Canal's `{"column":"text",…}`, from per-column names and text functions. */
function rowWriter(schema: TableSchema): (row: readonly DtsValue[]) => string {
  const names = schema.columns.map((c) => `${json(c.name)}:`);
  const texts: CellText[] = schema.columns.map(cellText);
  return (row) => {
    let out = '{';
    for (let i = 0; i < names.length; i++) {
      if (i > 0) out += ',';
      out += names[i]! + json(texts[i]!(row[i] ?? null));
    }
    return `${out}}`;
  };
}

export const canalJsonSnapshotRows = (
  schema: TableSchema,
  forms: readonly CellForm[],
): SnapshotRowsEncoder => {
  const write = rowWriter(schema);
  const values = forms.map(cellFromBytes);
  const cells = (row: SnapshotRow): DtsValue[] =>
    row.map((bytes, i) => (bytes === null ? null : values[i]!(bytes)));
  return (rows) => {
    const texts = rows.map((row) => write(cells(row)));
    const ends = new Uint32Array(texts.length);
    let size = 0;
    for (let i = 0; i < texts.length; i++) ends[i] = size += Buffer.byteLength(texts[i]!);
    // Not from Buffer's shared pool: a snapshot thread transfers this memory away.
    const bytes = Buffer.allocUnsafeSlow(size);
    for (let i = 0, at = 0; i < texts.length; i++) at += bytes.write(texts[i]!, at);
    return { bytes, ends };
  };
};

export function canalJsonFormat(opts: CanalJsonOptions): RecordFormat {
  const { now } = opts;
  const initType = opts.types === 'dts' ? 'INIT' : 'INSERT';
  const stamp = (position: SourcePosition, id: number) =>
    `"es":${position.timestamp * 1000},"gtid":${json(position.gtid)},"id":${id}`;

  return {
    name: 'canal-json',
    table(schema: TableSchema, target: TableTarget) {
      const write = rowWriter(schema);
      const texts = schema.columns.map(cellText);
      const names = schema.columns.map((c) => c.name);
      const database = `],"database":${json(target.database)},`;
      const typeMaps =
        `"isDdl":false,` +
        `"mysqlType":${json(Object.fromEntries(schema.columns.map((c) => [c.name, mysqlType(c)])))},`;
      const tail =
        `"pkNames":${json(schema.primaryKey.length > 0 ? schema.primaryKey : null)},"sql":"",` +
        `"sqlType":${json(Object.fromEntries(schema.columns.map((c) => [c.name, jdbcType(c)])))},` +
        `"table":${json(target.table)},"ts":`;
      const record = (data: string, position: SourcePosition, id: number, old: string, type: string) =>
        Buffer.from(
          `{"data":[${data}${database}${stamp(position, id)},${typeMaps}"old":${old},${tail}${now()},"type":"${type}"}`,
        );
      // The columns an UPDATE changed, with their values before it.
      const changed = (before: readonly DtsValue[], after: readonly DtsValue[]): string => {
        let out = '';
        for (let i = 0; i < names.length; i++) {
          const was = texts[i]!(before[i] ?? null);
          if (was === texts[i]!(after[i] ?? null)) continue;
          out += `${out === '' ? '' : ','}${json(names[i])}:${json(was)}`;
        }
        return `[{${out}}]`;
      };
      return {
        row(change: RowChange, id: number) {
          const { operation, before, after, position } = change;
          if (operation === 'DELETE') return record(write(before!), position, id, 'null', 'DELETE');
          if (operation === 'UPDATE')
            return record(write(after!), position, id, changed(before!, after!), 'UPDATE');
          return record(write(after!), position, id, 'null', operation === 'INIT' ? initType : operation);
        },
        snapshotRows: (position) => (id, rowBytes) =>
          record(rowBytes.toString('utf8'), position, id, 'null', initType),
      };
    },
    ddl(ddl, id) {
      const type = opts.types === 'dts' ? 'DDL' : canalDdlType(ddl.sql);
      return Buffer.from(
        `{"data":null,"database":${json(ddl.database)},${stamp(ddl.position, id)},"isDdl":true,` +
          `"mysqlType":null,"old":null,"pkNames":null,"sql":${json(ddl.sql)},"sqlType":null,` +
          `"table":${json(ddl.table ?? '')},"ts":${now()},"type":"${type}"}`,
      );
    },
  };
}
