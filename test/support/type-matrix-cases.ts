// The MySQL type matrix: one table per family of MySQL types, rows with extremes, zero values and
// all NULLs, and the exact DTS value of every cell, written from MySQL semantics. Shared by the
// converter test (test/integration/source/type-matrix.test.ts) and the end-to-end test through Kafka.
// The rows need a non-strict session in UTC (`sql_mode = ''`, `time_zone = '+00:00'`).
import type { DateTimeParts, DtsValue } from '../../src/format/dts-avro/values.ts';
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
} from '../../src/format/dts-avro/values.ts';

const none: DateTimeParts = {
  year: null,
  month: null,
  day: null,
  hour: null,
  minute: null,
  second: null,
  millis: null,
};
const date = (year: number, month: number, day: number) => dateTime({ ...none, year, month, day });
const dt = (
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  micros: number,
) => dateTime({ year, month, day, hour, minute, second, millis: micros });
const time = (hour: number, minute: number, second: number, micros: number) =>
  dateTime({ ...none, hour, minute, second, millis: micros });
const year = (value: number) => dateTime({ ...none, year: value });
// Columns without fractional seconds (DATETIME, TIME) have no `millis` part at all.
const dt0 = (year: number, month: number, day: number, hour: number, minute: number, second: number) =>
  dateTime({ year, month, day, hour, minute, second, millis: null });
const time0 = (hour: number, minute: number, second: number) => dateTime({ ...none, hour, minute, second });
const hex = (bytes: string) => Buffer.from(bytes.replaceAll(' ', ''), 'hex');
const utf8 = (text: string) => character('utf8mb4', Buffer.from(text, 'utf8'));
const id = (n: number) => integer(10, String(n));
const nulls = (count: number) => Array<DtsValue>(count).fill(null);

// WKB pieces: little-endian byte order, type, then doubles.
const D0 = '0000000000000000';
const D1 = '000000000000f03f';
const D2 = '0000000000000040';
const wkbPoint = (x: string, y: string) => `0101000000${x}${y}`;

export interface Case {
  table: string;
  columns: string;
  rows: string[];
  /** dataTypeNumber per column, the DTS contract. */
  types: number[];
  expected: DtsValue[][];
}

const DEC65 = '99999999999999999999999999999999999.999999999999999999999999999999';

