// Builds a table's codec on its first table map (and again after DDL touches it): the columns and
// keys from information_schema, checked against the binlog's own column layout, which wins when
// the table changed or vanished since the rows were written.
import type { TableMapEntry, TableMapEvent } from '@vlasky/zongji';
import type mysql from 'mysql2/promise';
import { SyncError } from '../../errors.ts';
import type { DtsValue } from '../../format/dts-avro/values.ts';
import type { Logger } from '../../log.ts';
import { columnSpecsFromTableMap, layoutDrift } from '../mysql/column-spec.ts';
import type { Flavor } from '../mysql/flavor.ts';
import { findTableSchema } from '../mysql/load-table-schema.ts';
import { binlogConverter } from '../mysql/value-converters.ts';
import type { TableSchema } from '../row-change.ts';
import type { TableCodec, TableCodecLoader } from './binlog-reader.ts';

export function createTableCodecLoader(
  control: mysql.Connection,
  log: Logger,
  flavor: Pick<Flavor, 'binaryJsonInBinlog'>,
): TableCodecLoader {
  const options = { binaryJson: flavor.binaryJsonInBinlog };
  return async (entry: TableMapEntry, event: TableMapEvent) => {
    const binlog = columnSpecsFromTableMap(event);
    const current = await findTableSchema(control, entry.parentSchema, entry.tableName);
    if (current === null) {
      // Rows written before the table was renamed or dropped: only the binlog's own metadata
      // (binlog_row_metadata=FULL) still describes them, keys included when the server wrote them.
      if (!event.columnNames) {
        throw new SyncError(
          `cannot decode rows of ${entry.parentSchema}.${entry.tableName}: the table no longer exists`,
          {
            retriable: false,
            reason: 'TableSchemaUnavailable',
            fix: 'set binlog_row_metadata=FULL on the source so old rows stay decodable, then re-initialize the job',
          },
        );
      }
      log.info(
        { table: `${entry.parentSchema}.${entry.tableName}` },
        'Decoded rows with binlog metadata; the table no longer exists',
      );
      return tableCodec(options, {
        database: entry.parentSchema,
        table: entry.tableName,
        columns: binlog,
        primaryKey: (event.primaryKey ?? []).map((i) => binlog[i]?.name ?? '').filter((n) => n !== ''),
        uniqueKeys: {},
      });
    }
    // The table changed after this event was written (a later ALTER): the binlog's metadata
    // describes these rows; keys still come from the current table.
    const schema =
      layoutDrift(current.columns, binlog).length > 0 ? { ...current, columns: binlog } : current;
    return tableCodec(options, schema);
  };
}

function tableCodec(options: { binaryJson: boolean }, schema: TableSchema): TableCodec {
  const converters = schema.columns.map((c) => binlogConverter(c, options));
  const names = schema.columns.map((c) => c.name);
  const width = names.length;
  return {
    schema,
    cells(row) {
      const out = new Array<DtsValue>(width);
      for (let i = 0; i < width; i++) out[i] = converters[i]!(row[names[i]!]);
      return out;
    },
  };
}
