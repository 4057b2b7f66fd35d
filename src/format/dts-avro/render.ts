// A decoded record as plain JSON for `syncjob decode`: every cell as the text a DTS consumer's demo
// would print (formats in docs/dts-avro.md).
import { charsetDecoder } from './charset.ts';
import type { DtsRecord, Operation } from './schema.ts';
import {
  BINARY_GEOMETRY,
  BINARY_OBJECT,
  CHARACTER,
  DATETIME,
  type DateTimeParts,
  DECIMAL,
  type DtsValue,
  EMPTY_OBJECT,
  FLOAT,
  INTEGER,
  TEXT_GEOMETRY,
  TEXT_OBJECT,
  TIMESTAMP,
  TIMESTAMP_TZ,
} from './values.ts';

export interface RenderedField {
  name: string;
  /** The dataTypeNumber. */
  type: number;
  before: string | null;
  after: string | null;
}

export interface RenderedRecord {
  /** Text, because an Avro long can exceed what a JSON number holds exactly. */
  id: string;
  operation: Operation;
  objectName: string | null;
  sourceTimestamp: number;
  sourcePosition: string;
  safeSourcePosition: string;
  sourceTxid: string;
  tags: Record<string, string>;
  /** Row records (and other non-DDL records, empty when they carry no fields). */
  fields?: RenderedField[];
  /** DDL records: the statement. */
  sql?: string;
}

const pad = (n: number, width: number): string => String(Math.abs(n)).padStart(width, '0');

/**
 * The set parts only: `2024` (YEAR), `2024-01-02` (DATE), `-838:59:59` (TIME), `2024-01-02
 * 03:04:05.123456` (DATETIME). A TIME is negative when any of its parts is, so `-00:00:01` is
 * expressible. `fractionDigits` (1–6) shortens the microseconds as MySQL shows a column of that
 * precision; 0 leaves them out.
 */
export function dateTimeText(p: DateTimeParts, fractionDigits = 6): string {
  const date: string[] = [];
  if (p.year !== null) date.push(pad(p.year, 4));
  if (p.month !== null) date.push(pad(p.month, 2));
  if (p.day !== null) date.push(pad(p.day, 2));
  const clock: string[] = [];
  if (p.hour !== null) clock.push(pad(p.hour, 2));
  if (p.minute !== null) clock.push(pad(p.minute, 2));
  if (p.second !== null) clock.push(pad(p.second, 2));
  let time = clock.join(':');
  if (p.millis !== null && fractionDigits > 0) time += `.${pad(p.millis, 6).slice(0, fractionDigits)}`;
  if ((p.hour ?? 0) < 0 || (p.minute ?? 0) < 0 || (p.second ?? 0) < 0 || (p.millis ?? 0) < 0)
    time = `-${time}`;
  return date.length > 0 && time !== '' ? `${date.join('-')} ${time}` : date.join('-') + time;
}

/**
 * UTC `YYYY-MM-DD HH:MM:SS`, with `.ffffff` when the microseconds are not 0 (or, given
 * `fractionDigits`, always that many digits, as MySQL shows a column of that precision).
 */
export function timestampText(seconds: number, micros: number, fractionDigits?: number): string {
  const text = new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const digits = fractionDigits ?? (micros === 0 ? 0 : 6);
  return digits === 0 ? text : `${text}.${pad(micros, 6).slice(0, digits)}`;
}

/** One image cell as text; SQL NULL (and EmptyObject) as null. */
export function valueText(v: DtsValue): string | null {
  if (v === null) return null;
  if (INTEGER in v) return v[INTEGER].value;
  if (CHARACTER in v) return charsetDecoder(v[CHARACTER].charset)(v[CHARACTER].value);
  if (DECIMAL in v) return v[DECIMAL].value;
  if (FLOAT in v) return String(v[FLOAT].value);
  if (TIMESTAMP in v) return timestampText(v[TIMESTAMP].timestamp, v[TIMESTAMP].millis);
  if (DATETIME in v) return dateTimeText(v[DATETIME]);
  if (TIMESTAMP_TZ in v) return `${dateTimeText(v[TIMESTAMP_TZ].value)} ${v[TIMESTAMP_TZ].timezone}`;
  if (BINARY_GEOMETRY in v) return v[BINARY_GEOMETRY].value.toString('hex');
  if (TEXT_GEOMETRY in v) return v[TEXT_GEOMETRY].value;
  if (BINARY_OBJECT in v) {
    const { type, value } = v[BINARY_OBJECT];
    // The record carries no charset for TEXT columns; DTS sources write them as UTF-8.
    return /TEXT/i.test(type) ? value.toString('utf8') : value.toString('hex');
  }
  if (TEXT_OBJECT in v) return v[TEXT_OBJECT].value;
  if (EMPTY_OBJECT in v) return null;
  throw new Error(`unknown image cell: ${Object.keys(v).join(',')}`);
}

const cell = (images: DtsRecord['beforeImages'], i: number): string | null =>
  images === null || typeof images === 'string' ? null : valueText(images[i] ?? null);

export function renderRecord(rec: DtsRecord): RenderedRecord {
  const head = {
    id: String(rec.id),
    operation: rec.operation,
    objectName: rec.objectName,
    sourceTimestamp: rec.sourceTimestamp,
    sourcePosition: rec.sourcePosition,
    safeSourcePosition: rec.safeSourcePosition,
    sourceTxid: rec.sourceTxid,
    tags: { ...rec.tags },
  };
  if (typeof rec.afterImages === 'string') return { ...head, sql: rec.afterImages };
  const fields = rec.fields === null || typeof rec.fields === 'string' ? [] : rec.fields;
  return {
    ...head,
    fields: fields.map((f, i) => ({
      name: f.name,
      type: f.dataTypeNumber,
      before: cell(rec.beforeImages, i),
      after: cell(rec.afterImages, i),
    })),
  };
}
