// What MySQL writes and MariaDB does not, against the real MySQL server (the integration-mysql
// project only): binary JSON printed as MySQL prints it, compressed transactions, partial JSON
// updates, hidden generated primary keys, and a precheck that passes a correctly set-up server.
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncError } from '../../../src/errors.ts';
import { valueText } from '../../../src/format/dts-avro/render.ts';
import type { DtsRecord } from '../../../src/format/dts-avro/schema.ts';
import type { DtsValue } from '../../../src/format/dts-avro/values.ts';
import { createRootLogger } from '../../../src/log.ts';
import { runPrecheck } from '../../../src/precheck/run-precheck.ts';
import { createSecretResolver, secretEnvName } from '../../../src/worker/secrets.ts';
import { eventually } from '../../support/cli-process.ts';
import { seqRows } from '../../support/seq-rows.ts';
import { createTopic, rootConnection, SYNC_SECRET, startWorker, testJob } from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { foldTopic, readTopic } from '../../support/topic-reader.ts';

const env = testEnv();
if (env.sourceType !== 'mysql')
  throw new Error('test/integration/mysql runs against MySQL only (vitest project integration-mysql)');

const cell = (rec: DtsRecord, column: string): string | null => {
  const names = (rec.fields as readonly { name: string }[]).map((f) => f.name);
  const image = (rec.operation === 'DELETE' ? rec.beforeImages : rec.afterImages) as readonly DtsValue[];
  return valueText(image[names.indexOf(column)] ?? null);
};

// A deterministic stream of doubles over the whole range: random bit patterns, NaN/∞ skipped.
function doubles(count: number): number[] {
  const out: number[] = [];
  const bytes = Buffer.alloc(8);
  let seed = 0x2545f491;
  while (out.length < count) {
    for (let i = 0; i < 8; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      bytes[i] = seed >>> 16;
    }
    const d = bytes.readDoubleLE(0);
    if (Number.isFinite(d)) out.push(d);
  }
  return out;
}

