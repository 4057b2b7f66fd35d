import { describe, expect, it } from 'vitest';
import { timestamp } from '../../../../src/format/dts-avro/values.ts';
import {
  parseDateText,
  parseDateTimeText,
  parseTimeText,
  timestampFromUtcText,
  yearParts,
} from '../../../../src/source/mysql/temporal-text.ts';

const none = { year: null, month: null, day: null, hour: null, minute: null, second: null, millis: null };

describe('MySQL temporal text', () => {
  it('parses DATE, zero dates and zero parts included', () => {
    expect(parseDateText('2024-02-29')).toEqual({ ...none, year: 2024, month: 2, day: 29 });
    expect(parseDateText('0000-00-00')).toEqual({ ...none, year: 0, month: 0, day: 0 });
    expect(parseDateText('2024-00-00')).toEqual({ ...none, year: 2024, month: 0, day: 0 });
  });

  it('parses DATETIME with 0 to 6 fractional digits into microseconds (none: no millis part)', () => {
    const base = { year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59 };
    expect(parseDateTimeText('9999-12-31 23:59:59')).toEqual({ ...base, millis: null });
    expect(parseDateTimeText('9999-12-31 23:59:59.5')).toEqual({ ...base, millis: 500_000 });
    expect(parseDateTimeText('9999-12-31 23:59:59.123')).toEqual({ ...base, millis: 123_000 });
    expect(parseDateTimeText('9999-12-31 23:59:59.999999')).toEqual({ ...base, millis: 999_999 });
    expect(parseDateTimeText('0000-00-00 00:00:00.000000')).toEqual({
      year: 0,
      month: 0,
      day: 0,
      hour: 0,
      minute: 0,
      second: 0,
      millis: 0,
    });
  });

  it('parses TIME beyond 24 hours and negative, with every part carrying the sign', () => {
    expect(parseTimeText('838:59:59.000000')).toEqual({
      ...none,
      hour: 838,
      minute: 59,
      second: 59,
      millis: 0,
    });
    expect(parseTimeText('-838:59:59')).toEqual({
      ...none,
      hour: -838,
      minute: -59,
      second: -59,
      millis: null,
    });
    expect(parseTimeText('-00:30:00.5')).toEqual({
      ...none,
      hour: 0,
      minute: -30,
      second: 0,
      millis: -500_000,
    });
    expect(parseTimeText('12:34:56.000001')).toEqual({
      ...none,
      hour: 12,
      minute: 34,
      second: 56,
      millis: 1,
    });
    expect(Object.is(parseTimeText('-00:00:01').hour, 0)).toBe(true);
  });

  it('reads a UTC TIMESTAMP text as epoch seconds and microseconds, the zero TIMESTAMP as 0/0', () => {
    expect(timestampFromUtcText('1970-01-01 00:00:01')).toEqual(timestamp(1, 0));
    expect(timestampFromUtcText('2038-01-19 03:14:07.999999')).toEqual(timestamp(2_147_483_647, 999_999));
    expect(timestampFromUtcText('2024-02-29 12:00:00.25')).toEqual(timestamp(1_709_208_000, 250_000));
    expect(timestampFromUtcText('0000-00-00 00:00:00.000000')).toEqual(timestamp(0, 0));
  });

  it('makes a YEAR a DateTime with only the year', () => {
    expect(yearParts(2155)).toEqual({ ...none, year: 2155 });
  });
});
