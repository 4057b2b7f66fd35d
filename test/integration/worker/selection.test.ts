import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { valueText } from '../../../src/format/dts-avro/render.ts';
import type { DtsRecord } from '../../../src/format/dts-avro/schema.ts';
import type { DtsValue } from '../../../src/format/dts-avro/values.ts';
import { createTopic, rootConnection, startWorker, testJob } from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { readTopic } from '../../support/topic-reader.ts';

const env = testEnv();

/** `{column: text}` of the record's row image. */
function image(rec: DtsRecord): Record<string, string | null> {
  const cells = (rec.operation === 'DELETE' ? rec.beforeImages : rec.afterImages) as readonly DtsValue[];
  return Object.fromEntries(
    (rec.fields as readonly { name: string }[]).map((f, i) => [f.name, valueText(cells[i] ?? null)]),
  );
}

describe('what a job selects, and column names across ALTER TABLE', () => {
  let db: mysql.Connection;
  const shop = uniqueName('sel').replace('-', '_');
  const audit = uniqueName('aud').replace('-', '_');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${shop}; CREATE DATABASE ${audit}`);
    await db.query(`CREATE TABLE ${shop}.orders (id INT PRIMARY KEY, note VARCHAR(20))`);
    await db.query(`CREATE TABLE ${shop}.ignored (id INT PRIMARY KEY)`);
    await db.query(`CREATE TABLE ${shop}.customers (id INT PRIMARY KEY, name VARCHAR(20))`);
  });

  afterAll(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${shop}; DROP DATABASE IF EXISTS ${audit}`);
    await db.end();
  });

  it('renames objects, filters DML, follows new tables of a whole database and ALTER TABLE', async () => {
    const topic = uniqueName('sel');
    await createTopic(env, topic, 1);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('job'), {
        topic,
        objects: [
          {
            database: shop,
            targetName: 'shop_copy',
            tables: [
              { name: 'orders' },
              { name: 'customers', targetName: 'clients', dml: { delete: false } },
            ],
          },
          { database: audit },
        ],
        ddl: { emit: true },
      }),
    );
    try {
      await db.query(`INSERT INTO ${shop}.orders VALUES (1, 'first')`);
      await db.query(`INSERT INTO ${shop}.ignored VALUES (1)`);
      await db.query(`INSERT INTO ${shop}.customers VALUES (7, 'ann')`);
      await db.query(`DELETE FROM ${shop}.customers WHERE id = 7`);
      await db.query(
        `ALTER TABLE ${shop}.orders ADD COLUMN amount DECIMAL(10,2) AFTER id, CHANGE note remark VARCHAR(20)`,
      );
      await db.query(`INSERT INTO ${shop}.orders VALUES (2, 9.5, 'second')`);
      await db.query(`UPDATE ${shop}.orders SET remark = 'first!' WHERE id = 1`);
      await db.query(`CREATE TABLE ${audit}.log (seq INT PRIMARY KEY, what TEXT)`);
      await db.query(`INSERT INTO ${audit}.log VALUES (1, 'created later')`);

      const records = (await readTopic(env.kafka.brokers, topic, 7)).map((m) => m.record);
      const rows = records.filter((r) => r.operation !== 'DDL');
      expect(rows.map((r) => `${r.operation} ${r.objectName}`)).toEqual([
        'INSERT shop_copy.orders',
        'INSERT shop_copy.clients',
        'INSERT shop_copy.orders',
        'UPDATE shop_copy.orders',
        `INSERT ${audit}.log`,
      ]);
      expect(image(rows[0]!)).toEqual({ id: '1', note: 'first' });
      expect(image(rows[1]!)).toEqual({ id: '7', name: 'ann' });
      expect(image(rows[2]!)).toEqual({ id: '2', amount: '9.50', remark: 'second' });
      expect(image(rows[3]!)).toEqual({ id: '1', amount: null, remark: 'first!' });
      expect(image(rows[4]!)).toEqual({ seq: '1', what: 'created later' });

      const ddl = records.filter((r) => r.operation === 'DDL');
      expect(ddl.map((r) => r.afterImages)).toEqual([
        `ALTER TABLE ${shop}.orders ADD COLUMN amount DECIMAL(10,2) AFTER id, CHANGE note remark VARCHAR(20)`,
        `CREATE TABLE ${audit}.log (seq INT PRIMARY KEY, what TEXT)`,
      ]);
      // DDL records come between the changes they separate.
      expect(records.map((r) => r.operation)).toEqual([
        'INSERT',
        'INSERT',
        'DDL',
        'INSERT',
        'UPDATE',
        'DDL',
        'INSERT',
      ]);
    } finally {
      await worker.stop();
    }
  });
});
