import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canalDdlType } from '../../../src/format/canal-json/ddl-type.ts';
import { canalJsonFormat, canalJsonSnapshotRows } from '../../../src/format/canal-json/format.ts';
import { type CanalRecord, parseCanalRecord } from '../../../src/format/canal-json/record.ts';
import { cellText } from '../../../src/format/canal-json/values.ts';
import {
  binaryGeometry,
  binaryObject,
  character,
  dateTime,
  decimal,
  float,
  integer,
  textObject,
  timestamp,
} from '../../../src/format/dts-avro/values.ts';
import { snapshotCellForm } from '../../../src/source/mysql/value-converters.ts';
import type { TableSchema } from '../../../src/source/row-change.ts';
import { change, column, position } from './dts-avro-fixtures.ts';

const users = (): TableSchema => ({
  database: 'shop',
  table: 'users',
  columns: [
    column('id', 8, { sqlType: 'bigint', columnType: 'bigint(20) unsigned', unsigned: true }),
    column('email', 253, { sqlType: 'varchar', columnType: 'varchar(64)', charset: 'utf8mb4' }),
    column('score', 3, { sqlType: 'int', columnType: 'int(11)' }),
  ],
  primaryKey: ['id'],
  uniqueKeys: { uk_email: ['email'] },
});
const target = { database: 'crm', table: 'people', objectName: 'crm.people' };
const NOW = 1_704_164_646_123;
const row = (id: number, email: string, score: number | null) => [
  integer(20, String(id)),
  character('utf8mb4', Buffer.from(email)),
  score === null ? null : integer(10, String(score)),
];
const read = (value: Buffer): CanalRecord => parseCanalRecord(value);

describe('Canal JSON records', () => {
  const format = canalJsonFormat({ types: 'dts', now: () => NOW });
  const table = format.table(users(), target);

  it('writes an INSERT with every documented field, keys in Canal order', () => {
    const value = table.row(change('INSERT', null, row(7, 'ü@x', 3), users()), 41);
    expect(Object.keys(JSON.parse(value.toString()))).toEqual([
      'data',
      'database',
      'es',
      'gtid',
      'id',
      'isDdl',
      'mysqlType',
      'old',
      'pkNames',
      'sql',
      'sqlType',
      'table',
      'ts',
      'type',
    ]);
    expect(read(value)).toEqual({
      data: [{ id: '7', email: 'ü@x', score: '3' }],
      database: 'crm',
      es: 1_704_164_645_000,
      gtid: '0-1-42',
      id: 41,
      isDdl: false,
      mysqlType: { id: 'bigint(20) unsigned', email: 'varchar(64)', score: 'int(11)' },
      old: null,
      pkNames: ['id'],
      sql: '',
      // Unsigned BIGINT is DECIMAL in JDBC terms, as Canal gives it.
      sqlType: { id: 3, email: 12, score: 4 },
      table: 'people',
      ts: NOW,
      type: 'INSERT',
    });
  });

  it('writes an UPDATE with the new row in data and only the changed columns, as they were, in old', () => {
    const rec = read(table.row(change('UPDATE', row(7, 'a@x', null), row(7, 'b@x', 5), users()), 1));
    expect(rec.type).toBe('UPDATE');
    expect(rec.data).toEqual([{ id: '7', email: 'b@x', score: '5' }]);
    // A column that was NULL is in old as null: present means changed.
    expect(rec.old).toEqual([{ email: 'a@x', score: null }]);
  });

  it('writes a DELETE with the deleted row in data', () => {
    const rec = read(table.row(change('DELETE', row(7, 'a@x', 1), null, users()), 2));
    expect([rec.type, rec.data, rec.old]).toEqual(['DELETE', [{ id: '7', email: 'a@x', score: '1' }], null]);
  });

  it('writes copied rows as INIT (dts) or INSERT (canal), from the bytes a snapshot thread encoded', () => {
    const forms = users().columns.map(snapshotCellForm);
    const packed = canalJsonSnapshotRows(
      users(),
      forms,
    )([
      [Buffer.from('1'), Buffer.from('x'), Buffer.from('2')],
      [Buffer.from('2'), Buffer.from('y'), null],
    ]);
    const second = packed.bytes.subarray(packed.ends[0], packed.ends[1]);
    const dts = read(table.snapshotRows(position())(9, Buffer.from(second)));
    expect([dts.type, dts.data, dts.id]).toEqual(['INIT', [{ id: '2', email: 'y', score: null }], 9]);
    // The same record as the streaming path writes for the row.
    expect(dts).toEqual(read(table.row(change('INIT', null, row(2, 'y', null), users()), 9)));
    const canal = canalJsonFormat({ types: 'canal', now: () => NOW }).table(users(), target);
    expect(read(canal.snapshotRows(position())(9, Buffer.from(second))).type).toBe('INSERT');
  });

  it('writes DDL with isDdl, the statement and no row fields; its type by the chosen convention', () => {
    const ddl = {
      database: 'crm',
      table: 'people',
      sql: 'ALTER TABLE people ADD c INT',
      position: position(),
    };
    expect(read(format.ddl(ddl, 3))).toEqual({
      data: null,
      database: 'crm',
      es: 1_704_164_645_000,
      gtid: '0-1-42',
      id: 3,
      isDdl: true,
      mysqlType: null,
      old: null,
      pkNames: null,
      sql: 'ALTER TABLE people ADD c INT',
      sqlType: null,
      table: 'people',
      ts: NOW,
      type: 'DDL',
    });
    const canal = canalJsonFormat({ types: 'canal', now: () => NOW });
    expect(read(canal.ddl(ddl, 3)).type).toBe('ALTER');
    expect(read(canal.ddl({ ...ddl, table: null, sql: 'CREATE DATABASE crm' }, 4))).toMatchObject({
      type: 'CREATE',
      table: '',
    });
  });

  it('gives a table without a primary key pkNames null', () => {
    const keyless = { ...users(), primaryKey: [], uniqueKeys: {} };
    const rec = read(format.table(keyless, target).row(change('INSERT', null, row(1, 'x', 1), keyless), 1));
    expect(rec.pkNames).toBeNull();
  });
});