// JSON documents as SQL expressions: what a user stores, including values only SQL can make
// (opaque DATETIME, DATE, TIME, DECIMAL and binary strings inside JSON).
const EDGE_DOUBLES = [
  1.0,
  1e20,
  1e15,
  1e14,
  1e16,
  1.5e300,
  0.1,
  0.0001,
  0.00001,
  1.25e-7,
  0.30000000000000004,
  -2.5,
  1e21,
  1e22,
  Math.PI,
  100.0,
  1e100,
  5e-324,
  1.7976931348623157e308,
  1.2345678901234568e-15,
  1.2345678901234568e-16,
  1234567890123456.8,
  1234567890123456,
  12345678901234568,
  -0.0,
  4.35e-15,
  1e-15,
  1e-16,
];
const jsonText = (v: unknown) => `'${JSON.stringify(v).replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
const DOCUMENTS: string[] = [
  jsonText(EDGE_DOUBLES),
  jsonText(doubles(200)),
  `'[18446744073709551615, -9223372036854775808, 9223372036854775807, 18446744073709551616, 65535, -32768, 2147483647, 4294967295, -2147483649]'`,
  jsonText({
    é: '中文 😀',
    'a"b': 'q"uote\\back\n\t\u0001\u001f/',
    nested: { deeper: [[], {}, [null, true, false]] },
  }),
  `'[]'`,
  `'{}'`,
  `'"just a string"'`,
  `'null'`,
  `'-0.0'`,
  `JSON_ARRAY(CAST('2020-01-02 03:04:05.123456' AS DATETIME(6)), CAST('2020-01-02' AS DATE), CAST('-838:59:58.5' AS TIME(1)), CAST('10:00:00' AS TIME), TIMESTAMP('2021-06-30 23:59:59'), CAST(1.50 AS DECIMAL(10,2)), CAST(-12345678901234567890.123456789 AS DECIMAL(40,9)), CAST(0.001 AS DECIMAL(5,3)), x'00ff10', CAST(2024 AS YEAR))`,
  `JSON_OBJECT('k', REPEAT('x', 70000), 'n', 1.5, 'small', 7)`,
  `JSON_OBJECT(${Array.from({ length: 40 }, (_, i) => `'key${i}', ${i * 1000}`).join(', ')})`,
];

describe('MySQL as the source', () => {
  let db: mysql.Connection;
  const database = uniqueName('my').replace('-', '_');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  it('writes JSON as MySQL prints it, the same in INIT and binlog records, compressed or not', async () => {
    const table = `${database}.docs`;
    await db.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, j JSON)`);
    const n = DOCUMENTS.length;
    for (const [i, doc] of DOCUMENTS.entries())
      await db.query(`INSERT INTO ${table} VALUES (${i + 1}, ${doc})`);
    const topic = uniqueName('my-json');
    await createTopic(env, topic, 1);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('job'), {
        topic,
        objects: [{ database, tables: [{ name: 'docs' }] }],
        initialization: { data: true },
      }),
    );
    try {
      // The same documents again through the binlog: once compressed, once not.
      for (const [mode, base] of [
        ['ON', 100],
        ['OFF', 200],
      ] as const) {
        await db.query(`SET SESSION binlog_transaction_compression = ${mode}`);
        for (const [i, doc] of DOCUMENTS.entries())
          await db.query(`INSERT INTO ${table} VALUES (${base + i + 1}, ${doc})`);
      }
      const [rows] = await db.query<mysql.RowDataPacket[]>(
        `SELECT id, CAST(j AS CHAR) AS text FROM ${table}`,
      );
      const server = new Map(rows.map((r) => [Number(r.id), String(r.text)]));
      const seen = { INIT: 0, INSERT: 0 };
      await foldTopic(
        env.kafka.brokers,
        topic,
        ({ record }) => {
          const id = Number(cell(record, 'id'));
          expect(record.operation, `id ${id}`).toMatch(id > 100 ? 'INSERT' : 'INIT');
          expect(cell(record, 'j'), `id ${id}`).toBe(server.get(id));
          seen[record.operation as 'INIT' | 'INSERT']++;
        },
        { count: 3 * n },
      );
      expect(seen).toEqual({ INIT: n, INSERT: 2 * n });
      // The original documents, as the server prints them, equal across the three paths.
      for (let i = 1; i <= n; i++) expect(server.get(100 + i)).toBe(server.get(i));
    } finally {
      await worker.stop();
    }
  });

  it('reads compressed transactions of new tables, large ones and ones spanning tables, exactly', async () => {
    const topic = uniqueName('my-zstd');
    await createTopic(env, topic, 1);
    await db.query(`CREATE TABLE ${database}.z0 (id INT PRIMARY KEY, v VARCHAR(40))`);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('job'), { topic, objects: [{ database }] }),
    );
    try {
      await db.query('SET SESSION binlog_transaction_compression = ON');
      // Three tables the worker has never seen, in one compressed transaction: zongji looks each
      // one's columns up mid-transaction while the rest of it waits.
      await db.query(
        `CREATE TABLE ${database}.z1 (id INT PRIMARY KEY, v VARCHAR(40)); CREATE TABLE ${database}.z2 LIKE ${database}.z1; CREATE TABLE ${database}.z3 LIKE ${database}.z1`,
      );
      await db.query(
        `BEGIN; INSERT INTO ${database}.z1 VALUES (1, 'one'); INSERT INTO ${database}.z2 VALUES (2, 'two'); INSERT INTO ${database}.z3 VALUES (3, 'three'); UPDATE ${database}.z1 SET v = 'uno' WHERE id = 1; COMMIT`,
      );
      const ROWS = 5_000;
      await db.query(`INSERT INTO ${database}.z0 SELECT seq, CONCAT('row-', seq) FROM ${seqRows(ROWS)}`);
      await db.query(`DELETE FROM ${database}.z3`);
      const head = await readTopic(env.kafka.brokers, topic, 4);
      expect(head.map((m) => `${m.record.operation} ${m.record.objectName} ${cell(m.record, 'v')}`)).toEqual([
        `INSERT ${database}.z1 one`,
        `INSERT ${database}.z2 two`,
        `INSERT ${database}.z3 three`,
        `UPDATE ${database}.z1 uno`,
      ]);
      const ids = new Set<string>();
      let last: DtsRecord | undefined;
      await foldTopic(
        env.kafka.brokers,
        topic,
        ({ record }) => {
          if (record.objectName === `${database}.z0`) {
            const id = cell(record, 'id') ?? '';
            ids.add(id);
            expect(cell(record, 'v')).toBe(`row-${id}`);
          }
          last = record;
        },
        { count: 4 + ROWS + 1 },
      );
      expect(ids.size).toBe(ROWS);
      expect(`${last?.operation} ${last?.objectName}`).toBe(`DELETE ${database}.z3`);
    } finally {
      await worker.stop();
    }
  });

  it('stops on a partial JSON update of a synced table, named with its fix, and passes over others', async () => {
    const topic = uniqueName('my-partial');
    await createTopic(env, topic, 1);
    await db.query(
      `CREATE TABLE ${database}.pj (id INT PRIMARY KEY, j JSON); CREATE TABLE ${database}.other (id INT PRIMARY KEY, j JSON)`,
    );
    await db.query(
      `INSERT INTO ${database}.pj VALUES (1, '{"a": 1}'); INSERT INTO ${database}.other VALUES (1, '{"a": 1}')`,
    );
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('job'), { topic, objects: [{ database, tables: [{ name: 'pj' }] }] }),
    );
    const outcome = worker.done.then(
      () => null,
      (err: unknown) => err,
    );
    try {
      await db.query("SET SESSION binlog_row_value_options = 'PARTIAL_JSON'");
      await db.query(`UPDATE ${database}.other SET j = JSON_SET(j, '$.a', 2) WHERE id = 1`);
      await db.query(`INSERT INTO ${database}.pj VALUES (2, '{"b": 2}')`);
      await db.query(`UPDATE ${database}.pj SET j = JSON_SET(j, '$.a', 3) WHERE id = 1`);
      await db.query(`INSERT INTO ${database}.pj VALUES (3, '{"c": 3}')`);
      const err = await outcome;
      expect(err).toBeInstanceOf(SyncError);
      expect(err).toMatchObject({
        retriable: false,
        reason: 'PartialJsonUpdates',
        message: expect.stringContaining(`${database}.pj`),
        fix: expect.stringContaining("binlog_row_value_options=''"),
      });
      // What came before it is written, the partial update and what follows are not.
      const records = await readTopic(env.kafka.brokers, topic, 1);
      expect(records.map((m) => `${m.record.operation} ${cell(m.record, 'id')}`)).toEqual(['INSERT 2']);
      let more = 0;
      await foldTopic(env.kafka.brokers, topic, () => more++);
      expect(more).toBe(1);
    } finally {
      await db.query("SET SESSION binlog_row_value_options = ''");
      // Its failure is the outcome asserted above.
      await worker.stop().catch(() => undefined);
    }
  });

  it('carries a hidden generated invisible primary key in INIT and binlog records alike', async () => {
    const topic = uniqueName('my-gipk');
    await createTopic(env, topic, 1);
    await db.query('SET SESSION sql_generate_invisible_primary_key = ON');
    await db.query(`CREATE TABLE ${database}.nokey (a INT, b VARCHAR(10))`);
    await db.query('SET SESSION sql_generate_invisible_primary_key = OFF');
    await db.query(`INSERT INTO ${database}.nokey (a, b) VALUES (1, 'before')`);
    // Hidden from this (default) session, as from every client that does not ask.
    const [visible] = await db.query<mysql.RowDataPacket[]>(`SELECT * FROM ${database}.nokey`);
    expect(Object.keys(visible[0]!)).toEqual(['a', 'b']);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('job'), {
        topic,
        objects: [{ database, tables: [{ name: 'nokey' }] }],
        initialization: { data: true },
      }),
    );
    try {
      await eventually(
        () => worker.report.snapshot().initialization?.done === true,
        'initialization to finish',
      );
      await db.query(`INSERT INTO ${database}.nokey (a, b) VALUES (2, 'after')`);
      await db.query(`UPDATE ${database}.nokey SET b = 'changed' WHERE a = 1`);
      const records = await readTopic(env.kafka.brokers, topic, 3);
      const shapes = records.map((m) => ({
        operation: m.record.operation,
        columns: (m.record.fields as readonly { name: string }[]).map((f) => f.name),
        key: m.record.tags.pk_uk_info,
        row: `${cell(m.record, 'my_row_id')} ${cell(m.record, 'b')}`,
      }));
      const columns = ['my_row_id', 'a', 'b'];
      const key = '{"PRIMARY":["my_row_id"]}';
      expect(shapes.sort((x, y) => x.row.localeCompare(y.row))).toEqual([
        { operation: 'INIT', columns, key, row: '1 before' },
        { operation: 'UPDATE', columns, key, row: '1 changed' },
        { operation: 'INSERT', columns, key, row: '2 after' },
      ]);
    } finally {
      await worker.stop();
    }
  });

  it('stops with TableSchemaUnavailable on rows of a table dropped before it read them (MINIMAL row metadata)', async () => {
    const topic = uniqueName('my-minimal');
    await createTopic(env, topic, 1);
    await db.query(`CREATE TABLE ${database}.gone (id INT PRIMARY KEY)`);
    const job = testJob(env, uniqueName('job'), {
      topic,
      objects: [{ database, tables: [{ name: 'gone' }] }],
    });
    // The job's offset is stored before the rows; they and the DROP happen while no worker runs.
    const first = await startWorker(env, job);
    await first.stop();
    await db.query(`INSERT INTO ${database}.gone VALUES (1)`);
    await db.query(`DROP TABLE ${database}.gone`);
    const again = await startWorker(env, job);
    const err = await again.done.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      retriable: false,
      reason: 'TableSchemaUnavailable',
      message: expect.stringContaining(`${database}.gone`),
      fix: expect.stringContaining('binlog_row_metadata=FULL'),
    });
  });

  it('passes the precheck of a correctly set-up server, and fails PARTIAL_JSON and VECTOR columns', async () => {
    await db.query(`CREATE TABLE ${database}.checked (id INT PRIMARY KEY)`);
    const topic = uniqueName('my-pc');
    await createTopic(env, topic, 1);
    const resolver = createSecretResolver({
      dir: '/nonexistent',
      env: { [secretEnvName(SYNC_SECRET)]: env.mysql.syncPassword },
    });
    const job = testJob(env, 'pc', { topic, objects: [{ database, tables: [{ name: 'checked' }] }] });
    const log = createRootLogger({ level: 'silent' });
    const items = await runPrecheck(job, resolver, log);
    expect(items.filter((i) => i.result !== 'Passed')).toEqual([]);
    expect(items.find((i) => i.name === 'source.version')?.message).toMatch(/^MySQL 9\./);
    await db.query("SET GLOBAL binlog_row_value_options = 'PARTIAL_JSON'");
    try {
      const refused = await runPrecheck(job, resolver, log);
      expect(refused.find((i) => i.name === 'source.binlogRowValueOptions')).toMatchObject({
        result: 'Failed',
        fix: expect.stringContaining("SET GLOBAL binlog_row_value_options=''"),
      });
    } finally {
      await db.query("SET GLOBAL binlog_row_value_options = ''");
    }
    // Privileges held through a default role count: MySQL's SHOW GRANTS expands active roles.
    const role = `r_${database}`;
    const user = `u_${database}`;
    await db.query(
      `CREATE ROLE ${role}; GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO ${role}; GRANT SELECT ON ${database}.* TO ${role};
       CREATE USER '${user}'@'%' IDENTIFIED BY '${env.mysql.syncPassword}'; GRANT ${role} TO '${user}'@'%'; SET DEFAULT ROLE ${role} TO '${user}'@'%'`,
    );
    try {
      const byRole = await runPrecheck(
        testJob(env, 'pc', {
          topic,
          objects: [{ database, tables: [{ name: 'checked' }] }],
          source: { username: user },
        }),
        resolver,
        log,
      );
      expect(byRole.find((i) => i.name === 'source.privileges')).toMatchObject({ result: 'Passed' });
    } finally {
      await db.query(`DROP USER '${user}'@'%'; DROP ROLE ${role}`);
    }
    // MySQL 9's VECTOR has no DTS type: named before the job starts.
    await db.query(`CREATE TABLE ${database}.vec (id INT PRIMARY KEY, emb VECTOR(3))`);
    const vectors = await runPrecheck(
      testJob(env, 'pc', { topic, objects: [{ database, tables: [{ name: 'vec' }] }] }),
      resolver,
      log,
    );
    expect(vectors.find((i) => i.name === 'source.columnTypes')).toMatchObject({
      result: 'Failed',
      message: expect.stringContaining(`${database}.vec.emb (vector(3))`),
    });
    // A PolarDB job gets its endpoint advice.
    const polardb = await runPrecheck(
      testJob(env, 'pc', {
        topic,
        objects: [{ database, tables: [{ name: 'checked' }] }],
        source: { type: 'polardb-mysql' },
      }),
      resolver,
      log,
    );
    expect(polardb.find((i) => i.name === 'source.endpoint')).toMatchObject({
      result: 'Warning',
      fix: expect.stringContaining('primary endpoint'),
    });
  });
});
