// Canal JSON read by a real Canal reader: Flink's canal-json format (flink-json 2.3.0 from Maven
// Central, CanalJsonDeserializationSchema driven by test/consumers/FlinkCanalReader.java, as a
// Flink table source decodes each Kafka message). A job copies the type-matrix tables and streams
// UPDATEs to NULL and back, DELETEs, REPLACEs and an ALTER; every value Flink yields must equal the
// source's own text of that cell (MariaDB's, read in a UTC session), in Flink's column types where
// Flink has one that holds the column's range (numbers, DECIMAL up to 38 digits, in-range
// temporals), as text otherwise. The service's own type names (INIT, DDL), which Flink does not
// read, are checked through `syncjob decode`.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanalRecord, parseCanalRecord } from '../../../src/format/canal-json/record.ts';
import { startCli } from '../../support/cli-process.ts';
import { mavenClasspath } from '../../support/maven-classpath.ts';
import {
  createTopic,
  deleteTopics,
  rootConnection,
  startWorker,
  testJob,
  untilCaughtUp,
} from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { foldRaw } from '../../support/topic-reader.ts';
import { casesFor } from '../../support/type-matrix-cases.ts';

// These run against MariaDB only.
const cases = casesFor('mariadb');

const env = testEnv();
const READER = fileURLToPath(new URL('../../consumers/FlinkCanalReader.java', import.meta.url));
const FLINK = ['org.apache.flink:flink-json:2.3.0', 'org.apache.flink:flink-table-common:2.3.0'];
const JAVA = '/usr/lib/jvm/java-17-openjdk-amd64/bin/java';

// In range for Flink's DATE, TIMESTAMP and TIME (the matrix has zero dates and 838-hour TIMEs,
// which Flink's types cannot hold: there those columns are read as text).
const TEMPORALS = {
  table: 'flink_temporals',
  columns: 'id INT PRIMARY KEY, d DATE, dt DATETIME, dt3 DATETIME(3), ts6 TIMESTAMP(6) NULL, t TIME, y YEAR',
  rows: [
    "(1, '2024-02-29', '2024-02-29 13:45:30', '1999-12-31 23:59:59.125', '2038-01-19 03:14:07.999999', '23:59:59', 2024)",
    "(2, '1000-01-01', '9999-12-31 23:59:59', '2024-01-01 00:00:00.000', '1970-01-01 00:00:01.000001', '00:00:00', 1901)",
    '(3, NULL, NULL, NULL, NULL, NULL, NULL)',
  ],
};
const TABLES = [...cases.map(({ table, columns, rows }) => ({ table, columns, rows })), TEMPORALS];

interface Column {
  name: string;
  dataType: string;
  unsigned: boolean;
  precision: number | null;
  scale: number | null;
  fsp: number | null;
}

interface FlinkRow {
  table: string;
  kind: '+I' | '-U' | '+U' | '-D';
  values: (string | null)[];
}

const BYTES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const GEOMETRY = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'geometrycollection']);

/** The Flink column type a user would declare: a native one where its range holds the column's. */
function flinkType(c: Column, typedTemporals: boolean): string {
  switch (c.dataType) {
    case 'tinyint':
      return c.unsigned ? 'SMALLINT' : 'TINYINT';
    case 'smallint':
      return c.unsigned ? 'INT' : 'SMALLINT';
    case 'mediumint':
      return 'INT';
    case 'int':
      return c.unsigned ? 'BIGINT' : 'INT';
    case 'bigint':
      return c.unsigned ? 'DECIMAL(20, 0)' : 'BIGINT';
    case 'bit':
      return 'DECIMAL(20, 0)';
    case 'decimal':
      return c.precision! <= 38 ? `DECIMAL(${c.precision}, ${c.scale})` : 'STRING';
    case 'float':
      return 'FLOAT';
    case 'double':
      return 'DOUBLE';
    case 'date':
      return typedTemporals ? 'DATE' : 'STRING';
    case 'datetime':
    case 'timestamp':
      return typedTemporals ? `TIMESTAMP(${c.fsp})` : 'STRING';
    case 'time':
      return typedTemporals ? 'TIME(0)' : 'STRING';
    case 'year':
      return typedTemporals ? 'INT' : 'STRING';
    default:
      return 'STRING';
  }
}

