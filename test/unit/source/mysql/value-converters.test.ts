import { describe, expect, it } from 'vitest';
import {
  binaryGeometry,
  character,
  dateTime,
  float,
  integer,
  textObject,
} from '../../../../src/format/dts-avro/values.ts';
import { binlogConverter, snapshotConverter } from '../../../../src/source/mysql/value-converters.ts';
import type { ColumnSpec } from '../../../../src/source/row-change.ts';

// Converters as they run on MariaDB (JSON as text in the binlog).
const MARIADB = { binaryJson: false };

const spec = (overrides: Partial<ColumnSpec>): ColumnSpec => ({
  name: 'c',
  typeNumber: 3,
  sqlType: 'int',
  columnType: 'int(11)',
  unsigned: false,
  charset: null,
  precision: 10,
  scale: 0,
  nullable: true,
  ...overrides,
});
const text = (value: string) => Buffer.from(value, 'latin1');
const none = { year: null, month: null, day: null, hour: null, minute: null, second: null, millis: null };

describe('binlog and snapshot converters', () => {
  it('turn NULL into null for every type', () => {
    for (const typeNumber of [1, 16, 246, 4, 5, 7, 10, 11, 12, 13, 253, 254, 249, 245, 247, 248, 255]) {
      const column = spec({ typeNumber, charset: 'utf8mb4' });
      expect(binlogConverter(column, MARIADB)(null)).toBeNull();
      expect(snapshotConverter(column)(null)).toBeNull();
    }
  });

  it('agree on FLOAT: the float32 widened (binlog) and its exact double text (snapshot)', () => {
    const column = spec({ typeNumber: 4, sqlType: 'float', precision: 12 });
    expect(binlogConverter(column, MARIADB)(3.140000104904175)).toEqual(float(3.14, 12, 0));
    expect(snapshotConverter(column)(text('3.140000104904175'))).toEqual(float(3.14, 12, 0));
  });

  it('read zongji quirks right: YEAR 0000 arrives as 1900, the ENUM error value as undefined', () => {
    expect(binlogConverter(spec({ typeNumber: 13, sqlType: 'year' }), MARIADB)(1900)).toEqual(
      dateTime({ ...none, year: 0 }),
    );
    expect(snapshotConverter(spec({ typeNumber: 13, sqlType: 'year' }))(text('0000'))).toEqual(
      dateTime({ ...none, year: 0 }),
    );
    expect(binlogConverter(spec({ typeNumber: 247, sqlType: 'enum' }), MARIADB)(undefined)).toEqual(
      textObject('ENUM', ''),
    );
  });

  it("take JSON as MariaDB's LONGTEXT bytes or MySQL's binary JSON", () => {
    const column = spec({ typeNumber: 245, sqlType: 'json' });
    expect(binlogConverter(column, MARIADB)(Buffer.from('{"a":"ü"}'))).toEqual(
      textObject('JSON', '{"a":"ü"}'),
    );
    // A double 1.0, in binary: type 0x0b then the little-endian IEEE 754 bytes.
    const one = Buffer.from('0b000000000000f03f', 'hex');
    expect(binlogConverter(column, { binaryJson: true })(one)).toEqual(textObject('JSON', '1.0'));
  });

  it('pad BINARY(n) to n bytes as a SELECT does, and leave other strings alone', () => {
    const binary = spec({ typeNumber: 254, sqlType: 'binary', charset: 'binary', precision: 4 });
    expect(binlogConverter(binary, MARIADB)(Buffer.from([1]))).toEqual(
      character('binary', Buffer.from([1, 0, 0, 0])),
    );
    const char = spec({ typeNumber: 254, sqlType: 'char', charset: 'gbk', precision: 4 });
    expect(binlogConverter(char, MARIADB)(Buffer.from([0xd6, 0xd0]))).toEqual(
      character('gbk', Buffer.from([0xd6, 0xd0])),
    );
  });

  it('write BIT as an unsigned decimal and GEOMETRY as WKB without the SRID', () => {
    const bit = spec({ typeNumber: 16, sqlType: 'bit', precision: 64 });
    expect(snapshotConverter(bit)(Buffer.from('ffffffffffffffff', 'hex'))).toEqual(
      integer(64, '18446744073709551615'),
    );
    const point = spec({ typeNumber: 255, sqlType: 'point' });
    const wkb = Buffer.from('0101000000000000000000f03f0000000000000040', 'hex');
    expect(binlogConverter(point, MARIADB)(Buffer.concat([Buffer.from('e6100000', 'hex'), wkb]))).toEqual(
      binaryGeometry('POINT', wkb),
    );
  });

  it('refuse a type they have no conversion for', () => {
    expect(() => binlogConverter(spec({ typeNumber: 6, sqlType: 'null' }), MARIADB)).toThrow(
      /no DTS conversion/,
    );
    expect(() => snapshotConverter(spec({ typeNumber: 6, sqlType: 'null' }))).toThrow(/no DTS conversion/);
  });
});
