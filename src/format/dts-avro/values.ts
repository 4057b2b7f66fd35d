// The value model of a DTS-Avro image cell. Each value is already in avsc's wrapped-union form
// (`{ '<full type name>': fields }`), so the encoder hands rows to avsc without copying them.
// Which member a MySQL type uses is a hard contract with DTS consumers: see docs/dts-avro.md.

const NS = 'com.alibaba.dts.formats.avro';

export const INTEGER = `${NS}.Integer` as const;
export const CHARACTER = `${NS}.Character` as const;
export const DECIMAL = `${NS}.Decimal` as const;
export const FLOAT = `${NS}.Float` as const;
export const TIMESTAMP = `${NS}.Timestamp` as const;
export const DATETIME = `${NS}.DateTime` as const;
export const TIMESTAMP_TZ = `${NS}.TimestampWithTimeZone` as const;
export const BINARY_GEOMETRY = `${NS}.BinaryGeometry` as const;
export const TEXT_GEOMETRY = `${NS}.TextGeometry` as const;
export const BINARY_OBJECT = `${NS}.BinaryObject` as const;
export const TEXT_OBJECT = `${NS}.TextObject` as const;
export const EMPTY_OBJECT = `${NS}.EmptyObject` as const;

/** DateTime parts; absent parts are null. `millis` holds microseconds (0–999999), as DTS does. */
export interface DateTimeParts {
  year: number | null;
  month: number | null;
  day: number | null;
  hour: number | null;
  minute: number | null;
  second: number | null;
  millis: number | null;
}

export type DtsValue =
  | null
  | { [INTEGER]: { precision: number; value: string } }
  | { [CHARACTER]: { charset: string; value: Buffer } }
  | { [DECIMAL]: { value: string; precision: number; scale: number } }
  | { [FLOAT]: { value: number; precision: number; scale: number } }
  | { [TIMESTAMP]: { timestamp: number; millis: number } }
  | { [DATETIME]: DateTimeParts }
  | { [TIMESTAMP_TZ]: { value: DateTimeParts; timezone: string } }
  | { [BINARY_GEOMETRY]: { type: string; value: Buffer } }
  | { [TEXT_GEOMETRY]: { type: string; value: string } }
  | { [BINARY_OBJECT]: { type: string; value: Buffer } }
  | { [TEXT_OBJECT]: { type: string; value: string } }
  | { [EMPTY_OBJECT]: 'NULL' | 'NONE' };

export const integer = (precision: number, value: string): DtsValue => ({ [INTEGER]: { precision, value } });
export const character = (charset: string, value: Buffer): DtsValue => ({ [CHARACTER]: { charset, value } });
export const decimal = (value: string, precision: number, scale: number): DtsValue => ({
  [DECIMAL]: { value, precision, scale },
});
export const float = (value: number, precision: number, scale: number): DtsValue => ({
  [FLOAT]: { value, precision, scale },
});
export const timestamp = (seconds: number, micros: number): DtsValue => ({
  [TIMESTAMP]: { timestamp: seconds, millis: micros },
});
export const dateTime = (parts: DateTimeParts): DtsValue => ({ [DATETIME]: parts });
export const binaryGeometry = (type: string, wkb: Buffer): DtsValue => ({
  [BINARY_GEOMETRY]: { type, value: wkb },
});
export const binaryObject = (type: string, value: Buffer): DtsValue => ({ [BINARY_OBJECT]: { type, value } });
export const textObject = (type: string, value: string): DtsValue => ({ [TEXT_OBJECT]: { type, value } });
