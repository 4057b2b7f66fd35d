// MySQL's text forms of DATE, DATETIME, TIMESTAMP and TIME (what a SELECT returns and what zongji
// returns with `dateStrings: true`) parsed into DTS DateTime parts. Parsed by position, without
// Date, so zero dates and zero parts (`0000-00-00`, `2024-00-00`) come through as written.
import type { DateTimeParts, DtsValue } from '../../format/dts-avro/values.ts';
import { timestamp } from '../../format/dts-avro/values.ts';

const ZERO = 48;

/** The text as a string (the binlog) or as its ASCII bytes (a snapshot SELECT, not decoded). */
type Text = string | Uint8Array;

const codeAt = (text: Text, i: number): number => (typeof text === 'string' ? text.charCodeAt(i) : text[i]!);

function digitsAt(text: Text, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + codeAt(text, i) - ZERO;
  return value;
}

// `.f` to `.ffffff` as microseconds; `start` is the index after the dot.
function microsAt(text: Text, start: number): number {
  let micros = 0;
  let i = start;
  for (; i < text.length && i < start + 6; i++) micros = micros * 10 + codeAt(text, i) - ZERO;
  for (; i < start + 6; i++) micros *= 10;
  return micros;
}

/** `YYYY-MM-DD` */
export function parseDateText(text: Text): DateTimeParts {
  return {
    year: digitsAt(text, 0, 4),
    month: digitsAt(text, 5, 7),
    day: digitsAt(text, 8, 10),
    hour: null,
    minute: null,
    second: null,
    millis: null,
  };
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]`; `millis` holds microseconds, as in DTS. */
export function parseDateTimeText(text: Text): DateTimeParts {
  return {
    year: digitsAt(text, 0, 4),
    month: digitsAt(text, 5, 7),
    day: digitsAt(text, 8, 10),
    hour: digitsAt(text, 11, 13),
    minute: digitsAt(text, 14, 16),
    second: digitsAt(text, 17, 19),
    millis: text.length > 20 ? microsAt(text, 20) : null,
  };
}

/**
 * `[-]HHH:MM:SS[.ffffff]` (-838:59:59.000000 to 838:59:59.000000). A negative TIME has every part
 * negative (-00:30:00 is minute -30), so the parts still add up to the value and no sign is lost
 * when the hour is 0.
 */
export function parseTimeText(text: string): DateTimeParts {
  const negative = text.charCodeAt(0) === 45; // '-'
  const start = negative ? 1 : 0;
  const colon = text.indexOf(':', start);
  const sign = negative ? -1 : 1;
  // `| 0` turns -0 into 0: a zero part carries no sign.
  return {
    year: null,
    month: null,
    day: null,
    hour: (sign * digitsAt(text, start, colon)) | 0,
    minute: (sign * digitsAt(text, colon + 1, colon + 3)) | 0,
    second: (sign * digitsAt(text, colon + 4, colon + 6)) | 0,
    millis: text.length > colon + 7 ? (sign * microsAt(text, colon + 7)) | 0 : null,
  };
}

/** A YEAR; 0 is the zero year `0000`. */
export function yearParts(year: number): DateTimeParts {
  return { year, month: null, day: null, hour: null, minute: null, second: null, millis: null };
}

/**
 * A TIMESTAMP rendered in UTC (`YYYY-MM-DD HH:MM:SS[.ffffff]`) as DTS Timestamp: epoch seconds and
 * microseconds. The zero TIMESTAMP `0000-00-00 00:00:00` is stored as epoch 0 and becomes 0/0
 * (1970-01-01 00:00:00 UTC is not a valid TIMESTAMP, so 0 is unambiguous).
 */
export function timestampFromUtcText(text: string): DtsValue {
  const year = digitsAt(text, 0, 4);
  if (year === 0) return timestamp(0, 0);
  const millis = Date.UTC(
    year,
    digitsAt(text, 5, 7) - 1,
    digitsAt(text, 8, 10),
    digitsAt(text, 11, 13),
    digitsAt(text, 14, 16),
    digitsAt(text, 17, 19),
  );
  return timestamp(millis / 1000, text.length > 20 ? microsAt(text, 20) : 0);
}
