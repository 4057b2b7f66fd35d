import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePosition } from '../../../src/format/dts-avro/position.ts';
import { valueText } from '../../../src/format/dts-avro/render.ts';
import type { DtsRecord } from '../../../src/format/dts-avro/schema.ts';
import type { DtsValue } from '../../../src/format/dts-avro/values.ts';
import { materialize, sortedRows } from '../../support/materialize.ts';
import { createTopic, rootConnection, startWorker, testJob } from '../../support/sync-job.ts';
import { gtidPattern, testEnv, uniqueName } from '../../support/testenv.ts';
import { inPartition, readTopic } from '../../support/topic-reader.ts';

const env = testEnv();

/** `op id=<id> note=<note>` for each row record, the way the assertions read best. */
function describeRecord(rec: DtsRecord): string {
  const names = (rec.fields as readonly { name: string }[]).map((f) => f.name);
  const image = (rec.operation === 'DELETE' ? rec.beforeImages : rec.afterImages) as readonly DtsValue[];
  const text = (col: string) => valueText(image[names.indexOf(col)] ?? null);
  const before =
    rec.operation === 'UPDATE'
      ? ` (was ${valueText((rec.beforeImages as readonly DtsValue[])[names.indexOf('note')]!)})`
      : '';
  return `${rec.operation} ${rec.objectName} id=${text('id')} note=${text('note')}${before}`;
}

describe('streaming binlog changes to Kafka', () => {
  let db: mysql.Connection;
  const database = uniqueName('stream').replace('-', '_');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  // The same statements under each partitioning mode; what must hold is the order per partition.
  const statements = (t: string) => [
    `INSERT INTO ${t} VALUES (1, 'a'), (2, 'b'), (3, 'c')`,
    `BEGIN; UPDATE ${t} SET note = 'a2' WHERE id = 1; DELETE FROM ${t} WHERE id = 2; INSERT INTO ${t} VALUES (4, 'd'); COMMIT`,
    `REPLACE INTO ${t} VALUES (3, 'c2')`,
    `REPLACE INTO ${t} VALUES (5, 'e')`,
    `UPDATE ${t} SET note = CONCAT(note, '!') WHERE id IN (1, 4)`,
  ];

  for (const mode of ['partition0', 'table', 'primaryKey'] as const) {
    it(`keeps binlog order within each partition with partitioning ${mode}`, async () => {
      const table = `orders_${mode.toLowerCase()}`;
      const topic = uniqueName(`stream-${mode.toLowerCase()}`);
      await db.query(`CREATE TABLE ${database}.${table} (id INT PRIMARY KEY, note VARCHAR(20))`);
      await createTopic(env, topic, 3);
      const worker = await startWorker(
        env,
        testJob(env, uniqueName('job'), {
          topic,
          objects: [{ database, tables: [{ name: table }] }],
          target: { partitioning: mode },
        }),
      );
      try {
        for (const sql of statements(`${database}.${table}`)) await db.query(sql);
        const messages = await readTopic(env.kafka.brokers, topic, 10);
        const all = messages.map((m) => describeRecord(m.record));
        const o = `${database}.${table}`;
        // REPLACE of an existing row is logged by InnoDB as an UPDATE of that row.
        const expected = [
          `INSERT ${o} id=1 note=a`,
          `INSERT ${o} id=2 note=b`,
          `INSERT ${o} id=3 note=c`,
          `UPDATE ${o} id=1 note=a2 (was a)`,
          `DELETE ${o} id=2 note=b`,
          `INSERT ${o} id=4 note=d`,
          `UPDATE ${o} id=3 note=c2 (was c)`,
          `INSERT ${o} id=5 note=e`,
          `UPDATE ${o} id=1 note=a2! (was a2)`,
          `UPDATE ${o} id=4 note=d! (was d)`,
        ];
        expect(all.sort()).toEqual([...expected].sort());
        if (mode === 'primaryKey') {
          for (const p of [0, 1, 2]) {
            const inP = inPartition(messages, p).map((m) => describeRecord(m.record));
            expect(inP).toEqual(expected.filter((e) => inP.includes(e)));
            for (const m of inPartition(messages, p)) expect(m.key).toMatch(new RegExp(`^${o}:\\["\\d"\\]$`));
          }
          expect(new Set(messages.map((m) => m.partition)).size).toBeGreaterThan(1);
        } else {
          expect(new Set(messages.map((m) => m.partition)).size).toBe(1);
          expect(inPartition(messages, messages[0]!.partition).map((m) => describeRecord(m.record))).toEqual(
            expected,
          );
          if (mode === 'partition0') expect(messages[0]!.partition).toBe(0);
        }
        // The records of one transaction share its GTID and position; transactions differ.
        const txidOf = (line: string) =>
          messages.find((m) => describeRecord(m.record) === line)!.record.sourceTxid;
        const txOf = (line: string) =>
          messages.find((m) => describeRecord(m.record) === line)!.record.sourcePosition;
        const multi = [expected[3]!, expected[4]!, expected[5]!];
        expect(new Set(multi.map(txidOf)).size).toBe(1);
        expect(new Set(multi.map(txOf)).size).toBe(1);
        expect(
          new Set([expected[0]!, expected[3]!, expected[6]!, expected[7]!, expected[8]!].map(txidOf)).size,
        ).toBe(5);
        for (const m of messages) {
          expect(m.record.sourceTxid).toMatch(gtidPattern(env));
          expect(parsePosition(m.record.sourcePosition).gtid).toBe(m.record.sourceTxid);
          expect(m.record.tags.pk_uk_info).toBe('{"PRIMARY":["id"]}');
          expect(
            (m.record.fields as readonly { name: string; dataTypeNumber: number }[]).map((f) => [
              f.name,
              f.dataTypeNumber,
            ]),
          ).toEqual([
            ['id', 3],
            ['note', 253],
          ]);
        }
        const materialized = materialize(messages, { [o]: ['id'] });
        const [rows] = await db.query<mysql.RowDataPacket[]>(
          `SELECT id, note FROM ${database}.${table} ORDER BY id`,
        );
        expect(sortedRows(materialized.get(o))).toEqual(
          rows.map((r) => ({ id: String(r.id), note: r.note })),
        );
      } finally {
        await worker.stop();
      }
    });
  }
});
