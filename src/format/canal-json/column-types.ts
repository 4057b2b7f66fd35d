// The per-table type maps of a Canal JSON record: `mysqlType` (the declared type, as MySQL shows
// it) and `sqlType` (the java.sql.Types code Canal gives the column: JDBC consumers branch on it).
// Unsigned integers take the next wider JDBC type, as Canal does, so their range fits.
import type { ColumnSpec } from '../../source/row-change.ts';

const JDBC = {
  BIT: -7,
  TINYINT: -6,
  SMALLINT: 5,
  INTEGER: 4,
  BIGINT: -5,
  REAL: 7,
  DOUBLE: 8,
  DECIMAL: 3,
  CHAR: 1,
  VARCHAR: 12,
  BINARY: -2,
  VARBINARY: -3,
  DATE: 91,
  TIME: 92,
  TIMESTAMP: 93,
  BLOB: 2004,
  CLOB: 2005,
} as const;

const SIGNED: Record<string, number> = {
  bit: JDBC.BIT,
  tinyint: JDBC.TINYINT,
  smallint: JDBC.SMALLINT,
  mediumint: JDBC.INTEGER,
  int: JDBC.INTEGER,
  integer: JDBC.INTEGER,
  bigint: JDBC.BIGINT,
  float: JDBC.REAL,
  double: JDBC.DOUBLE,
  decimal: JDBC.DECIMAL,
  char: JDBC.CHAR,
  varchar: JDBC.VARCHAR,
  binary: JDBC.BINARY,
  varbinary: JDBC.VARBINARY,
  tinytext: JDBC.CLOB,
  text: JDBC.CLOB,
  mediumtext: JDBC.CLOB,
  longtext: JDBC.CLOB,
  tinyblob: JDBC.BLOB,
  blob: JDBC.BLOB,
  mediumblob: JDBC.BLOB,
  longblob: JDBC.BLOB,
  date: JDBC.DATE,
  time: JDBC.TIME,
  datetime: JDBC.TIMESTAMP,
  timestamp: JDBC.TIMESTAMP,
  year: JDBC.VARCHAR,
  enum: JDBC.CHAR,
  set: JDBC.CHAR,
  json: JDBC.VARCHAR,
};

const UNSIGNED: Record<string, number> = {
  tinyint: JDBC.SMALLINT,
  smallint: JDBC.INTEGER,
  mediumint: JDBC.INTEGER,
  int: JDBC.BIGINT,
  integer: JDBC.BIGINT,
  bigint: JDBC.DECIMAL,
};

/** The column's java.sql.Types code; geometries (and anything else binary) are BINARY. */
export function jdbcType(column: ColumnSpec): number {
  return (column.unsigned ? UNSIGNED[column.sqlType] : undefined) ?? SIGNED[column.sqlType] ?? JDBC.BINARY;
}

/** The declared type for `mysqlType`: `int(10) unsigned`, `varchar(300)`, `enum('a','b')`. */
export const mysqlType = (column: ColumnSpec): string => column.columnType || column.sqlType;
