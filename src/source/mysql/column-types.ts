// MySQL column type codes as DTS writes them in `dataTypeNumber`, and the facts about each type that
// both metadata sources (information_schema and the binlog's table map) must agree on.

export const TYPE = {
  TINYINT: 1,
  SMALLINT: 2,
  INT: 3,
  FLOAT: 4,
  DOUBLE: 5,
  TIMESTAMP: 7,
  BIGINT: 8,
  MEDIUMINT: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  BIT: 16,
  JSON: 245,
  DECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VARCHAR: 253,
  CHAR: 254,
  GEOMETRY: 255,
} as const;

/** information_schema `DATA_TYPE` → dataTypeNumber. BINARY/VARBINARY share CHAR/VARCHAR's codes, as in MySQL. */
const BY_DATA_TYPE: Readonly<Record<string, number>> = {
  tinyint: TYPE.TINYINT,
  smallint: TYPE.SMALLINT,
  mediumint: TYPE.MEDIUMINT,
  int: TYPE.INT,
  bigint: TYPE.BIGINT,
  bit: TYPE.BIT,
  decimal: TYPE.DECIMAL,
  float: TYPE.FLOAT,
  double: TYPE.DOUBLE,
  timestamp: TYPE.TIMESTAMP,
  date: TYPE.DATE,
  time: TYPE.TIME,
  datetime: TYPE.DATETIME,
  year: TYPE.YEAR,
  char: TYPE.CHAR,
  binary: TYPE.CHAR,
  varchar: TYPE.VARCHAR,
  varbinary: TYPE.VARCHAR,
  tinyblob: TYPE.TINY_BLOB,
  tinytext: TYPE.TINY_BLOB,
  blob: TYPE.BLOB,
  text: TYPE.BLOB,
  mediumblob: TYPE.MEDIUM_BLOB,
  mediumtext: TYPE.MEDIUM_BLOB,
  longblob: TYPE.LONG_BLOB,
  longtext: TYPE.LONG_BLOB,
  json: TYPE.JSON,
  enum: TYPE.ENUM,
  set: TYPE.SET,
  geometry: TYPE.GEOMETRY,
  point: TYPE.GEOMETRY,
  linestring: TYPE.GEOMETRY,
  polygon: TYPE.GEOMETRY,
  multipoint: TYPE.GEOMETRY,
  multilinestring: TYPE.GEOMETRY,
  multipolygon: TYPE.GEOMETRY,
  geometrycollection: TYPE.GEOMETRY,
  geomcollection: TYPE.GEOMETRY,
};

/** The dataTypeNumber of an information_schema `DATA_TYPE`, or undefined for a type DTS has no mapping for. */
export function typeNumberOfDataType(dataType: string): number | undefined {
  return BY_DATA_TYPE[dataType];
}

// The binlog writes every TEXT/BLOB size as BLOB (252) and tells them apart by the width of the
// length prefix; DTS names the size.
const BLOB_BY_LENGTH_SIZE: Readonly<Record<number, number>> = {
  1: TYPE.TINY_BLOB,
  2: TYPE.BLOB,
  3: TYPE.MEDIUM_BLOB,
  4: TYPE.LONG_BLOB,
};

// Binlog codes that are the same number in DTS.
const SAME_IN_BINLOG = new Set<number>([
  TYPE.TINYINT,
  TYPE.SMALLINT,
  TYPE.INT,
  TYPE.FLOAT,
  TYPE.DOUBLE,
  TYPE.TIMESTAMP,
  TYPE.BIGINT,
  TYPE.MEDIUMINT,
  TYPE.DATE,
  TYPE.TIME,
  TYPE.DATETIME,
  TYPE.YEAR,
  TYPE.BIT,
  TYPE.JSON,
  TYPE.DECIMAL,
  TYPE.ENUM,
  TYPE.SET,
  TYPE.CHAR,
  TYPE.GEOMETRY,
]);

/**
 * The dataTypeNumber of a binlog table-map column type code (ENUM/SET already resolved from their
 * real type), or undefined for a code DTS has no mapping for. The fractional-second codes
 * TIMESTAMP2/DATETIME2/TIME2 (17/18/19) become 7/12/11 and VARCHAR (15) becomes 253: the reference
 * consumer has converters only for those.
 */
export function typeNumberOfBinlogType(code: number, blobLengthSize: number | undefined): number | undefined {
  switch (code) {
    case 17:
      return TYPE.TIMESTAMP;
    case 18:
      return TYPE.DATETIME;
    case 19:
      return TYPE.TIME;
    case 15:
      return TYPE.VARCHAR;
    case TYPE.BLOB:
      return blobLengthSize === undefined ? undefined : BLOB_BY_LENGTH_SIZE[blobLengthSize];
    default:
      return SAME_IN_BINLOG.has(code) ? code : undefined;
  }
}

// Decimal digits of each integer type, signed and unsigned, as information_schema's
// NUMERIC_PRECISION reports them; the table map has no such field, so both sources use this.
const INTEGER_DIGITS: Readonly<Record<number, readonly [number, number]>> = {
  [TYPE.TINYINT]: [3, 3],
  [TYPE.SMALLINT]: [5, 5],
  [TYPE.MEDIUMINT]: [7, 8],
  [TYPE.INT]: [10, 10],
  [TYPE.BIGINT]: [19, 20],
};

export function isIntegerType(typeNumber: number): boolean {
  return INTEGER_DIGITS[typeNumber] !== undefined;
}

export function integerDigits(typeNumber: number, unsigned: boolean): number {
  const digits = INTEGER_DIGITS[typeNumber];
  return digits === undefined ? 0 : digits[unsigned ? 1 : 0];
}

/** Types whose signedness matters; the binlog also flags YEAR as unsigned, which means nothing here. */
export function canBeUnsigned(typeNumber: number): boolean {
  return (
    isIntegerType(typeNumber) ||
    typeNumber === TYPE.DECIMAL ||
    typeNumber === TYPE.FLOAT ||
    typeNumber === TYPE.DOUBLE
  );
}

const BLOB_MAX_LENGTH: Readonly<Record<number, number>> = {
  [TYPE.TINY_BLOB]: 255,
  [TYPE.BLOB]: 65_535,
  [TYPE.MEDIUM_BLOB]: 16_777_215,
  [TYPE.LONG_BLOB]: 4_294_967_295,
};

export function isBlobType(typeNumber: number): boolean {
  return BLOB_MAX_LENGTH[typeNumber] !== undefined;
}

/** Maximum length of a TEXT/BLOB size, the same in characters (TEXT) and bytes (BLOB) as MySQL reports it. */
export function blobMaxLength(typeNumber: number): number {
  return BLOB_MAX_LENGTH[typeNumber] ?? 0;
}

/** FLOAT and DOUBLE declared without (M,D): information_schema's NUMERIC_PRECISION for them. */
export function defaultFloatDigits(typeNumber: number): number {
  return typeNumber === TYPE.FLOAT ? 12 : 22;
}
