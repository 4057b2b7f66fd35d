// ColumnSpecs from the two places MySQL describes a table: information_schema (authoritative: it
// has nullability, FLOAT(M,D), MariaDB's JSON marker and keys) and the binlog's table map (what the
// row images were written with, used to notice that a loaded schema no longer fits the binlog).

import type { TableMapEvent } from '@vlasky/zongji';
import { ConfigError } from '../../errors.ts';
import type { ColumnSpec } from '../row-change.ts';
import {
  blobMaxLength,
  canBeUnsigned,
  defaultFloatDigits,
  integerDigits,
  isBlobType,
  isIntegerType,
  TYPE,
  typeNumberOfBinlogType,
  typeNumberOfDataType,
} from './column-types.ts';

/** The information_schema.COLUMNS fields a ColumnSpec is built from. */
export interface InformationSchemaColumn {
  COLUMN_NAME: string;
  DATA_TYPE: string;
  COLUMN_TYPE: string;
  CHARACTER_SET_NAME: string | null;
  NUMERIC_PRECISION: number | null;
  NUMERIC_SCALE: number | null;
  DATETIME_PRECISION: number | null;
  CHARACTER_MAXIMUM_LENGTH: number | null;
  IS_NULLABLE: string;
}

const BINARY_STRING_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/**
 * MariaDB has no JSON type: `JSON` is LONGTEXT with the column-level check `json_valid(col)`, which
 * the server itself reads as "this is JSON" (it flags such columns `json` in result metadata). A
 * LONGTEXT declared with that exact check is therefore JSON too; a JSON column given a different
 * check of its own loses the automatic one and stays LONGTEXT.
 */
export function isJsonValidCheck(column: string, checkClause: string): boolean {
  return checkClause === `json_valid(\`${column.replaceAll('`', '``')}\`)`;
}

/** Whether records can carry a column of this information_schema type (see docs/type-mapping.md). */
export const isSupportedColumn = (dataType: string, columnType: string): boolean =>
  !columnType.includes('COMPRESSED') &&
  (dataType === 'geomcollection' || typeNumberOfDataType(dataType) !== undefined);

const unsupportedColumn = (name: string, what: string) =>
  new ConfigError(
    `column ${name} is ${what}, which DTS records cannot carry`,
    'list the other tables of its database under spec.objects[].tables, or change the column type',
  );

/** One column from information_schema; `isJson` marks a MariaDB LONGTEXT JSON column (see isJsonValidCheck). */
export function columnSpecFromInformationSchema(row: InformationSchemaColumn, isJson: boolean): ColumnSpec {
  const name = row.COLUMN_NAME;
  if (row.COLUMN_TYPE.includes('COMPRESSED')) throw unsupportedColumn(name, 'a MariaDB COMPRESSED column');
  // MySQL 8 names GEOMETRYCOLLECTION by its synonym; records carry one name whatever the source.
  const sqlType = isJson ? 'json' : row.DATA_TYPE === 'geomcollection' ? 'geometrycollection' : row.DATA_TYPE;
  const typeNumber = typeNumberOfDataType(sqlType);
  if (typeNumber === undefined) throw unsupportedColumn(name, `type ${row.COLUMN_TYPE}`);
  const unsigned = canBeUnsigned(typeNumber) && row.COLUMN_TYPE.includes('unsigned');
  return {
    name,
    typeNumber,
    sqlType,
    // MariaDB shows JSON as longtext.
    columnType: isJson ? 'json' : row.COLUMN_TYPE,
    unsigned,
    charset: BINARY_STRING_TYPES.has(sqlType) ? 'binary' : row.CHARACTER_SET_NAME,
    precision: precisionOf(typeNumber, unsigned, row),
    scale: row.NUMERIC_SCALE ?? row.DATETIME_PRECISION ?? 0,
    nullable: row.IS_NULLABLE === 'YES',
  };
}

function precisionOf(typeNumber: number, unsigned: boolean, row: InformationSchemaColumn): number {
  if (isIntegerType(typeNumber)) return integerDigits(typeNumber, unsigned);
  if (isBlobType(typeNumber)) return blobMaxLength(typeNumber);
  switch (typeNumber) {
    case TYPE.BIT:
    case TYPE.DECIMAL:
    case TYPE.FLOAT:
    case TYPE.DOUBLE:
      return row.NUMERIC_PRECISION ?? 0;
    case TYPE.CHAR:
    case TYPE.VARCHAR:
      return row.CHARACTER_MAXIMUM_LENGTH ?? 0;
    default:
      return 0;
  }
}

/**
 * The columns as the binlog's table map describes them (zongji's view of it, built from
 * binlog_row_metadata=FULL or from information_schema when zongji fetched it). It cannot know:
 * nullability (zongji drops the table map's nullability bitmap, so `nullable` is true), FLOAT(M,D)
 * (FLOAT/DOUBLE get the default precision), MariaDB JSON (a LONGTEXT here). Its charsets are not
 * reliable on MariaDB: zongji 0.9.0 aligns the charset list with its own idea of which columns are
 * character columns, and MariaDB also lists GEOMETRY columns, so columns after a GEOMETRY get a
 * neighbour's charset. Hence layoutDrift compares only what decoding depends on.
 */
