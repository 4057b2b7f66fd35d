// A cell as Canal JSON writes it: text, per MySQL type, as MySQL itself shows the value (its
// `SELECT` output in a UTC session), or null. Binary strings, BLOBs and geometries (WKB, as in
// DTS-Avro) are their bytes as ISO-8859-1 text, one character per byte, as open-source Canal
// writes them. Compiled once per column: the pipeline calls it for every cell.

import type { ColumnSpec } from '../../source/row-change.ts';
import { charsetDecoder } from '../dts-avro/charset.ts';
import { dateTimeText, timestampText } from '../dts-avro/render.ts';
import {
  BINARY_GEOMETRY,
  BINARY_OBJECT,
  CHARACTER,
  DATETIME,
  DECIMAL,
  type DtsValue,
  EMPTY_OBJECT,
  FLOAT,
  INTEGER,
  TEXT_GEOMETRY,
  TEXT_OBJECT,
  TIMESTAMP,
  TIMESTAMP_TZ,
} from '../dts-avro/values.ts';

export type CellText = (v: DtsValue) => string | null;

const bytesText = (b: Buffer): string => b.toString('latin1');

export function cellText(column: ColumnSpec): CellText {
  const text = column.charset && column.charset !== 'binary' ? charsetDecoder(column.charset) : bytesText;
  // A zero TIMESTAMP is stored as second 0, which no other TIMESTAMP can be (its range starts at
  // 1970-01-01 00:00:01 UTC): MySQL shows it as zeros.
  const zeroTimestamp = `0000-00-00 00:00:00${column.scale > 0 ? `.${'0'.repeat(column.scale)}` : ''}`;
  return (v) => {
    if (v === null) return null;
    if (INTEGER in v) return v[INTEGER].value;
    if (CHARACTER in v) return text(v[CHARACTER].value);
    if (DECIMAL in v) return v[DECIMAL].value;
    if (FLOAT in v) return String(v[FLOAT].value);
    if (TIMESTAMP in v) {
      const { timestamp, millis } = v[TIMESTAMP];
      return timestamp === 0 && millis === 0 ? zeroTimestamp : timestampText(timestamp, millis, column.scale);
    }
    if (DATETIME in v) return dateTimeText(v[DATETIME], column.scale);
    if (TIMESTAMP_TZ in v)
      return `${dateTimeText(v[TIMESTAMP_TZ].value, column.scale)} ${v[TIMESTAMP_TZ].timezone}`;
    if (BINARY_GEOMETRY in v) return bytesText(v[BINARY_GEOMETRY].value);
    if (TEXT_GEOMETRY in v) return v[TEXT_GEOMETRY].value;
    // TEXT columns in their own charset; BLOBs (charset binary) as bytes.
    if (BINARY_OBJECT in v) return text(v[BINARY_OBJECT].value);
    if (TEXT_OBJECT in v) return v[TEXT_OBJECT].value;
    if (EMPTY_OBJECT in v) return null;
    throw new Error(`unknown image cell: ${Object.keys(v).join(',')}`);
  };
}
