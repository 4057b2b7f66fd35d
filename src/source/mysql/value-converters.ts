// Per-column converters from source values to DTS image cells, chosen once per column so the row
// path does no type dispatch. Two sources, one result: a value read from the binlog and the same
// value read by the snapshot give the same DtsValue (docs/type-mapping.md lists the decisions).
//  - binlog: values as zongji hands them with ZONGJI_CONNECTION_OPTIONS and keepRawCells
//    (zongji-decoding.ts);
//  - snapshot: Buffers as mysql2 hands them with SNAPSHOT_QUERY_OPTIONS, SNAPSHOT_SESSION_SQL and
//    snapshotSelectList (snapshot-query.ts).
import { type CellForm, cellFromBytes } from '../../format/dts-avro/cell-forms.ts';
import type { DateTimeParts, DtsValue } from '../../format/dts-avro/values.ts';
import {
  binaryGeometry,
  character,
  dateTime,
  decimal,
  float,
  integer,
  textObject,
} from '../../format/dts-avro/values.ts';
import type { ColumnSpec } from '../row-change.ts';
import { isBlobType, isIntegerType, TYPE } from './column-types.ts';
import { mysqlJsonText } from './json-text.ts';
import { shortestFloat32, unsignedBigEndianText } from './numeric-text.ts';
import {
  parseDateText,
  parseDateTimeText,
  parseTimeText,
  timestampFromUtcText,
  yearParts,
} from './temporal-text.ts';
import { carryLostTimeFields } from './zongji-decoding.ts';

export type CellConverter = (value: unknown) => DtsValue;

type Convert<T> = (value: T) => DtsValue;

function orNull<T>(convert: Convert<T>): CellConverter {
  return (value) => (value === null ? null : convert(value as T));
}

// Both paths hand MySQL's text form of these, as a string (binlog) or ASCII bytes (snapshot);
// `parseTime` is where the binlog path repairs zongji's negative TIMEs.
function temporal(spec: ColumnSpec, parseTime: (text: string) => DateTimeParts): Convert<string> {
  switch (spec.typeNumber) {
    case TYPE.TIMESTAMP:
      return timestampFromUtcText;
    case TYPE.DATE:
      return (text) => dateTime(parseDateText(text));
    case TYPE.TIME:
      return (text) => dateTime(parseTime(text));
    default:
      return (text) => dateTime(parseDateTimeText(text));
  }
}

const parseBinlogTime = (text: string): DateTimeParts => carryLostTimeFields(parseTimeText(text));

// Both paths hand the stored bytes of these.
function bytes(spec: ColumnSpec): Convert<Buffer> {
  const stored = storedBytesForm(spec);
  if (stored) return cellFromBytes(stored);
  const { typeNumber, precision } = spec;
  if (typeNumber === TYPE.GEOMETRY) {
    // MySQL stores SRID (4 bytes) + WKB; DTS carries the WKB.
    const type = spec.sqlType.toUpperCase();
    return (value) => binaryGeometry(type, value.subarray(4));
  }
  if (typeNumber === TYPE.BIT) return (value) => integer(precision, unsignedBigEndianText(value));
  // BINARY(n) is zero-padded to n bytes; the binlog image drops the trailing zeros.
  return (value) => character('binary', value.length < precision ? padZeros(value, precision) : value);
}

/** Byte strings whose stored bytes are their DTS value's own field: TEXT/BLOB, CHAR and VARCHAR but BINARY(n). */
function storedBytesForm(spec: ColumnSpec): CellForm | null {
  const { typeNumber, charset } = spec;
  if (isBlobType(typeNumber)) return { kind: 'binaryObject', type: charset === 'binary' ? 'BLOB' : 'TEXT' };
  if (typeNumber === TYPE.VARCHAR || (typeNumber === TYPE.CHAR && charset !== 'binary')) {
    return { kind: 'character', charset: charset ?? 'binary' };
  }
  return null;
}

function padZeros(value: Buffer, length: number): Buffer {
  const padded = Buffer.alloc(length);
  value.copy(padded);
  return padded;
}

function isTemporal(typeNumber: number): boolean {
  return (
    typeNumber === TYPE.TIMESTAMP ||
    typeNumber === TYPE.DATE ||
    typeNumber === TYPE.TIME ||
    typeNumber === TYPE.DATETIME
  );
}

function isBytes(typeNumber: number): boolean {
  return (
    isBlobType(typeNumber) ||
    typeNumber === TYPE.GEOMETRY ||
    typeNumber === TYPE.BIT ||
    typeNumber === TYPE.CHAR ||
    typeNumber === TYPE.VARCHAR
  );
}