const mariadbCases: Case[] = [
  {
    table: 'integers',
    columns: `id INT PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
      mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
      b1 BIT(1), b12 BIT(12), b64 BIT(64), UNIQUE KEY uk_ti_si (ti, si)`,
    rows: [
      `(1, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807,
        18446744073709551615, b'1', b'101010101010', x'ffffffffffffffff')`,
      `(2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, b'0', b'0', 0)`,
      `(3, -1, 1, -1, 1, -1, 1, -1, 1, -9007199254740993, 9007199254740993, b'1', b'100000000000',
        x'8000000000000001')`,
      '(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)',
    ],
    types: [3, 1, 1, 2, 2, 9, 9, 3, 3, 8, 8, 16, 16, 16],
    expected: [
      [
        id(1),
        integer(3, '127'),
        integer(3, '255'),
        integer(5, '32767'),
        integer(5, '65535'),
        integer(7, '8388607'),
        integer(8, '16777215'),
        integer(10, '2147483647'),
        integer(10, '4294967295'),
        integer(19, '9223372036854775807'),
        integer(20, '18446744073709551615'),
        integer(1, '1'),
        integer(12, '2730'),
        integer(64, '18446744073709551615'),
      ],
      [
        id(2),
        integer(3, '-128'),
        integer(3, '0'),
        integer(5, '-32768'),
        integer(5, '0'),
        integer(7, '-8388608'),
        integer(8, '0'),
        integer(10, '-2147483648'),
        integer(10, '0'),
        integer(19, '-9223372036854775808'),
        integer(20, '0'),
        integer(1, '0'),
        integer(12, '0'),
        integer(64, '0'),
      ],
      [
        id(3),
        integer(3, '-1'),
        integer(3, '1'),
        integer(5, '-1'),
        integer(5, '1'),
        integer(7, '-1'),
        integer(8, '1'),
        integer(10, '-1'),
        integer(10, '1'),
        integer(19, '-9007199254740993'),
        integer(20, '9007199254740993'),
        integer(1, '1'),
        integer(12, '2048'),
        integer(64, '9223372036854775809'),
      ],
      [id(4), ...nulls(13)],
    ],
  },
  {
    table: 'fractions',
    columns:
      'id INT PRIMARY KEY, d65 DECIMAL(65,30), d52 DECIMAL(5,2), d10 DECIMAL(10,0), f FLOAT, f72 FLOAT(7,2), d DOUBLE',
    rows: [
      `(1, ${DEC65}, 999.99, 9999999999, 3.4028234663852886e38, 99999.99, 1.7976931348623157e308)`,
      `(2, -${DEC65}, -999.99, -9999999999, -3.4028234663852886e38, -99999.99, -1.7976931348623157e308)`,
      '(3, 0.000000000000000000000000000001, 0.5, 0, 3.14, 1.5, 0.1)',
      '(4, -0.5, -0.01, 1, 1.4e-45, 12345.67, 5e-324)',
      '(5, NULL, NULL, NULL, NULL, NULL, NULL)',
    ],
    types: [3, 246, 246, 246, 4, 4, 5],
    expected: [
      [
        id(1),
        decimal(DEC65, 65, 30),
        decimal('999.99', 5, 2),
        decimal('9999999999', 10, 0),
        float(3.4028235e38, 12, 0),
        float(99999.99, 7, 2),
        float(1.7976931348623157e308, 22, 0),
      ],
      [
        id(2),
        decimal(`-${DEC65}`, 65, 30),
        decimal('-999.99', 5, 2),
        decimal('-9999999999', 10, 0),
        float(-3.4028235e38, 12, 0),
        float(-99999.99, 7, 2),
        float(-1.7976931348623157e308, 22, 0),
      ],
      [
        id(3),
        decimal('0.000000000000000000000000000001', 65, 30),
        decimal('0.50', 5, 2),
        decimal('0', 10, 0),
        float(3.14, 12, 0),
        float(1.5, 7, 2),
        float(0.1, 22, 0),
      ],
      [
        id(4),
        decimal('-0.500000000000000000000000000000', 65, 30),
        decimal('-0.01', 5, 2),
        decimal('1', 10, 0),
        float(1e-45, 12, 0),
        float(12345.67, 7, 2),
        float(5e-324, 22, 0),
      ],
      [id(5), ...nulls(6)],
    ],
  },
  {
    table: 'temporals',
    columns: `id INT PRIMARY KEY, d DATE, dt DATETIME, dt3 DATETIME(3), dt6 DATETIME(6), ts TIMESTAMP NULL,
      ts6 TIMESTAMP(6) NULL, t TIME, t1 TIME(1), t6 TIME(6), y YEAR`,
    rows: [
      `(1, '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.999999',
        '2038-01-19 03:14:07', '2038-01-19 03:14:07.999999', '838:59:59', '838:59:58.9', '838:59:59.000000', 2155)`,
      `(2, '1000-01-01', '1000-01-01 00:00:00', '1000-01-01 00:00:00.000', '1000-01-01 00:00:00.000001',
        '1970-01-01 00:00:01', '1970-01-01 00:00:01.000001', '-838:59:59', '-838:59:58.9', '-838:59:59.000000', 1901)`,
      `(3, '0000-00-00', '0000-00-00 00:00:00', '2024-00-00 00:00:00.000', '2024-02-00 12:00:00.500000',
        '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', '00:00:00', '-00:30:00.0', '-01:02:03.000004', 0)`,
      `(4, '2024-02-29', '2024-02-29 13:45:30', '2024-02-29 13:45:30.125', '2024-02-29 13:45:30.000001',
        '2024-02-29 13:45:30', '2024-02-29 13:45:30.654321', '100:00:00', '-00:00:00.5', '23:59:59.999999', 2024)`,
      '(5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)',
      // Negative TIMEs whose negation carries across fields (zongji loses that carry).
      "(6, NULL, NULL, NULL, NULL, NULL, NULL, '-01:00:00', '-00:00:01.0', '-100:00:00.000000', NULL)",
    ],
    types: [3, 10, 12, 12, 12, 7, 7, 11, 11, 11, 13],
    expected: [
      [
        id(1),
        date(9999, 12, 31),
        dt0(9999, 12, 31, 23, 59, 59),
        dt(9999, 12, 31, 23, 59, 59, 999_000),
        dt(9999, 12, 31, 23, 59, 59, 999_999),
        timestamp(2_147_483_647, 0),
        timestamp(2_147_483_647, 999_999),
        time0(838, 59, 59),
        time(838, 59, 58, 900_000),
        time(838, 59, 59, 0),
        year(2155),
      ],
      [
        id(2),
        date(1000, 1, 1),
        dt0(1000, 1, 1, 0, 0, 0),
        dt(1000, 1, 1, 0, 0, 0, 0),
        dt(1000, 1, 1, 0, 0, 0, 1),
        timestamp(1, 0),
        timestamp(1, 1),
        time0(-838, -59, -59),
        time(-838, -59, -58, -900_000),
        time(-838, -59, -59, 0),
        year(1901),
      ],
      [
        id(3),
        date(0, 0, 0),
        dt0(0, 0, 0, 0, 0, 0),
        dt(2024, 0, 0, 0, 0, 0, 0),
        dt(2024, 2, 0, 12, 0, 0, 500_000),
        timestamp(0, 0),
        timestamp(0, 0),
        time0(0, 0, 0),
        time(0, -30, 0, 0),
        time(-1, -2, -3, -4),
        year(0),
      ],
      [
        id(4),
        date(2024, 2, 29),
        dt0(2024, 2, 29, 13, 45, 30),
        dt(2024, 2, 29, 13, 45, 30, 125_000),
        dt(2024, 2, 29, 13, 45, 30, 1),
        timestamp(1_709_214_330, 0),
        timestamp(1_709_214_330, 654_321),
        time0(100, 0, 0),
        time(0, 0, 0, -500_000),
        time(23, 59, 59, 999_999),
        year(2024),
      ],
      [id(5), ...nulls(10)],
      [id(6), ...nulls(6), time0(-1, 0, 0), time(0, 0, -1, 0), time(-100, 0, 0, 0), null],
    ],
  },
  {
    table: 'strings',
    columns: `id INT PRIMARY KEY, c CHAR(10), vc VARCHAR(300), bn BINARY(4), vb VARBINARY(10), tb TINYBLOB, bl BLOB,
      mb MEDIUMBLOB, lb LONGBLOB, tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT, j JSON, e ENUM('a','b','ü'),
      s SET('x','y','z')`,
    rows: [
      `(1, 'héllo ✓', REPEAT('é', 200), x'01', x'00ff', x'00ff', x'00', x'deadbeef', x'0102', 'tiny ✓', 'text',
        'medium', 'long 😀', '{"a": [1, 2.50, "x"], "b": null}', 'ü', 'z,x')`,
      `(2, 'ab  ', '', x'01020304', x'', x'', x'', x'', x'', '', '', '', '', '[]', 'a', '')`,
      `(3, '😀', 'x', x'00000001', x'00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        '{"big": 18446744073709551616, "f": 1.0e2}', 'not a label', 'x,y,z')`,
      '(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)',
    ],
    types: [3, 254, 253, 254, 253, 249, 252, 250, 251, 249, 252, 250, 251, 245, 247, 248],
    expected: [
      [
        id(1),
        character('utf8mb4', hex('68 c3a9 6c 6c 6f 20 e29c93')),
        utf8('é'.repeat(200)),
        character('binary', hex('01000000')),
        character('binary', hex('00ff')),
        binaryObject('BLOB', hex('00ff')),
        binaryObject('BLOB', hex('00')),
        binaryObject('BLOB', hex('deadbeef')),
        binaryObject('BLOB', hex('0102')),
        binaryObject('TEXT', Buffer.from('tiny ✓')),
        binaryObject('TEXT', Buffer.from('text')),
        binaryObject('TEXT', Buffer.from('medium')),
        binaryObject('TEXT', hex('6c6f6e6720 f09f9880')),
        textObject('JSON', '{"a": [1, 2.50, "x"], "b": null}'),
        textObject('ENUM', 'ü'),
        textObject('SET', 'x,z'),
      ],
      [
        id(2),
        // CHAR drops trailing spaces on read.
        utf8('ab'),
        utf8(''),
        character('binary', hex('01020304')),
        character('binary', hex('')),
        binaryObject('BLOB', hex('')),
        binaryObject('BLOB', hex('')),
        binaryObject('BLOB', hex('')),
        binaryObject('BLOB', hex('')),
        binaryObject('TEXT', hex('')),
        binaryObject('TEXT', hex('')),
        binaryObject('TEXT', hex('')),
        binaryObject('TEXT', hex('')),
        textObject('JSON', '[]'),
        textObject('ENUM', 'a'),
        textObject('SET', ''),
      ],
      [
        id(3),
        character('utf8mb4', hex('f09f9880')),
        utf8('x'),
        character('binary', hex('00000001')),
        character('binary', hex('00')),
        ...nulls(8),
        // MariaDB stores JSON as the text given: nothing is normalized.
        textObject('JSON', '{"big": 18446744073709551616, "f": 1.0e2}'),
        // An invalid label (non-strict mode) stores the ENUM error value ''.
        textObject('ENUM', ''),
        textObject('SET', 'x,y,z'),
      ],
      [id(4), ...nulls(15)],
    ],
  },
  {
    // The leading POINT misaligns zongji's charset metadata on MariaDB (see zongji-decoding.ts); the
    // bytes must not depend on it.
    table: 'charsets',
    columns: `id INT PRIMARY KEY, pt POINT, l1 VARCHAR(20) CHARACTER SET latin1, l1c CHAR(10) CHARACTER SET latin1,
      l1t TEXT CHARACTER SET latin1, g1 VARCHAR(20) CHARACTER SET gbk, g1c CHAR(5) CHARACTER SET gbk,
      g1t TEXT CHARACTER SET gbk, le ENUM('café','naïve') CHARACTER SET latin1,
      gs SET('中文','英文') CHARACTER SET gbk`,
    rows: [
      `(1, POINT(1, 2), 'café €', 'café', x'6381e9', '中文', '中文', '中文字符', 'naïve', '英文,中文')`,
      '(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)',
    ],
    types: [3, 255, 253, 254, 252, 253, 254, 252, 247, 248],
    expected: [
      [
        id(1),
        binaryGeometry('POINT', hex(wkbPoint(D1, D2))),
        // MySQL's latin1 is cp1252: € is 0x80.
        character('latin1', hex('63 61 66 e9 20 80')),
        character('latin1', hex('63 61 66 e9')),
        // 0x81 has no cp1252 character; only the stored bytes keep it.
        binaryObject('TEXT', hex('63 81 e9')),
        character('gbk', hex('d6d0 cec4')),
        character('gbk', hex('d6d0 cec4')),
        binaryObject('TEXT', hex('d6d0 cec4 d7d6 b7fb')),
        textObject('ENUM', 'naïve'),
        textObject('SET', '中文,英文'),
      ],
      [id(2), ...nulls(9)],
    ],
  },
  {
    table: 'geometries',
    columns: `id INT PRIMARY KEY, g GEOMETRY, p POINT, ls LINESTRING, pg POLYGON, mp MULTIPOINT,
      gc GEOMETRYCOLLECTION`,
    rows: [
      `(1, ST_GeomFromText('POINT(1 2)', 4326), POINT(-1.5, 0), ST_GeomFromText('LINESTRING(0 0, 1 1)'),
        ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'), ST_GeomFromText('MULTIPOINT(1 1, 2 2)'),
        ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1))'))`,
      '(2, NULL, NULL, NULL, NULL, NULL, NULL)',
    ],
    types: [3, 255, 255, 255, 255, 255, 255],
    expected: [
      [
        id(1),
        // The SRID (4326) is MySQL's prefix, not part of the WKB.
        binaryGeometry('GEOMETRY', hex(wkbPoint(D1, D2))),
        binaryGeometry('POINT', hex(wkbPoint('000000000000f8bf', D0))),
        binaryGeometry('LINESTRING', hex(`0102000000 02000000 ${D0}${D0} ${D1}${D1}`)),
        binaryGeometry(
          'POLYGON',
          hex(`0103000000 01000000 04000000 ${D0}${D0} ${D1}${D0} ${D1}${D1} ${D0}${D0}`),
        ),
        binaryGeometry('MULTIPOINT', hex(`0104000000 02000000 ${wkbPoint(D1, D1)} ${wkbPoint(D2, D2)}`)),
        binaryGeometry('GEOMETRYCOLLECTION', hex(`0107000000 01000000 ${wkbPoint(D1, D1)}`)),
      ],
      [id(2), ...nulls(6)],
    ],
  },
];

// Where MySQL's own semantics give other values for the same statements: it stores JSON in a
// normalized binary form (keys ordered by length, numbers as parsed) and prints it so, and reads
// SRID 4326 coordinates latitude first, so POINT(1 2) is stored as x = 2, y = 1.
const MYSQL_VALUES: Record<string, Record<number, Record<number, DtsValue>>> = {
  strings: {
    0: { 13: textObject('JSON', '{"a": [1, 2.5, "x"], "b": null}') },
    2: { 13: textObject('JSON', '{"f": 100.0, "big": 1.8446744073709552e19}') },
  },
  geometries: { 0: { 1: binaryGeometry('GEOMETRY', hex(wkbPoint(D2, D1))) } },
};

/** The type matrix with the values the given source stores and prints. */
export function casesFor(source: 'mariadb' | 'mysql'): Case[] {
  if (source === 'mariadb') return mariadbCases;
  return mariadbCases.map((c) => ({
    ...c,
    expected: c.expected.map((row, r) =>
      row.map((cell, i) => {
        const override = MYSQL_VALUES[c.table]?.[r]?.[i];
        return override === undefined ? cell : override;
      }),
    ),
  }));
}