/** How the source shows the cell: its own text, or hex of the bytes, or a number for FLOAT/DOUBLE. */
function sourceExpression(c: Column): string {
  const col = `\`${c.name}\``;
  if (BYTES.has(c.dataType)) return `HEX(${col})`;
  if (GEOMETRY.has(c.dataType)) return `HEX(ST_AsWKB(${col}))`;
  if (c.dataType === 'bit') return `CAST(${col} + 0 AS CHAR)`;
  if (c.dataType === 'float' || c.dataType === 'double') return `CAST(${col} AS DOUBLE)`;
  return `CONVERT(${col} USING utf8mb4)`;
}

/** Source and Flink values brought to one comparable text. */
function comparable(
  c: Column,
  type: string,
  value: string | number | null,
  from: 'source' | 'flink',
): string | null {
  if (value === null) return null;
  if (BYTES.has(c.dataType) || GEOMETRY.has(c.dataType))
    return from === 'flink'
      ? Buffer.from(String(value), 'latin1').toString('hex').toUpperCase()
      : String(value);
  if (c.dataType === 'float') return String(Math.fround(Number(value)));
  if (c.dataType === 'double') return String(Number(value));
  if (type.startsWith('TIMESTAMP') && from === 'source') {
    const [whole, fraction = ''] = String(value).split('.');
    return `${whole}.${fraction.padEnd(6, '0')}`;
  }
  return String(value);
}

/** Runs the Flink harness over `messages`; one reply per message. */
async function readWithFlink(
  classpath: string,
  tables: { name: string; columns: { name: string; type: string }[] }[],
  messages: Buffer[],
): Promise<{ rows?: FlinkRow[]; error?: string }[]> {
  const java = spawn(JAVA, ['-Xmx256m', '-cp', `${classpath}/*`, READER], { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  java.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  java.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => java.on('exit', resolve));
  for (const t of tables) java.stdin.write(`TABLE ${t.name} ${JSON.stringify(t.columns)}\n`);
  for (const m of messages) java.stdin.write(`MSG ${m.toString('base64')}\n`);
  java.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`the Flink reader exited with ${code}:\n${stderr}`);
  const replies = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { rows?: FlinkRow[]; error?: string });
  if (replies.length !== messages.length)
    throw new Error(`${replies.length} replies to ${messages.length}:\n${stderr}`);
  return replies;
}

