// The Kafka record key: `<objectName>:<JSON array of the key columns' text>`, e.g.
// `shop.orders:["42"]`. The primary key, else the first unique key; null for key-less tables.
// The object name is part of the key so rows of different tables never share a key in one topic
// (log compaction stays correct). DELETE is keyed by its before image, the rest by the after image,
// so an UPDATE that changes the key goes with the new key.
import { valueText } from '../format/dts-avro/render.ts';
import type { RowChange, TableSchema } from '../source/row-change.ts';

export function recordKeyFor(table: TableSchema, objectName: string): (change: RowChange) => string | null {
  return columnsKeyFor(table, objectName, recordKeyColumns(table));
}

/** The columns a table's record key is made of; empty for a table without a key. */
export const recordKeyColumns = (table: TableSchema): readonly string[] =>
  table.primaryKey.length > 0 ? table.primaryKey : (Object.values(table.uniqueKeys)[0] ?? []);

/**
 * What a table's records are partitioned by with tables[].partitionKey: the record key's text over
 * those columns (`shop.orders:["acme"]`), so equal values share a partition.
 */
export const partitionKeyFor = (
  table: TableSchema,
  objectName: string,
  partitionKey: readonly string[],
): ((change: RowChange) => string | null) => columnsKeyFor(table, objectName, partitionKey);

function columnsKeyFor(
  table: TableSchema,
  objectName: string,
  keyColumns: readonly string[] | undefined,
): (change: RowChange) => string | null {
  if (!keyColumns || keyColumns.length === 0) return () => null;
  const indexes = keyColumns.map((name) => table.columns.findIndex((c) => c.name === name));
  if (indexes.some((i) => i < 0)) return () => null;
  const prefix = `${objectName}:`;
  return (change) => {
    const image = change.operation === 'DELETE' ? change.before : change.after;
    if (!image) return null;
    return prefix + JSON.stringify(indexes.map((i) => valueText(image[i]!)));
  };
}