function unsupported(spec: ColumnSpec): Error {
  return new Error(`column ${spec.name}: no DTS conversion for type ${spec.sqlType} (${spec.typeNumber})`);
}

/** Converter for one column's values as zongji hands them (see zongji-decoding.ts). */
export function binlogConverter(spec: ColumnSpec, options: { binaryJson: boolean }): CellConverter {
  const { typeNumber, precision, scale } = spec;
  if (isBytes(typeNumber)) return orNull(bytes(spec));
  if (isTemporal(typeNumber)) return orNull(temporal(spec, parseBinlogTime));
  // zongji: number, or exact string beyond 2^53.
  if (isIntegerType(typeNumber)) return orNull<number | string>((value) => integer(precision, String(value)));
  switch (typeNumber) {
    case TYPE.DECIMAL:
      return orNull<string>((value) => decimal(value, precision, scale));
    case TYPE.FLOAT:
      return orNull<number>((value) => float(shortestFloat32(value), precision, scale));
    case TYPE.DOUBLE:
      return orNull<number>((value) => float(value, precision, scale));
    // zongji reads the stored YEAR byte as 1900 + byte, so the zero year 0000 (byte 0) arrives as
    // 1900, which is not a valid YEAR (1901–2155).
    case TYPE.YEAR:
      return orNull<number>((value) => dateTime(yearParts(value === 1900 ? 0 : value)));
    // MariaDB: LONGTEXT bytes; MySQL: its binary JSON (both kept raw by keepRawCells).
    case TYPE.JSON:
      return orNull<Buffer>((value) =>
        textObject('JSON', options.binaryJson ? mysqlJsonText(value) : value.toString('utf8')),
      );
    // An ENUM's error value '' (index 0, only in non-strict SQL modes) has no label: zongji says undefined.
    case TYPE.ENUM:
      return orNull<string | undefined>((value) => textObject('ENUM', value ?? ''));
    case TYPE.SET:
      return orNull<string>((value) => textObject('SET', value));
    default:
      throw unsupported(spec);
  }
}

/**
 * What one column's cells are as the snapshot SELECT hands them (see snapshot-query.ts): for
 * text, numbers and dates the bytes are the DTS value's own field (written as they are by
 * snapshot-images.ts), the rest converted.
 */
export function snapshotCellForm(spec: ColumnSpec): CellForm {
  const stored = storedBytesForm(spec);
  if (stored) return stored;
  const { typeNumber, precision, scale } = spec;
  if (isIntegerType(typeNumber)) return { kind: 'integer', precision };
  switch (typeNumber) {
    case TYPE.DECIMAL:
      return { kind: 'decimal', precision, scale };
    case TYPE.DATETIME:
      return { kind: 'dateTime', parts: parseDateTimeText };
    case TYPE.DATE:
      return { kind: 'dateTime', parts: parseDateText };
    default:
      return { kind: 'other', convert: otherSnapshotCell(spec) };
  }
}

/** Converter for one column's cells as the snapshot SELECT hands them. */
export const snapshotConverter = (spec: ColumnSpec): CellConverter =>
  orNull(cellFromBytes(snapshotCellForm(spec)));

function otherSnapshotCell(spec: ColumnSpec): Convert<Buffer> {
  const { typeNumber, precision, scale } = spec;
  if (isBytes(typeNumber)) return bytes(spec);
  if (isTemporal(typeNumber)) {
    const convert = temporal(spec, parseTimeText);
    return (value) => convert(value.toString('latin1'));
  }
  switch (typeNumber) {
    // The select list reads FLOAT as DOUBLE: exact text of the stored float32.
    case TYPE.FLOAT:
      return (value) => float(shortestFloat32(Number(value.toString('latin1'))), precision, scale);
    case TYPE.DOUBLE:
      return (value) => float(Number(value.toString('latin1')), precision, scale);
    case TYPE.YEAR:
      return (value) => dateTime(yearParts(Number(value.toString('latin1'))));
    // The select list converts ENUM/SET labels to utf8mb4; JSON text is utf8mb4.
    case TYPE.JSON:
    case TYPE.ENUM:
    case TYPE.SET: {
      const type = typeNumber === TYPE.JSON ? 'JSON' : typeNumber === TYPE.ENUM ? 'ENUM' : 'SET';
      return (value) => textObject(type, value.toString('utf8'));
    }
    default:
      throw unsupported(spec);
  }
}