describe("Flink's canal-json format reading a Canal JSON job's topic", () => {
  const database = uniqueName('fcj').replaceAll('-', '_');
  const topic = uniqueName('canal-json');
  const columns = new Map<string, Column[]>();
  const flinkTypes = new Map<string, string[]>();
  /** Per table, row id → the source's comparable text of each cell, as inserted. */
  const inserted = new Map<string, Map<number, (string | null)[]>>();
  let db: mysql.Connection;
  const messages: Buffer[] = [];
  let records: CanalRecord[] = [];
  let replies: { rows?: FlinkRow[]; error?: string }[] = [];
  let finalChanges: (string | null)[][] = [];

  const sourceRows = async (table: string, where = '') => {
    const cols = columns.get(table)!;
    const [rows] = await db.query<mysql.RowDataPacket[]>({
      sql: `SELECT ${cols.map(sourceExpression).join(', ')} FROM ${database}.${table} ${where} ORDER BY id`,
      rowsAsArray: true,
    });
    const types = flinkTypes.get(table)!;
    return rows.map((r) => cols.map((c, i) => comparable(c, types[i]!, r[i], 'source')));
  };

  beforeAll(async () => {
    const classpath = await mavenClasspath('flink-json-2.3.0', FLINK);
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query("SET SESSION sql_mode = '', time_zone = '+00:00'");
    for (const t of TABLES) {
      await db.query(`CREATE TABLE ${database}.${t.table} (${t.columns})`);
      await db.query(`INSERT INTO ${database}.${t.table} VALUES ${t.rows.join(', ')}`);
    }
    await db.query(`CREATE TABLE ${database}.changes (id INT PRIMARY KEY, v VARCHAR(20), n INT)`);
    await db.query(`INSERT INTO ${database}.changes VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)`);
    for (const table of [...TABLES.map((t) => t.table), 'changes']) {
      const [rows] = await db.query<mysql.RowDataPacket[]>(
        `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        [database, table],
      );
      const cols = rows.map((r) => ({
        name: r.COLUMN_NAME as string,
        dataType: r.DATA_TYPE as string,
        unsigned: String(r.COLUMN_TYPE).includes('unsigned'),
        precision: r.NUMERIC_PRECISION as number | null,
        scale: r.NUMERIC_SCALE as number | null,
        fsp: r.DATETIME_PRECISION as number | null,
      }));
      columns.set(table, cols);
      flinkTypes.set(
        table,
        cols.map((c) => flinkType(c, table === TEMPORALS.table)),
      );
      inserted.set(table, new Map((await sourceRows(table)).map((r) => [Number(r[0]), r])));
    }

    await createTopic(env, topic, 1);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('fcj'), {
        topic,
        objects: [{ database }],
        target: { format: 'canal-json', canalJson: { types: 'canal' } },
        initialization: { data: true, schema: true },
        ddl: { emit: true },
      }),
    );
    try {
      await untilCaughtUp(db, () => worker.report.snapshot());
      for (const c of cases) {
        const t = `${database}.${c.table}`;
        const names = columns
          .get(c.table)!
          .map((col) => `\`${col.name}\``)
          .filter((n) => n !== '`id`');
        await db.query(`CREATE TEMPORARY TABLE ${database}.saved_${c.table} LIKE ${t}`);
        await db.query(`INSERT INTO ${database}.saved_${c.table} SELECT * FROM ${t} WHERE id = 1`);
        await db.query(`UPDATE ${t} SET ${names.map((n) => `${n} = NULL`).join(', ')} WHERE id = 1`);
        await db.query(
          `UPDATE ${t} AS t JOIN ${database}.saved_${c.table} AS s ON s.id = t.id SET ${names.map((n) => `t.${n} = s.${n}`).join(', ')}`,
        );
        await db.query(`DELETE FROM ${t} WHERE id = 2`);
      }
      const changes = `${database}.changes`;
      await db.query(`REPLACE INTO ${changes} VALUES (1, 'replaced', NULL), (4, 'four', 4)`);
      await db.query(`UPDATE ${changes} SET n = 20, v = NULL WHERE id = 2`);
      await db.query(`UPDATE ${changes} SET v = 'back' WHERE id = 2`);
      await db.query(`ALTER TABLE ${changes} ADD COLUMN extra INT`);
      await db.query(`INSERT INTO ${changes} VALUES (5, 'five', 5, 50)`);
      await db.query(`DELETE FROM ${changes} WHERE id = 3`);
      await untilCaughtUp(db, () => worker.report.snapshot());
    } finally {
      await worker.stop();
    }
    finalChanges = (await sourceRows('changes')).map((r) => r.slice(0, 3));
    await foldRaw(env.kafka.brokers, topic, (m) => messages.push(m.value));
    records = messages.map(parseCanalRecord);
    replies = await readWithFlink(
      classpath,
      [...TABLES.map((t) => t.table), 'changes'].map((table) => ({
        name: table,
        columns: columns
          .get(table)!
          .slice(0, table === 'changes' ? 3 : undefined)
          .map((c, i) => ({ name: c.name, type: flinkTypes.get(table)![i]! })),
      })),
      messages,
    );
  }, 600_000);

  afterAll(async () => {
    await db?.query(`DROP DATABASE IF EXISTS ${database}`);
    await db?.end();
    await deleteTopics(env, [topic]);
  });

  const rowsOf = (table: string) => replies.flatMap((r) => r.rows ?? []).filter((r) => r.table === table);

  /** Flink's values of a row, brought to the comparable text of the source's. */
  const fromFlink = (table: string, row: FlinkRow) =>
    row.values.map((v, i) => comparable(columns.get(table)![i]!, flinkTypes.get(table)![i]!, v, 'flink'));

  it('decodes every row record; of the DDL records it skips CREATE and refuses the types it does not know', () => {
    expect(records.length).toBeGreaterThan(0);
    const refused = replies.flatMap((r, i) => (r.error ? [records[i]!] : []));
    expect(refused.map((r) => [r.type, r.isDdl])).toEqual([['ALTER', true]]);
    expect(replies.find((r) => r.error)!.error).toContain('Unknown "type" value "ALTER"');
    const creates = records.flatMap((r, i) => (r.type === 'CREATE' ? [replies[i]!] : []));
    expect(creates).toHaveLength(TABLES.length + 1);
    expect(creates.every((r) => r.rows?.length === 0 && r.error === undefined)).toBe(true);
  });

  describe.each(TABLES.map((t) => t.table))('%s', (table) => {
    it('yields every copied row as an INSERT with the source’s values', () => {
      const source = [...inserted.get(table)!.values()];
      const copied = rowsOf(table).slice(0, source.length);
      expect(copied.map((r) => r.kind)).toEqual(source.map(() => '+I'));
      expect(copied.map((r) => fromFlink(table, r))).toEqual(source);
    });
  });

  describe.each(cases.map((c) => c.table))('%s', (table) => {
    it('yields an UPDATE to NULL and back, and a DELETE, with both images', () => {
      const rows = inserted.get(table)!;
      const one = rows.get(1)!;
      const nulled = [one[0]!, ...one.slice(1).map(() => null)];
      const changed = rowsOf(table).slice(rows.size);
      expect(changed.map((r) => [r.kind, fromFlink(table, r)])).toEqual([
        ['-U', one],
        ['+U', nulled],
        ['-U', nulled],
        ['+U', one],
        ['-D', rows.get(2)!],
      ]);
    });
  });

  it('materializes, from Flink’s changelog of REPLACEs, UPDATEs, an ALTER and DELETEs, the source table', () => {
    const table = new Map<string, (string | null)[]>();
    for (const row of rowsOf('changes')) {
      const id = row.values[0]!;
      if (row.kind === '-D' || row.kind === '-U') {
        expect(table.get(id), `${row.kind} of a row Flink does not have`).toEqual(row.values);
        table.delete(id);
      } else table.set(id, row.values);
    }
    expect([...table.values()].sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(finalChanges);
  });

  it('writes the columns’ declared types, JDBC type codes and key names in every row record', () => {
    const rec = records.find((r) => r.table === 'changes' && r.type === 'INSERT' && r.data![0]!.id === '5')!;
    expect(rec).toMatchObject({
      database,
      isDdl: false,
      pkNames: ['id'],
      mysqlType: { id: 'int(11)', v: 'varchar(20)', n: 'int(11)', extra: 'int(11)' },
      sqlType: { id: 4, v: 12, n: 4, extra: 4 },
      data: [{ id: '5', v: 'five', n: '5', extra: '50' }],
      old: null,
    });
    expect(rec.gtid).toMatch(/^\d+-\d+-\d+$/);
    expect(rec.es % 1000).toBe(0);
    expect(rec.ts).toBeGreaterThanOrEqual(rec.es);
    const ids = records.map((r) => r.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

describe('a Canal JSON job with the service’s type names, through syncjob decode', () => {
  const database = uniqueName('cjd').replaceAll('-', '_');
  const topic = uniqueName('canal-json-dts');
  let db: mysql.Connection;

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(`CREATE TABLE ${database}.t (id INT PRIMARY KEY, v VARCHAR(20))`);
    await db.query(`INSERT INTO ${database}.t VALUES (1, 'copied')`);
    await createTopic(env, topic, 1);
    const worker = await startWorker(
      env,
      testJob(env, uniqueName('cjd'), {
        topic,
        objects: [{ database }],
        target: { format: 'canal-json' },
        initialization: { data: true },
        ddl: { emit: true },
      }),
    );
    try {
      await untilCaughtUp(db, () => worker.report.snapshot());
      await db.query(`UPDATE ${database}.t SET v = 'streamed' WHERE id = 1`);
      await db.query(`ALTER TABLE ${database}.t ADD COLUMN w INT`);
      await untilCaughtUp(db, () => worker.report.snapshot());
    } finally {
      await worker.stop();
    }
  }, 300_000);

  afterAll(async () => {
    await db?.query(`DROP DATABASE IF EXISTS ${database}`);
    await db?.end();
    await deleteTopics(env, [topic]);
  });

  it('writes INIT for copied rows and DDL for statements, and decode prints each record as it is', async () => {
    const cli = startCli([
      'decode',
      '--brokers',
      env.kafka.brokers.join(','),
      '--topic',
      topic,
      '--from-beginning',
    ]);
    expect(await cli.exited, cli.output()).toBe(0);
    const lines = cli
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CanalRecord & { format: string; partition: number });
    expect(lines.map((l) => [l.format, l.type, l.isDdl])).toEqual([
      ['canal-json', 'INIT', false],
      ['canal-json', 'UPDATE', false],
      ['canal-json', 'DDL', true],
    ]);
    expect(lines.map((l) => [l.data, l.old])).toEqual([
      [[{ id: '1', v: 'copied' }], null],
      [[{ id: '1', v: 'streamed' }], [{ v: 'copied' }]],
      [null, null],
    ]);
    expect(lines[2]).toMatchObject({
      database,
      table: 't',
      sql: `ALTER TABLE ${database}.t ADD COLUMN w INT`,
    });
  });
});
