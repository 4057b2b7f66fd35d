// The correctness oracle: apply the topic's records by key, in offset order per partition, and
// compare the result with SELECT * of the source.
import { valueText } from '../../src/format/dts-avro/render.ts';
import type { DtsRecord } from '../../src/format/dts-avro/schema.ts';
import type { DtsValue } from '../../src/format/dts-avro/values.ts';
import { inPartition, type TopicMessage } from './topic-reader.ts';

export type Row = Record<string, string | null>;

export function rowOf(rec: DtsRecord, images: DtsRecord['afterImages']): Row {
  const fields = rec.fields as readonly { name: string }[];
  const cells = images as readonly DtsValue[];
  const row: Row = {};
  fields.forEach((f, i) => {
    row[f.name] = valueText(cells[i] ?? null);
  });
  return row;
}

export type Tables = Map<string, Map<string, Row>>;

/**
 * Applies records one at a time, as a consumer materializing by key does: `apply` each message of
 * a partition in offset order. Keeps only the tables (`objectName → (key text → row)`), never the
 * records. The key is the text of `keyColumns`, which the test names (the oracle must not trust
 * the record key it checks).
 */
export function createMaterializer(keyColumns: Record<string, string[]>) {
  const tables: Tables = new Map();
  return {
    tables,
    apply({ record: rec }: TopicMessage) {
      if (rec.operation === 'DDL' || rec.objectName === null) return;
      const cols = keyColumns[rec.objectName];
      if (!cols) throw new Error(`no key columns given for ${rec.objectName}`);
      let table = tables.get(rec.objectName);
      if (!table) {
        table = new Map();
        tables.set(rec.objectName, table);
      }
      const keyOf = (row: Row) => JSON.stringify(cols.map((c) => row[c]));
      if (rec.operation === 'INSERT' || rec.operation === 'INIT') {
        const row = rowOf(rec, rec.afterImages);
        table.set(keyOf(row), row);
      } else if (rec.operation === 'UPDATE') {
        table.delete(keyOf(rowOf(rec, rec.beforeImages)));
        const row = rowOf(rec, rec.afterImages);
        table.set(keyOf(row), row);
      } else if (rec.operation === 'DELETE') {
        table.delete(keyOf(rowOf(rec, rec.beforeImages)));
      }
    },
  };
}

/** The tables that `messages` (any order across partitions) materialize to. */
export function materialize(messages: TopicMessage[], keyColumns: Record<string, string[]>): Tables {
  const m = createMaterializer(keyColumns);
  for (const p of new Set(messages.map((x) => x.partition)))
    for (const x of inPartition(messages, p)) m.apply(x);
  return m.tables;
}

/** Rows sorted by their key text, for comparison with a sorted SELECT. */
export const sortedRows = (table: Map<string, Row> | undefined): Row[] =>
  [...(table ?? new Map<string, Row>()).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => r);
