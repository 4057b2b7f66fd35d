import { describe, expect, it } from 'vitest';
import { createRecordEncoder, decodeRecord, encodeRecord } from '../../../src/format/dts-avro/codec.ts';
import { ddlRecord, rowRecord } from '../../../src/format/dts-avro/record.ts';
import type { DtsRecord } from '../../../src/format/dts-avro/schema.ts';
import {
  binaryGeometry,
  binaryObject,
  character,
  DATETIME,
  type DtsValue,
  dateTime,
  decimal,
  EMPTY_OBJECT,
  float,
  integer,
  TEXT_GEOMETRY,
  TIMESTAMP_TZ,
  textObject,
  timestamp,
} from '../../../src/format/dts-avro/values.ts';
import type { TableSchema } from '../../../src/source/row-change.ts';
import { column, position } from './dts-avro-fixtures.ts';

const NO_DATE = { year: null, month: null, day: null };
const NO_TIME = { hour: null, minute: null, second: null, millis: null };

// One column per union member, each with an extreme value where MySQL has one.
const cells: [string, number, DtsValue][] = [
  ['n', 3, null],
  ['u64', 8, integer(20, '18446744073709551615')],
  ['i64', 8, integer(19, '-9223372036854775808')],
  ['bits', 16, integer(64, '18446744073709551615')],
  ['name', 253, character('utf8mb4', Buffer.from('Zoë 😀', 'utf8'))],
  ['raw', 254, character('binary', Buffer.from([0x00, 0xff, 0x80]))],
  ['big', 246, decimal('-99999999999999999999999999999999999.999999999999999999999999999999', 65, 30)],
  ['dbl', 5, float(-1.7976931348623157e308, 22, 0)],
  ['tiny', 5, float(Number.MIN_VALUE, 22, 0)],
  ['ts', 7, timestamp(2_147_483_647, 999_999)],
  ['zero_date', 10, dateTime({ year: 0, month: 0, day: 0, ...NO_TIME })],
  ['neg_time', 11, dateTime({ ...NO_DATE, hour: -838, minute: -59, second: -59, millis: null })],
  ['dt', 12, dateTime({ year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59, millis: 999_999 })],
  ['yr', 13, dateTime({ year: 2155, month: null, day: null, ...NO_TIME })],
  [
    'tz',
    7,
    {
      [TIMESTAMP_TZ]: {
        value: { year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5, millis: 6 },
        timezone: '+08:00',
      },
    },
  ],
  ['geo', 255, binaryGeometry('POINT', Buffer.from('0101000000000000000000f03f0000000000000040', 'hex'))],
  ['wkt', 255, { [TEXT_GEOMETRY]: { type: 'POINT', value: 'POINT(1 2)' } }],
  ['blob', 252, binaryObject('BLOB', Buffer.alloc(70_000, 0xab))],
  ['doc', 245, textObject('JSON', '{"a":[1,2,{"b":null}]}')],
  ['tags', 248, textObject('SET', 'a,b')],
  ['gone', 3, { [EMPTY_OBJECT]: 'NONE' }],
];

const table: TableSchema = {
  database: 'db',
  table: 'every_type',
  columns: cells.map(([name, type]) => column(name, type)),
  primaryKey: ['u64'],
  uniqueKeys: {},
};
const row = cells.map(([, , value]) => value);

const update = (id: number | bigint): DtsRecord =>
  rowRecord(
    { operation: 'UPDATE', table, before: row, after: [...row].reverse(), position: position() },
    { id, objectName: 'db.every_type', sourceVersion: '10.11.6-MariaDB-log' },
  );

