import type { AnyBinlogEvent, TableMapEvent, WriteRowsEvent } from '@vlasky/zongji';
import ZongJi from '@vlasky/zongji';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordEncoder, encodeRecord } from '../../../src/format/dts-avro/codec.ts';
import { rowRecord, snapshotRecordShell } from '../../../src/format/dts-avro/record.ts';
import type { DtsRecord } from '../../../src/format/dts-avro/schema.ts';
import { snapshotImagesEncoder } from '../../../src/format/dts-avro/snapshot-images.ts';
import type { DtsValue } from '../../../src/format/dts-avro/values.ts';
import { handleMysqlOnlyEvents } from '../../../src/source/binlog/mysql-only-events.ts';
import { columnSpecsFromTableMap, layoutDrift } from '../../../src/source/mysql/column-spec.ts';
import { loadTableSchema } from '../../../src/source/mysql/load-table-schema.ts';
import {
  SNAPSHOT_QUERY_OPTIONS,
  SNAPSHOT_SESSION_SQL,
  snapshotSelectList,
} from '../../../src/source/mysql/snapshot-query.ts';
import {
  binlogConverter,
  snapshotCellForm,
  snapshotConverter,
} from '../../../src/source/mysql/value-converters.ts';
import { keepRawCells, ZONGJI_CONNECTION_OPTIONS } from '../../../src/source/mysql/zongji-decoding.ts';
import type { ColumnSpec, SnapshotRow, TableSchema } from '../../../src/source/row-change.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { casesFor } from '../../support/type-matrix-cases.ts';

// An INIT record as the pipeline assembles it around images encoded apart.
const encodeWithImages = (shell: DtsRecord, images: Buffer) =>
  createRecordEncoder().encodeInitRecords(shell)(Number(shell.id), images);

// One table per family of MySQL types, rows with extremes, zero values and all NULLs, read (a) from
// the binlog through zongji with the least-privilege account and (b) by the snapshot SELECT; both
// must give exactly the DTS values written in the fixture from MySQL semantics, hence each other.