export function columnSpecsFromTableMap(event: TableMapEvent): ColumnSpec[] {
  const entry = event.tableMap[event.tableId];
  if (entry === undefined) throw new Error(`no table map for ${event.schemaName}.${event.tableName}`);
  return entry.columnSchemas.slice(0, event.columnCount).map((schema, i) => {
    const metadata = event.columnsMetadata[i] ?? {};
    // ENUM/SET arrive as STRING with the real type in their metadata until zongji resolves them.
    const code = (metadata.type as number | undefined) ?? event.columnTypes[i] ?? -1;
    const typeNumber = typeNumberOfBinlogType(code, metadata.length_size as number | undefined);
    if (typeNumber === undefined) {
      throw new Error(`column ${schema.COLUMN_NAME}: binlog type ${code} is not supported`);
    }
    const unsigned =
      canBeUnsigned(typeNumber) && (schema.UNSIGNED ?? schema.COLUMN_TYPE.includes('unsigned'));
    // COLUMN_TYPE is zongji's reconstruction (FULL metadata) or the real one: `name(a,b)`.
    const declared = /^([a-z]+)(?:\((\d+)(?:,(\d+))?\))?/.exec(schema.COLUMN_TYPE);
    const isString = typeNumber === TYPE.CHAR || typeNumber === TYPE.VARCHAR || isBlobType(typeNumber);
    return {
      name: schema.COLUMN_NAME,
      typeNumber,
      sqlType: declared?.[1] ?? '',
      columnType: schema.COLUMN_TYPE,
      unsigned,
      charset: schema.CHARACTER_SET_NAME ?? (isString ? 'binary' : null),
      ...tableMapPrecisionAndScale(typeNumber, unsigned, metadata, declared?.[2], declared?.[3]),
      nullable: true,
    };
  });
}

function tableMapPrecisionAndScale(
  typeNumber: number,
  unsigned: boolean,
  metadata: Record<string, unknown>,
  first: string | undefined,
  second: string | undefined,
): { precision: number; scale: number } {
  if (isIntegerType(typeNumber)) return { precision: integerDigits(typeNumber, unsigned), scale: 0 };
  if (isBlobType(typeNumber)) return { precision: blobMaxLength(typeNumber), scale: 0 };
  switch (typeNumber) {
    case TYPE.BIT:
      return { precision: metadata.bits as number, scale: 0 };
    case TYPE.DECIMAL:
      return { precision: metadata.precision as number, scale: metadata.decimals as number };
    case TYPE.FLOAT:
    case TYPE.DOUBLE:
      // Only a fetched COLUMN_TYPE knows FLOAT(M,D); FULL metadata does not.
      return { precision: Number(first ?? defaultFloatDigits(typeNumber)), scale: Number(second ?? 0) };
    case TYPE.TIMESTAMP:
    case TYPE.DATETIME:
    case TYPE.TIME:
      // MariaDB 5.3-era fractional columns carry their digits only in COLUMN_TYPE.
      return { precision: 0, scale: Number(metadata.decimals ?? first ?? 0) };
    case TYPE.CHAR:
    case TYPE.VARCHAR:
      // zongji derives the declared length from the byte width and the charset.
      return { precision: Number(first ?? 0), scale: 0 };
    default:
      return { precision: 0, scale: 0 };
  }
}

/**
 * Why `schema` (loaded from information_schema) does not describe rows written with the `binlog`
 * table map: one message per difference in column count, name, type or signedness; empty when it
 * fits. A MariaDB JSON column is LONGTEXT in the binlog and fits. A non-empty answer means the
 * table changed between the binlog event and the schema load.
 */
export function layoutDrift(schema: readonly ColumnSpec[], binlog: readonly ColumnSpec[]): string[] {
  const drift: string[] = [];
  if (schema.length !== binlog.length) {
    drift.push(`information_schema has ${schema.length} columns, the binlog ${binlog.length}`);
  }
  const count = Math.min(schema.length, binlog.length);
  for (let i = 0; i < count; i++) {
    const s = schema[i]!;
    const b = binlog[i]!;
    const sameType =
      s.typeNumber === b.typeNumber || (s.typeNumber === TYPE.JSON && b.typeNumber === TYPE.LONG_BLOB);
    if (s.name !== b.name || !sameType || s.unsigned !== b.unsigned) {
      drift.push(`column ${i + 1}: information_schema has ${describe(s)}, the binlog ${describe(b)}`);
    }
  }
  return drift;
}

function describe(spec: ColumnSpec): string {
  return `${spec.name} ${spec.sqlType}${spec.unsigned ? ' unsigned' : ''} (${spec.typeNumber})`;
}
