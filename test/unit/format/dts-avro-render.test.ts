import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from '../../../src/format/dts-avro/codec.ts';
import { ddlRecord, rowRecord } from '../../../src/format/dts-avro/record.ts';
import { renderRecord, valueText } from '../../../src/format/dts-avro/render.ts';
import {
  binaryGeometry,
  binaryObject,
  character,
  type DateTimeParts,
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
import { change, position } from './dts-avro-fixtures.ts';

const parts = (p: Partial<DateTimeParts>): DateTimeParts => ({
  year: null,
  month: null,
  day: null,
  hour: null,
  minute: null,
  second: null,
  millis: null,
  ...p,
});
const dt = (p: Partial<DateTimeParts>) => valueText(dateTime(parts(p)));
const chars = (charset: string, hex: string) => valueText(character(charset, Buffer.from(hex, 'hex')));

describe('valueText', () => {
  it('renders numbers as their exact text', () => {
    expect(valueText(integer(20, '18446744073709551615'))).toBe('18446744073709551615');
    const d65 = '12345678901234567890123456789012345.123456789012345678901234567890';
    expect(valueText(decimal(d65, 65, 30))).toBe(d65);
    expect(valueText(float(-0.5, 12, 0))).toBe('-0.5');
    expect(valueText(float(1.7976931348623157e308, 22, 0))).toBe('1.7976931348623157e+308');
  });

  it('decodes characters with the MySQL charset', () => {
    expect(chars('utf8mb4', 'f09f9880')).toBe('😀');
    expect(chars('utf8mb3', 'c3a9')).toBe('é');
    expect(chars('UTF8', 'c3a9')).toBe('é');
    expect(chars('gbk', 'd6d0cec4')).toBe('中文');
    expect(chars('ucs2', '00e9')).toBe('é');
    expect(chars('utf16', 'd83dde00')).toBe('😀');
    expect(chars('latin2', 'b1')).toBe('ą');
  });

  it("decodes latin1 as MySQL does: cp1252 with C1 controls in cp1252's gaps", () => {
    expect(chars('latin1', '80e99f')).toBe('€éŸ');
    expect(chars('latin1', '41818d8f909d42')).toBe('A\u0081\u008d\u008f\u0090\u009dB');
  });

  it('renders binary strings, and charsets it cannot decode, as hex', () => {
    expect(chars('binary', '00ff80')).toBe('00ff80');
    expect(chars('dec8', '4142')).toBe('4142');
  });

  it('renders TIMESTAMP in UTC with microseconds when there are any', () => {
    expect(valueText(timestamp(1_704_164_645, 123_456))).toBe('2024-01-02 03:04:05.123456');
    expect(valueText(timestamp(1_704_164_645, 5))).toBe('2024-01-02 03:04:05.000005');
    expect(valueText(timestamp(0, 0))).toBe('1970-01-01 00:00:00');
  });

  it('renders only the DateTime parts that are set', () => {
    expect(dt({ year: 2024 })).toBe('2024');
    expect(dt({ year: 2024, month: 1, day: 2 })).toBe('2024-01-02');
    expect(dt({ year: 0, month: 0, day: 0 })).toBe('0000-00-00');
    expect(dt({ year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 })).toBe('0000-00-00 00:00:00');
    expect(dt({ year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5, millis: 120_000 })).toBe(
      '2024-01-02 03:04:05.120000',
    );
    expect(dt({ hour: 13, minute: 0, second: 7 })).toBe('13:00:07');
  });

  it('renders TIME beyond 24 hours and negative TIME', () => {
    expect(dt({ hour: 838, minute: 59, second: 59 })).toBe('838:59:59');
    expect(dt({ hour: -838, minute: -59, second: -59 })).toBe('-838:59:59');
    expect(dt({ hour: -838, minute: 59, second: 59 })).toBe('-838:59:59');
    expect(dt({ hour: 0, minute: 0, second: -1 })).toBe('-00:00:01');
    expect(dt({ hour: 0, minute: 0, second: 0, millis: -500_000 })).toBe('-00:00:00.500000');
  });

  it('renders the object, geometry and empty members', () => {
    expect(valueText(binaryObject('TEXT', Buffer.from('Zoë')))).toBe('Zoë');
    expect(valueText(binaryObject('MEDIUMTEXT', Buffer.from('x')))).toBe('x');
    expect(valueText(binaryObject('BLOB', Buffer.from([1, 254])))).toBe('01fe');
    expect(valueText(textObject('JSON', '{"a":1}'))).toBe('{"a":1}');
    expect(valueText(textObject('ENUM', 'small'))).toBe('small');
    const wkb = '0101000000000000000000f03f0000000000000040';
    expect(valueText(binaryGeometry('POINT', Buffer.from(wkb, 'hex')))).toBe(wkb);
    expect(valueText({ [TEXT_GEOMETRY]: { type: 'POINT', value: 'POINT(1 2)' } })).toBe('POINT(1 2)');
    const tz = {
      [TIMESTAMP_TZ]: {
        value: parts({ year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5 }),
        timezone: '+08:00',
      },
    };
    expect(valueText(tz)).toBe('2024-01-02 03:04:05 +08:00');
    expect(valueText({ [EMPTY_OBJECT]: 'NULL' })).toBeNull();
    expect(valueText(null)).toBeNull();
  });
});

describe('renderRecord', () => {
  it('renders a decoded UPDATE with before and after text per field', () => {
    const before = [integer(20, '18446744073709551615'), character('utf8mb4', Buffer.from('a@x.io'))];
    const after = [integer(20, '18446744073709551615'), null];
    const rec = rowRecord(change('UPDATE', before, after), {
      id: 2n ** 60n,
      objectName: 'shop.users',
      sourceVersion: '8.0.36',
    });
    expect(JSON.parse(JSON.stringify(renderRecord(decodeRecord(encodeRecord(rec)))))).toEqual({
      id: '1152921504606846976',
      operation: 'UPDATE',
      objectName: 'shop.users',
      sourceTimestamp: 1_704_164_645,
      sourcePosition: 'mysql-bin.000003:4711@0-1-42',
      safeSourcePosition: 'mysql-bin.000003:4711@0-1-42',
      sourceTxid: '0-1-42',
      tags: { pk_uk_info: '{"PRIMARY":["id"],"uk_email":["email"]}' },
      fields: [
        { name: 'id', type: 8, before: '18446744073709551615', after: '18446744073709551615' },
        { name: 'email', type: 253, before: 'a@x.io', after: null },
      ],
    });
  });

  it('gives INSERT fields no before text', () => {
    const rec = rowRecord(change('INSERT', null, [integer(20, '9'), null]), {
      id: 1,
      objectName: 'shop.users',
      sourceVersion: '8.0.36',
    });
    expect(renderRecord(decodeRecord(encodeRecord(rec))).fields).toEqual([
      { name: 'id', type: 8, before: null, after: '9' },
      { name: 'email', type: 253, before: null, after: null },
    ]);
  });

  it('renders a DDL record with its SQL and no fields', () => {
    const rec = ddlRecord(
      { database: 'shop', table: 'users', sql: 'DROP TABLE users', position: position() },
      { id: 9, sourceVersion: '8.0.36' },
    );
    const out = renderRecord(decodeRecord(encodeRecord(rec)));
    expect(out).toMatchObject({
      id: '9',
      operation: 'DDL',
      objectName: 'shop.users',
      sql: 'DROP TABLE users',
    });
    expect(out).not.toHaveProperty('fields');
  });
});