describe('Canal JSON cell text', () => {
  const text = (extra: Parameters<typeof column>[2], v: Parameters<ReturnType<typeof cellText>>[0]) =>
    cellText(column('c', 0, extra))(v);

  it('shows temporals as MySQL does, with exactly the column’s fractional digits', () => {
    const parts = { year: 2024, month: 2, day: 29, hour: 13, minute: 45, second: 30, millis: 125_000 };
    expect(text({ sqlType: 'datetime', scale: 3 }, dateTime(parts))).toBe('2024-02-29 13:45:30.125');
    expect(text({ sqlType: 'datetime', scale: 0 }, dateTime({ ...parts, millis: null }))).toBe(
      '2024-02-29 13:45:30',
    );
    const time = { year: null, month: null, day: null, hour: 0, minute: 0, second: 0, millis: -500_000 };
    expect(text({ sqlType: 'time', scale: 1 }, dateTime(time))).toBe('-00:00:00.5');
    expect(text({ sqlType: 'timestamp', scale: 6 }, timestamp(1_709_214_330, 654_321))).toBe(
      '2024-02-29 13:45:30.654321',
    );
    expect(text({ sqlType: 'timestamp', scale: 2 }, timestamp(1, 0))).toBe('1970-01-01 00:00:01.00');
    // MySQL's zero TIMESTAMP.
    expect(text({ sqlType: 'timestamp', scale: 0 }, timestamp(0, 0))).toBe('0000-00-00 00:00:00');
  });

  it('shows bytes as ISO-8859-1 text, one character per byte, and text in its column’s charset', () => {
    expect(text({ charset: 'binary' }, character('binary', Buffer.from([0, 0xff, 0x80])))).toBe(
      '\u0000\u00ff\u0080',
    );
    expect(text({ charset: 'binary' }, binaryObject('BLOB', Buffer.from([0xde, 0xad])))).toBe('\u00de\u00ad');
    expect(text({ charset: 'gbk' }, binaryObject('TEXT', Buffer.from('d6d0cec4', 'hex')))).toBe('中文');
    expect(text({}, binaryGeometry('POINT', Buffer.from([1, 2])))).toBe('\u0001\u0002');
  });

  it('shows numbers, JSON, ENUM and SET as their text, NULL as null', () => {
    expect(text({}, integer(20, '18446744073709551615'))).toBe('18446744073709551615');
    expect(text({}, decimal('0.50', 5, 2))).toBe('0.50');
    expect(text({}, float(3.4028235e38, 12, 0))).toBe('3.4028235e+38');
    expect(text({}, textObject('SET', 'x,z'))).toBe('x,z');
    expect(text({}, null)).toBeNull();
  });
});