describe('encodeRecord / decodeRecord', () => {
  it('round-trips every union member of an image cell', () => {
    const rec = update(7);
    const back = decodeRecord(encodeRecord(rec));
    expect(back).toEqual(rec);
    const after = back.afterImages as DtsValue[];
    expect(after).toHaveLength(cells.length);
    expect((back.beforeImages as DtsValue[])[1]).toEqual(integer(20, '18446744073709551615'));
    expect(after[0]).toEqual({ [EMPTY_OBJECT]: 'NONE' });
    expect(after.at(-1)).toBeNull();
    expect((back.beforeImages as DtsValue[])[11]).toEqual({
      [DATETIME]: { ...NO_DATE, hour: -838, minute: -59, second: -59, millis: null },
    });
  });

  it('writes exactly the Avro binary a DTS consumer reads', () => {
    const rec = rowRecord(
      {
        operation: 'INSERT',
        table: { database: 'd', table: 't', columns: [column('x', 3)], primaryKey: [], uniqueKeys: {} },
        before: null,
        after: [integer(11, '7')],
        position: { file: 'a', offset: 1, gtid: '', timestamp: 1 },
      },
      { id: 5, objectName: 'd.t', sourceVersion: 'v', bornTimestamp: 0 },
    );
    // Hand-assembled: zig-zag varints, length-prefixed strings, union branch indexes, map/array blocks.
    const expected = [
      '02 0a 02', // version 1, id 5, sourceTimestamp 1
      '08 61 3a 31 40 08 61 3a 31 40 00', // 'a:1@', 'a:1@', sourceTxid ''
      '00 02 76 00', // source {MySQL, 'v'}, operation INSERT
      '02 06 64 2e 74 00', // objectName 'd.t', processTimestamps null
      '02 14 70 6b 5f 75 6b 5f 69 6e 66 6f 04 7b 7d 00', // tags {pk_uk_info: '{}'}
      '04 02 02 78 06 00', // fields [{x, 3}]
      '00 04 02 02 16 02 37 00', // beforeImages null, afterImages [Integer{11, '7'}]
      '00', // bornTimestamp 0
    ].join(' ');
    expect(encodeRecord(rec).toString('hex').match(/../g)?.join(' ')).toBe(expected);
  });

  it('keeps 64-bit ids exact and reads small ids back as numbers', () => {
    expect(decodeRecord(encodeRecord(update(2n ** 63n - 1n))).id).toBe(2n ** 63n - 1n);
    expect(decodeRecord(encodeRecord(update(-(2n ** 63n)))).id).toBe(-(2n ** 63n));
    expect(decodeRecord(encodeRecord(update(2n ** 53n))).id).toBe(2n ** 53n);
    expect(decodeRecord(encodeRecord(update(42n))).id).toBe(42);
    expect(decodeRecord(encodeRecord(update(Number.MAX_SAFE_INTEGER))).id).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses a message with trailing bytes', () => {
    const buf = encodeRecord(update(1));
    expect(() => decodeRecord(Buffer.concat([buf, Buffer.from([0])]))).toThrow(/trailing/);
  });
});

describe('createRecordEncoder', () => {
  const ctx = { objectName: 'db.every_type', sourceVersion: '10.11.6-MariaDB-log' };
  const of = (operation: 'INSERT' | 'UPDATE' | 'DELETE' | 'INIT', t: TableSchema, id: number | bigint) =>
    rowRecord(
      {
        operation,
        table: t,
        before: operation === 'UPDATE' || operation === 'DELETE' ? row : null,
        after: operation === 'DELETE' ? null : [...row].reverse(),
        position: position({ timestamp: 1_764_640_000 }),
      },
      { ...ctx, id },
    );

  it('writes the same bytes as encodeRecord for every operation, id and table, in any order', () => {
    const { encode } = createRecordEncoder();
    const altered: TableSchema = { ...table, columns: table.columns.map((c) => ({ ...c, typeNumber: 15 })) };
    const records: DtsRecord[] = [];
    for (const t of [table, altered, table])
      for (const op of ['INSERT', 'UPDATE', 'DELETE', 'INIT'] as const)
        for (const id of [1, 300, -5, 2 ** 40, Number.MAX_SAFE_INTEGER, 2n ** 63n - 1n, -(2n ** 63n)])
          records.push(of(op, t, id));
    records.push(
      ddlRecord(
        { database: 'db', table: 't', sql: 'ALTER TABLE t ADD c INT', position: position() },
        { id: 9, sourceVersion: 'v' },
      ),
      {
        ...of('INSERT', table, 3),
        processTimestamps: [1, 2],
        source: { sourceType: 'MySQL', version: 'other' },
      },
    );
    for (const rec of records) expect(encode(rec).equals(encodeRecord(rec))).toBe(true);
  });

  it('does not reuse the table part of a table whose columns changed under the same name', () => {
    const { encode } = createRecordEncoder();
    const narrow: TableSchema = { ...table, columns: table.columns.slice(0, 2) };
    const first = of('INSERT', table, 1);
    const second = rowRecord(
      { operation: 'INSERT', table: narrow, before: null, after: row.slice(0, 2), position: position() },
      { ...ctx, id: 2 },
    );
    encode(first);
    expect(decodeRecord(encode(second)).fields).toEqual(
      narrow.columns.map((c) => ({ name: c.name, dataTypeNumber: c.typeNumber })),
    );
  });

  it('grows past its scratch buffer for a record larger than it', () => {
    const { encode } = createRecordEncoder();
    const wide: TableSchema = { ...table, columns: [column('blob', 252)] };
    const big = rowRecord(
      {
        operation: 'INSERT',
        table: wide,
        before: null,
        after: [binaryObject('BLOB', Buffer.alloc(200_000, 7))],
        position: position(),
      },
      { ...ctx, id: 1 },
    );
    expect(encode(big).equals(encodeRecord(big))).toBe(true);
    expect(encode(of('INIT', table, 2)).equals(encodeRecord(of('INIT', table, 2)))).toBe(true);
  });
});
