import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtsRecord } from '../../../src/format/dts-avro/schema.ts';
import type { DtsValue } from '../../../src/format/dts-avro/values.ts';
import { deleteTopics, rootConnection } from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { readTopic } from '../../support/topic-reader.ts';
import { type Case, casesFor } from '../../support/type-matrix-cases.ts';
import { streamTypeMatrix } from '../../support/type-matrix-stream.ts';

// The type matrix along the whole product path: rows written to MariaDB, read from the binlog by a
// real worker, encoded as DTS-Avro, sent to Kafka and decoded again must give exactly the DTS values
// of the fixture, cell by cell, in INSERT, UPDATE and DELETE images.

const env = testEnv();
const cases = casesFor(env.sourceType);

interface Expected {
  table: string;
  operation: 'INSERT' | 'UPDATE' | 'DELETE';
  before: DtsValue[] | null;
  after: DtsValue[] | null;
}

/** Row 1 with every column but `id` NULL. */
const nulled = (c: Case): DtsValue[] => [c.expected[0]![0]!, ...c.expected[0]!.slice(1).map(() => null)];

describe('the MySQL type matrix through a worker and Kafka', () => {
  const database = uniqueName('tmk').replace('-', '_');
  const topic = uniqueName('type-matrix');
  const columnNames = new Map<string, string[]>();
  let db: mysql.Connection;
  let records: DtsRecord[] = [];

  // All INSERTs, then per table: row 1 set to NULL in every column and back, row 2 deleted.
  const expected: Expected[] = [
    ...cases.flatMap((c) =>
      c.expected.map((row): Expected => ({ table: c.table, operation: 'INSERT', before: null, after: row })),
    ),
    ...cases.flatMap((c): Expected[] => [
      { table: c.table, operation: 'UPDATE', before: c.expected[0]!, after: nulled(c) },
      { table: c.table, operation: 'UPDATE', before: nulled(c), after: c.expected[0]! },
      { table: c.table, operation: 'DELETE', before: c.expected[1]!, after: null },
    ]),
  ];

  beforeAll(async () => {
    db = await rootConnection(env);
    await streamTypeMatrix(env, db, { database, topic }, async () => {
      for (const c of cases) {
        const [rows] = await db.query<mysql.RowDataPacket[]>(
          'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
          [database, c.table],
        );
        columnNames.set(
          c.table,
          rows.map((r) => r.name as string),
        );
        const t = `${database}.${c.table}`;
        const saved = `${database}.saved_${c.table}`;
        const columns = columnNames.get(c.table)!.filter((name) => name !== 'id');
        // A temporary table is not in the row-based binlog: it only keeps row 1 for the way back.
        await db.query(`CREATE TEMPORARY TABLE ${saved} LIKE ${t}`);
        await db.query(`INSERT INTO ${saved} SELECT * FROM ${t} WHERE id = 1`);
        await db.query(`UPDATE ${t} SET ${columns.map((col) => `${col} = NULL`).join(', ')} WHERE id = 1`);
        await db.query(
          `UPDATE ${t} AS t JOIN ${saved} AS s ON s.id = t.id SET ${columns.map((col) => `t.${col} = s.${col}`).join(', ')}`,
        );
        await db.query(`DELETE FROM ${t} WHERE id = 2`);
      }
      records = (await readTopic(env.kafka.brokers, topic, expected.length)).map((m) => m.record);
    });
  });

  afterAll(async () => {
    await db?.query(`DROP DATABASE IF EXISTS ${database}`);
    await db?.end();
    await deleteTopics(env, [topic]);
  });

  it('writes one record per row change, in binlog order', () => {
    expect(records.map((r) => `${r.operation} ${r.objectName}`)).toEqual(
      expected.map((e) => `${e.operation} ${database}.${e.table}`),
    );
  });

  describe.each(cases)('$table', (c) => {
    const of = (operation: string) =>
      records.filter((r) => r.objectName === `${database}.${c.table}` && r.operation === operation);

    it('has every column with its DTS type number in each record', () => {
      const fields = columnNames.get(c.table)!.map((name, i) => ({ name, dataTypeNumber: c.types[i] }));
      expect(fields).toHaveLength(c.types.length);
      const ofTable = records.filter((r) => r.objectName === `${database}.${c.table}`);
      expect(ofTable).toHaveLength(c.rows.length + 3);
      for (const r of ofTable) expect(r.fields).toEqual(fields);
    });

    it('carries the exact DTS values of every inserted row', () => {
      const inserts = of('INSERT');
      expect(inserts.map((r) => r.beforeImages)).toEqual(c.expected.map(() => null));
      expect(inserts.map((r) => r.afterImages)).toEqual(c.expected);
    });

    it('carries the before and after images of an UPDATE to all NULL and back', () => {
      expect(of('UPDATE').map((r) => [r.beforeImages, r.afterImages])).toEqual([
        [c.expected[0], nulled(c)],
        [nulled(c), c.expected[0]],
      ]);
    });

    it('carries the before image of a DELETE', () => {
      expect(of('DELETE').map((r) => [r.beforeImages, r.afterImages])).toEqual([[c.expected[1], null]]);
    });
  });
});
