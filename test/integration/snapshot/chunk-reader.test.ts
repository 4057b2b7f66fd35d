import { createConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHARACTER, type DtsValue } from '../../../src/format/dts-avro/values.ts';
import { loadTableSchema } from '../../../src/source/mysql/load-table-schema.ts';
import {
  SNAPSHOT_QUERY_OPTIONS,
  SNAPSHOT_SESSION_SQL,
  snapshotSelectList,
} from '../../../src/source/mysql/snapshot-query.ts';
import { snapshotConverter } from '../../../src/source/mysql/value-converters.ts';
import type { SnapshotRow, TableSchema } from '../../../src/source/row-change.ts';
import {
  type ChunkCursor,
  chooseChunkKey,
  chunkQuery,
  NO_USABLE_KEY,
  planChunkQueries,
} from '../../../src/source/snapshot/chunk-plan.ts';
import {
  type ChunkReader,
  createChunkReader,
  keyIdentity,
} from '../../../src/source/snapshot/chunk-reader.ts';
import { showCreateTable } from '../../../src/source/snapshot/show-create.ts';
import { rootConnection } from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

// Every key kind paged in chunks of 100 through the least-privilege account must give exactly one
// big ordered SELECT: no duplicate, no gap, in the index's (collation) order, and the same remainder
// when resumed from a cursor that went through JSON.

const CHUNK = 100;

