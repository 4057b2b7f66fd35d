// Builds a table's codec on its first table map (and again after DDL touches it): the columns and
// keys from information_schema, checked against the binlog's own column layout.
import type { TableMapEntry, TableMapEvent } from '@vlasky/zongji';
import type mysql from 'mysql2/promise';
import type { DtsValue } from '../../format/dts-avro/values.ts';
import { columnSpecsFromTableMap, layoutDrift } from '../mysql/column-spec.ts';
import { loadTableSchema } from '../mysql/load-table-schema.ts';
import { binlogConverter } from '../mysql/value-converters.ts';
import type { TableSchema } from '../row-change.ts';
import type { TableCodec, TableCodecLoader } from './binlog-reader.ts';

export function createTableCodecLoader(control: mysql.Connection): TableCodecLoader {
  return async (entry: TableMapEntry, event: TableMapEvent) => {
    const binlog = columnSpecsFromTableMap(event);
    let schema = await loadTableSchema(control, entry.parentSchema, entry.tableName);
    if (layoutDrift(schema.columns, binlog).length > 0) {
      // The table changed after this event was written (a later ALTER). The binlog's own metadata
      // (binlog_row_metadata=FULL) describes these rows; keys still come from the current table.
      schema = { ...schema, columns: binlog };
    }
    return tableCodec(schema);
  };
}

function tableCodec(schema: TableSchema): TableCodec {
  const converters = schema.columns.map(binlogConverter);
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