describe('MySQL type matrix: binlog and snapshot give the same DTS values', () => {
  const env = testEnv();
  const db = env.mysql;
  const cases = casesFor(env.sourceType);
  const database = uniqueName('types').replace('-', '_');
  const binlogRows = new Map<string, Record<string, unknown>[]>();
  const tableMaps = new Map<string, ColumnSpec[]>();
  const schemas = new Map<string, TableSchema>();
  let root: mysql.Connection;
  let snapshot: mysql.Connection;
  let zongji: ZongJi;

  beforeAll(async () => {
    const account = { host: db.host, port: db.port };
    root = await mysql.createConnection({ ...account, user: db.rootUser, password: db.rootPassword });
    await root.query(`CREATE DATABASE ${database}`);
    for (const c of cases) await root.query(`CREATE TABLE ${database}.${c.table} (${c.columns})`);

    zongji = new ZongJi({
      ...account,
      user: db.syncUser,
      password: db.syncPassword,
      ...ZONGJI_CONNECTION_OPTIONS,
    });
    handleMysqlOnlyEvents(zongji, () => undefined);
    const expectedRows = cases.reduce((sum, c) => sum + c.rows.length, 0);
    let seenRows = 0;
    const received = new Promise<void>((resolve, reject) => {
      zongji.on('error', reject);
      zongji.on('binlog', (event: AnyBinlogEvent) => {
        if (event.getEventName() === 'tablemap') {
          const tableMap = event as TableMapEvent;
          const entry = tableMap.tableMap[tableMap.tableId]!;
          tableMaps.set(tableMap.tableName, columnSpecsFromTableMap(tableMap));
          keepRawCells(entry);
        } else {
          const rows = event as WriteRowsEvent;
          const table = rows.tableMap[rows.tableId]!.tableName;
          binlogRows.set(table, [...(binlogRows.get(table) ?? []), ...rows.rows]);
          seenRows += rows.rows.length;
          if (seenRows === expectedRows) resolve();
        }
      });
    });
    await new Promise<void>((resolve) => {
      zongji.on('ready', () => resolve());
      zongji.start({
        serverId: 100_000 + Math.floor(Math.random() * 1_000_000),
        startAtEnd: true,
        includeEvents: ['tablemap', 'writerows'],
        includeSchema: { [database]: true },
      });
    });

    // Non-strict, so zero dates, zero parts and the ENUM error value can be stored; UTC, so the
    // TIMESTAMP literals are the instants written in the expectations.
    await root.query("SET SESSION sql_mode = '', time_zone = '+00:00'");
    for (const c of cases) await root.query(`INSERT INTO ${database}.${c.table} VALUES ${c.rows.join(', ')}`);
    await received;

    snapshot = await mysql.createConnection({ ...account, user: db.syncUser, password: db.syncPassword });
    await snapshot.query(SNAPSHOT_SESSION_SQL);
    for (const c of cases) schemas.set(c.table, await loadTableSchema(snapshot, database, c.table));
  });

  afterAll(async () => {
    zongji?.stop();
    await snapshot?.end();
    await root?.query(`DROP DATABASE IF EXISTS ${database}`);
    await root?.end();
  });

  function schemaOf(table: string): TableSchema {
    const schema = schemas.get(table);
    if (schema === undefined) throw new Error(`no schema for ${table}`);
    return schema;
  }

  function fromBinlog(table: string): DtsValue[][] {
    const { columns } = schemaOf(table);
    const converters = columns.map((c) => binlogConverter(c, { binaryJson: env.sourceType === 'mysql' }));
    return (binlogRows.get(table) ?? []).map((row) =>
      columns.map((column, i) => converters[i]!(row[column.name])),
    );
  }

  async function snapshotRows(table: string): Promise<SnapshotRow[]> {
    const { columns } = schemaOf(table);
    const sql = `SELECT ${snapshotSelectList(columns)} FROM ${database}.${table} ORDER BY id`;
    const [rows] = await snapshot.query<mysql.RowDataPacket[]>({ sql, ...SNAPSHOT_QUERY_OPTIONS });
    return rows as unknown as SnapshotRow[];
  }

  async function fromSnapshot(table: string): Promise<DtsValue[][]> {
    const converters = schemaOf(table).columns.map(snapshotConverter);
    return (await snapshotRows(table)).map((row) => row.map((cell, i) => converters[i]!(cell)));
  }

  describe.each(cases)('$table', (c) => {
    it('has the DTS type numbers, and the binlog layout fits the loaded schema', () => {
      const schema = schemaOf(c.table);
      expect(schema.columns.map((column) => column.typeNumber)).toEqual(c.types);
      const binlog = tableMaps.get(c.table)!;
      expect(layoutDrift(schema.columns, binlog)).toEqual([]);
    });

    it('converts binlog values exactly', () => {
      expect(fromBinlog(c.table)).toEqual(c.expected);
    });

    it('converts snapshot values exactly', async () => {
      expect(await fromSnapshot(c.table)).toEqual(c.expected);
    });

    it('gives the same value on both paths, cell by cell', async () => {
      const binlog = fromBinlog(c.table);
      const snapshotRows = await fromSnapshot(c.table);
      const { columns } = schemaOf(c.table);
      for (const [r, row] of snapshotRows.entries()) {
        for (const [i, cell] of row.entries()) {
          expect(binlog[r]?.[i], `row ${r + 1} column ${columns[i]!.name}`).toEqual(cell);
        }
      }
    });

    it('writes INIT records from the snapshot bytes as the binlog values encode', async () => {
      const schema = schemaOf(c.table);
      const binlog = fromBinlog(c.table);
      const { bytes, ends } = snapshotImagesEncoder(schema.columns.map(snapshotCellForm))(
        await snapshotRows(c.table),
      );
      const ctx = { id: 1, objectName: `${database}.${c.table}`, sourceVersion: '10.11' };
      const at = { file: 'b.000001', offset: 4, gtid: '', timestamp: 0 };
      expect(ends).toHaveLength(binlog.length);
      for (const [r, cells] of binlog.entries()) {
        const images = bytes.subarray(r > 0 ? ends[r - 1] : 0, ends[r]);
        const record = encodeWithImages(snapshotRecordShell(schema, at, ctx), images);
        const expected = encodeRecord(
          rowRecord({ operation: 'INIT', table: schema, before: null, after: cells, position: at }, ctx),
        );
        expect(record.equals(expected), `row ${r + 1}`).toBe(true);
      }
    });
  });

  it('loads keys, nullability and JSON (MariaDB: a checked LONGTEXT) from information_schema', () => {
    const integers = schemaOf('integers');
    expect(integers.primaryKey).toEqual(['id']);
    expect(integers.uniqueKeys).toEqual({ uk_ti_si: ['ti', 'si'] });
    expect(integers.columns[0]).toEqual({
      name: 'id',
      typeNumber: 3,
      sqlType: 'int',
      // MySQL 8.0.19+ no longer shows integer display widths.
      columnType: env.sourceType === 'mysql' ? 'int' : 'int(11)',
      unsigned: false,
      charset: null,
      precision: 10,
      scale: 0,
      nullable: false,
    });
    const strings = schemaOf('strings').columns;
    expect(strings.find((column) => column.name === 'j')).toMatchObject({
      typeNumber: 245,
      sqlType: 'json',
      columnType: 'json',
    });
    expect(strings.find((column) => column.name === 'lt')).toMatchObject({
      typeNumber: 251,
      sqlType: 'longtext',
    });
    const charsets = schemaOf('charsets').columns;
    expect(charsets.find((column) => column.name === 'g1c')).toEqual({
      name: 'g1c',
      typeNumber: 254,
      sqlType: 'char',
      columnType: 'char(5)',
      unsigned: false,
      charset: 'gbk',
      precision: 5,
      scale: 0,
      nullable: true,
    });
    expect(schemaOf('fractions').columns.find((column) => column.name === 'f72')).toMatchObject({
      typeNumber: 4,
      precision: 7,
      scale: 2,
    });
  });
});