// Deterministic data: a failure reproduces.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}
const rnd = random(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
const hexOf = (parts: readonly (string | number[])[]): string =>
  `X'${Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))).toString('hex')}'`;
const randomBytes = (min: number, max: number, alphabet: readonly number[]): number[] =>
  Array.from({ length: min + Math.floor(rnd() * (max - min + 1)) }, () => pick(alphabet));
const times = <T>(n: number, row: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => row(i));

interface KeyCase {
  table: string;
  columns: string;
  /** VALUES tuples; INSERT IGNORE drops the ones equal under the key's collation. */
  rows: string[];
  index: string;
  key: string[];
  /** Text keys: [lower, higher] in the collation whose bytes compare the other way round. */
  collationOrder?: [Buffer, Buffer];
}

const LATIN1_BYTES = [
  ...times(26, (i) => 0x41 + i),
  ...times(26, (i) => 0x61 + i),
  0x81,
  0xc4,
  0xe4,
  0xe5,
  0xe9,
  0xf6,
];
const BYTES = times(256, (i) => i);
const UTF8_CHARS = ['a', 'B', 'c', 'D', 'e', 'É', 'é', 'ß', 'ö', '中', '_', '0'];
const DATETIMES = times(
  200,
  (i) => `'2024-03-31 01:${String(i % 60).padStart(2, '0')}:00' + INTERVAL ${i} DAY`,
);

const cases: KeyCase[] = [
  {
    table: 'k_int',
    columns: 'id INT NOT NULL PRIMARY KEY, v VARCHAR(20)',
    rows: times(2500, (i) => `(${((i * 7919) % 2500) * 7 - 9000}, 'r${i}')`),
    index: 'PRIMARY',
    key: ['id'],
  },
  {
    // Neighbours above 2^53 are equal as doubles: a cursor compared as a double would skip them.
    table: 'k_bigint_unsigned',
    columns: 'id BIGINT UNSIGNED NOT NULL PRIMARY KEY, v INT',
    rows: times(2500, (i) => `(${i % 2 === 0 ? 18446744073709551615n - BigInt(i) : BigInt(i)}, ${i})`),
    index: 'PRIMARY',
    key: ['id'],
  },
  {
    table: 'k_decimal',
    columns: 'id DECIMAL(20,4) NOT NULL PRIMARY KEY, v INT',
    rows: times(2500, (i) => `((${(i * 7919) % 2500} - 1250) * 1.2345, ${i})`),
    index: 'PRIMARY',
    key: ['id'],
  },
  {
    table: 'k_varchar_ci',
    columns: 'name VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL PRIMARY KEY, v INT',
    rows: [
      "('a', -1)",
      "('B', -2)",
      ...times(3000, (i) => `(${hexOf(times(3 + Math.floor(rnd() * 4), () => pick(UTF8_CHARS)))}, ${i})`),
    ],
    index: 'PRIMARY',
    key: ['name'],
    collationOrder: [Buffer.from('a'), Buffer.from('B')],
  },
  {
    table: 'k_latin1',
    columns: 'name VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL PRIMARY KEY, v INT',
    rows: [
      "(X'e9', -1)",
      "('f', -2)",
      ...times(3000, (i) => `(${hexOf([randomBytes(3, 5, LATIN1_BYTES)])}, ${i})`),
    ],
    index: 'PRIMARY',
    key: ['name'],
    // latin1_swedish_ci sorts é with e, before f; its byte 0xE9 is above f's 0x66.
    collationOrder: [Buffer.from([0xe9]), Buffer.from('f')],
  },
  {
    table: 'k_binary',
    columns: 'b BINARY(4) NOT NULL PRIMARY KEY, v INT',
    rows: times(3000, (i) => `(${hexOf([randomBytes(2, 4, BYTES)])}, ${i})`),
    index: 'PRIMARY',
    key: ['b'],
  },
  {
    table: 'k_varbinary',
    columns: 'b VARBINARY(8) NOT NULL PRIMARY KEY, v INT',
    rows: times(3000, (i) => `(${hexOf([randomBytes(0, 5, BYTES)])}, ${i})`),
    index: 'PRIMARY',
    key: ['b'],
  },
  {
    table: 'k_date',
    columns: 'd DATE NOT NULL PRIMARY KEY, v INT',
    rows: [
      "('0000-00-00', -1)",
      "('2024-00-00', -2)",
      "('9999-12-31', -3)",
      ...times(2500, (i) => `('1000-01-01' + INTERVAL ${((i * 7919) % 2500) * 97} DAY, ${i})`),
    ],
    index: 'PRIMARY',
    key: ['d'],
  },
  {
    table: 'k_datetime',
    columns: 'dt DATETIME(6) NOT NULL PRIMARY KEY, v INT',
    rows: [
      "('0000-00-00 00:00:00', -1)",
      ...times(2500, (i) => `('2024-01-01' + INTERVAL ${((i * 7919) % 2500) * 1_234_567} MICROSECOND, ${i})`),
    ],
    index: 'PRIMARY',
    key: ['dt'],
  },
  {
    // A secondary unique key (no primary key): lookups per row, FORCE INDEX keeps the range.
    table: 'k_composite',
    columns: `a INT NOT NULL, b VARCHAR(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      c DATETIME NOT NULL, v INT, UNIQUE KEY uk_abc (a, b, c)`,
    rows: times(3000, (i) => `(${Math.floor(rnd() * 3)}, '${pick(UTF8_CHARS)}', ${pick(DATETIMES)}, ${i})`),
    index: 'uk_abc',
    key: ['a', 'b', 'c'],
  },
  {
    table: 'k_temporal',
    columns: 'ts TIMESTAMP(3) NOT NULL, y YEAR NOT NULL, tm TIME(2) NOT NULL, v INT, PRIMARY KEY (ts, y, tm)',
    rows: times(
      3000,
      (i) =>
        `(FROM_UNIXTIME(1711846800 + ${Math.floor(rnd() * 300)} * 3600 + 0.125), ${pick([0, 1901, 2024, 2155])}, ` +
        `SEC_TO_TIME(${Math.floor(rnd() * 40) - 20} * 1800.5), ${i})`,
    ),
    index: 'PRIMARY',
    key: ['ts', 'y', 'tm'],
  },
];

describe('chunk reader: keyset pages equal one ordered SELECT', () => {
  const env = testEnv();
  const database = uniqueName('snapshot').replace('-', '_');
  let root: mysql.Connection;
  let sync: mysql.Connection;

  async function syncConnection(): Promise<mysql.Connection> {
    const { host, port, syncUser, syncPassword } = env.mysql;
    const conn = await mysql.createConnection({ host, port, user: syncUser, password: syncPassword });
    await conn.query(SNAPSHOT_SESSION_SQL);
    return conn;
  }

  const schema = (table: string): Promise<TableSchema> => loadTableSchema(sync, database, table);

  async function oneSelect(table: TableSchema, orderBy: readonly string[]): Promise<DtsValue[][]> {
    const converters = table.columns.map(snapshotConverter);
    const order = orderBy.length === 0 ? '' : ` ORDER BY ${orderBy.join(', ')}`;
    const sql = `SELECT ${snapshotSelectList(table.columns)} FROM ${database}.${table.table}${order}`;
    const [rows] = await sync.query<mysql.RowDataPacket[]>({ sql, ...SNAPSHOT_QUERY_OPTIONS });
    return (rows as unknown as unknown[][]).map((row) => row.map((cell, i) => converters[i]!(cell)));
  }

  const converted = (table: TableSchema, rows: readonly SnapshotRow[]): DtsValue[][] => {
    const converters = table.columns.map(snapshotConverter);
    return rows.map((row) => row.map((cell, i) => converters[i]!(cell)));
  };

  async function readAll(table: TableSchema, reader: ChunkReader, from: ChunkCursor | null) {
    const rows: DtsValue[][] = [];
    const cursors: ChunkCursor[] = [];
    let after = from;
    do {
      const chunk = await reader.readChunk(after, CHUNK);
      expect(chunk.rows.length).toBeLessThanOrEqual(CHUNK);
      rows.push(...converted(table, chunk.rows));
      after = chunk.last;
      if (after !== null) cursors.push(after);
    } while (after !== null);
    return { rows, cursors };
  }

  beforeAll(async () => {
    root = await rootConnection(env);
    await root.query(`CREATE DATABASE ${database}`);
    // Non-strict for the zero dates; UTC so TIMESTAMP literals are the instants.
    await root.query("SET SESSION sql_mode = '', time_zone = '+00:00'");
    for (const c of cases) {
      await root.query(`CREATE TABLE ${database}.${c.table} (${c.columns})`);
      await root.query(`INSERT IGNORE INTO ${database}.${c.table} VALUES ${c.rows.join(', ')}`);
      await root.query(`ANALYZE TABLE ${database}.${c.table}`);
    }
    sync = await syncConnection();
  });

  afterAll(async () => {
    await sync?.end();
    await root?.query(`DROP DATABASE IF EXISTS ${database}`);
    await root?.end();
  });

  describe.each(cases)('$table', (c) => {
    it('reads every row once, in index order, and resumes from a JSON cursor', async () => {
      const table = await schema(c.table);
      const expected = await oneSelect(table, c.key);
      expect(expected.length).toBeGreaterThan(2000);

      const reader = await createChunkReader(sync, table);
      expect(reader).toMatchObject({ key: c.key, warning: null });
      const { rows, cursors } = await readAll(table, reader, null);
      expect(rows).toEqual(expected);
      expect(new Set(rows.map((row) => keyIdentity(row, reader.keyIndexes))).size).toBe(rows.length);

      // A restarted worker: new connection, new reader, the cursor as it comes back from Kafka.
      const k = 7;
      const stored: ChunkCursor = JSON.parse(JSON.stringify(cursors[k - 1]));
      const restarted = await syncConnection();
      try {
        const resumed = await readAll(table, await createChunkReader(restarted, table), stored);
        expect(resumed.rows).toEqual(expected.slice(k * CHUNK));
      } finally {
        await restarted.end();
      }

      if (c.collationOrder !== undefined) {
        const [low, high] = c.collationOrder;
        const at = (bytes: Buffer) =>
          rows.findIndex((row) => {
            const cell = row[reader.keyIndexes[0]!] as { [CHARACTER]: { value: Buffer } };
            return cell[CHARACTER].value.equals(bytes);
          });
        expect(Buffer.compare(low, high)).toBe(1);
        expect(at(low)).toBeGreaterThanOrEqual(0);
        expect(at(low)).toBeLessThan(at(high));
      }
    });

    it('scans the key index as a range, never the whole table', async () => {
      const table = await schema(c.table);
      const key = chooseChunkKey(table)!;
      const [collations] = await sync.query<mysql.RowDataPacket[]>(
        'SELECT COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
        [database, c.table],
      );
      const queries = planChunkQueries(
        table,
        key,
        new Map(collations.map((row) => [row.COLUMN_NAME as string, row.COLLATION_NAME as string])),
      );
      const reader = await createChunkReader(sync, table);
      const { last } = await reader.readChunk(null, CHUNK);
      const explain = async (after: ChunkCursor | null) => {
        const { sql, values } = chunkQuery(queries, after, CHUNK);
        const [rows] = await sync.query<mysql.RowDataPacket[]>({ sql: `EXPLAIN ${sql}`, values });
        return rows.map(({ type, key: used }) => ({ type, key: used }));
      };
      expect(await explain(null)).toEqual([{ type: 'index', key: c.index }]);
      const next = await explain(last);
      expect(next).toEqual([{ type: 'range', key: c.index }]);
    });
  });

  it('reads a table without a key, or with only a nullable unique key, in one flagged full scan', async () => {
    await root.query(`CREATE TABLE ${database}.no_key (v INT, note VARCHAR(10));
      CREATE TABLE ${database}.nullable_uk (u INT NULL, v INT, UNIQUE KEY uk_u (u));
      INSERT INTO ${database}.no_key VALUES (1, 'a'), (1, 'a'), (2, NULL);
      INSERT INTO ${database}.nullable_uk VALUES (NULL, 1), (NULL, 2), (3, 3)`);
    for (const name of ['no_key', 'nullable_uk']) {
      const table = await schema(name);
      const reader = await createChunkReader(sync, table);
      expect(reader).toMatchObject({ key: null, keyIndexes: [], warning: NO_USABLE_KEY });
      const chunk = await reader.readChunk(null, 1);
      expect(chunk.last).toBeNull();
      const sortedByV = ['v', ...table.columns.map((column) => column.name)];
      const expected = await oneSelect(table, sortedByV);
      expect(chunk.rows).toHaveLength(3);
      expect(converted(table, chunk.rows)).toEqual(expect.arrayContaining(expected));
      await expect(reader.readChunk({ key: ['v'], hex: ['31'] }, 1)).rejects.toThrow(/no chunk key/);
    }
  });

  it('prints SHOW CREATE TABLE through the least-privilege account', async () => {
    await root.query(
      `CREATE TABLE ${database}.commented (id INT PRIMARY KEY, n VARCHAR(5) CHARACTER SET latin1 COMMENT 'Größe €') COMMENT 'naïve 中'`,
    );
    const [[fromRoot]] = await root.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE ${database}.commented`);
    const ddl = await showCreateTable(sync, database, 'commented');
    expect(ddl).toBe(fromRoot!['Create Table']);
    expect(ddl).toContain("COMMENT 'Größe €'");
    expect(ddl).toContain("COMMENT='naïve 中'");
    await expect(showCreateTable(sync, database, 'missing')).rejects.toThrow(/doesn't exist/);
  });

  it('measures chunked reads against one streamed SELECT (the initialization ceiling)', async () => {
    const rows = 200_000;
    await root.query(`CREATE TABLE ${database}.bench (id INT PRIMARY KEY, a BIGINT, b VARCHAR(40),
        c DATETIME(6), d DECIMAL(12,2));
      INSERT INTO ${database}.bench SELECT seq, seq * 1000003, CONCAT('row ', seq, ' of the benchmark'),
        '2024-01-01' + INTERVAL seq SECOND, seq / 7 FROM ${database}.seq_1_to_${rows}`);
    const table = await schema('bench');
    const converters = table.columns.map(snapshotConverter);
    const sql = `SELECT ${snapshotSelectList(table.columns)} FROM ${database}.bench`;

    // The plain mysql2 connection: its query().stream() is what the promise wrapper does not offer.
    const { host, port, syncUser, syncPassword } = env.mysql;
    const plain = createConnection({ host, port, user: syncUser, password: syncPassword });
    await plain.promise().query(SNAPSHOT_SESSION_SQL);
    const streamed = async (): Promise<number> => {
      let count = 0;
      const stream = plain.query({ sql, ...SNAPSHOT_QUERY_OPTIONS }).stream();
      for await (const row of stream as AsyncIterable<unknown[]>) {
        for (let i = 0; i < converters.length; i++) converters[i]!(row[i]);
        count++;
      }
      return count;
    };
    const chunked = async (): Promise<number> => {
      const reader = await createChunkReader(sync, table);
      let count = 0;
      let after: ChunkCursor | null = null;
      do {
        const chunk = await reader.readChunk(after, 10_000);
        count += chunk.rows.length;
        after = chunk.last;
      } while (after !== null);
      return count;
    };
    const rate = async (read: () => Promise<number>): Promise<number> => {
      const start = performance.now();
      expect(await read()).toBe(rows);
      return rows / ((performance.now() - start) / 1000);
    };

    await streamed(); // warm the buffer pool
    const stream1 = await rate(streamed);
    const chunks = await rate(chunked);
    const stream2 = await rate(streamed);
    await plain.promise().end();
    const stream = Math.max(stream1, stream2);
    console.log(
      `snapshot read, ${rows} rows: chunks of 10,000 ${Math.round(chunks)} rows/s, ` +
        `one streamed SELECT ${Math.round(stream1)} / ${Math.round(stream2)} rows/s, ` +
        `ratio ${(chunks / stream).toFixed(2)} (both convert every cell)`,
    );
  });
});