describe('canalDdlType', () => {
  it.each([
    ['CREATE TABLE t (id INT)', 'CREATE'],
    ['/* c */ create unique index i on t (a)', 'CINDEX'],
    ['ALTER TABLE t ADD c INT', 'ALTER'],
    ['DROP TABLE IF EXISTS t', 'ERASE'],
    ['DROP INDEX i ON t', 'DINDEX'],
    ['TRUNCATE TABLE t', 'TRUNCATE'],
    ['RENAME TABLE a TO b', 'RENAME'],
    ['DROP DATABASE d', 'QUERY'],
    ['GRANT SELECT ON *.* TO u', 'QUERY'],
  ])('%s → %s', (sql, type) => {
    expect(canalDdlType(sql)).toBe(type);
  });
});

describe('parseCanalRecord', () => {
  it('refuses what is not a Canal JSON record', () => {
    expect(() => parseCanalRecord(Buffer.from('{"version":1,"binlog":{}}'))).toThrow(/not a Canal JSON/);
    expect(() => parseCanalRecord(Buffer.from([2, 4]))).toThrow(/not a Canal JSON/);
  });
});

describe('docs/canal-json.md', () => {
  it('shows, for each type, exactly the record the format writes for the documented row', () => {
    const doc = readFileSync(new URL('../../../docs/canal-json.md', import.meta.url), 'utf8');
    const shown = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]!));
    const orders: TableSchema = {
      database: 'shop',
      table: 'orders',
      columns: [
        column('id', 8, { sqlType: 'bigint', columnType: 'bigint(20)' }),
        column('customer', 253, { sqlType: 'varchar', columnType: 'varchar(64)', charset: 'utf8mb4' }),
        column('amount', 246, { sqlType: 'decimal', columnType: 'decimal(10,2)' }),
        column('created', 12, { sqlType: 'datetime', columnType: 'datetime(3)', scale: 3 }),
      ],
      primaryKey: ['id'],
      uniqueKeys: {},
    };
    const at = (gtid: string, offset: number) => ({
      file: 'mysql-bin.000003',
      offset,
      gtid,
      timestamp: 1_733_137_200,
    });
    const created = dateTime({
      year: 2024,
      month: 12,
      day: 2,
      hour: 11,
      minute: 0,
      second: 0,
      millis: 125_000,
    });
    const order = (amount: string) => [
      integer(19, '42'),
      character('utf8mb4', Buffer.from('Zoë')),
      decimal(amount, 10, 2),
      created,
    ];
    const format = canalJsonFormat({ types: 'dts', now: () => 1_733_137_200_318 });
    const table = format.table(orders, { database: 'shop', table: 'orders', objectName: 'shop.orders' });
    const written = [
      table.row(
        {
          operation: 'INIT',
          table: orders,
          before: null,
          after: order('19.90'),
          position: at('0-1-41', 4321),
        },
        1,
      ),
      table.row(
        {
          operation: 'INSERT',
          table: orders,
          before: null,
          after: order('19.90'),
          position: at('0-1-42', 4711),
        },
        2,
      ),
      table.row(
        {
          operation: 'UPDATE',
          table: orders,
          before: order('19.90'),
          after: order('24.50'),
          position: at('0-1-43', 5012),
        },
        3,
      ),
      table.row(
        {
          operation: 'DELETE',
          table: orders,
          before: order('24.50'),
          after: null,
          position: at('0-1-44', 5310),
        },
        4,
      ),
      format.ddl(
        {
          database: 'shop',
          table: 'orders',
          sql: 'ALTER TABLE orders ADD COLUMN note TEXT',
          position: at('0-1-45', 5544),
        },
        5,
      ),
    ].map((b) => JSON.parse(b.toString()));
    expect(shown).toEqual(written);
    expect(shown.map((r) => r.type)).toEqual(['INIT', 'INSERT', 'UPDATE', 'DELETE', 'DDL']);
  });
});
