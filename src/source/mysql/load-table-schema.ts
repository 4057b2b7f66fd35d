// Loads a table's TableSchema from information_schema: columns in table order, the primary key and
// the unique keys (the binlog table map carries no keys on MariaDB), and MariaDB's JSON columns.
// Needs only SELECT on the table, so the least-privilege sync account can run it.
import type { Connection, Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { TableSchema } from '../row-change.ts';
import {
  columnSpecFromInformationSchema,
  type InformationSchemaColumn,
  isJsonValidCheck,
} from './column-spec.ts';

export type SchemaQueryable = Connection | Pool | PoolConnection;

const COLUMNS_SQL = `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, NUMERIC_PRECISION,
  NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`;

const UNIQUE_INDEXES_SQL = `SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
  WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX`;

// SELECT * because only MariaDB has TABLE_NAME and LEVEL here; on MySQL (which has a real JSON
// type) no row matches and LONGTEXT stays LONGTEXT. MariaDB names a column-level check after its
// column, hence the CONSTRAINT_NAME filter.
const CHECKS_SQL = `SELECT * FROM information_schema.CHECK_CONSTRAINTS
  WHERE CONSTRAINT_SCHEMA = ? AND CONSTRAINT_NAME IN (?)`;

export interface IndexColumnRow {
  INDEX_NAME: string;
  /** null for a functional key part (MySQL 8), which names no column. */
  COLUMN_NAME: string | null;
}

/** Primary and unique keys from STATISTICS rows of unique indexes, in index then key-part order. */
export function keysFromStatistics(
  rows: readonly IndexColumnRow[],
): Pick<TableSchema, 'primaryKey' | 'uniqueKeys'> {
  const indexes = new Map<string, string[] | null>();
  for (const { INDEX_NAME, COLUMN_NAME } of rows) {
    const columns = indexes.has(INDEX_NAME) ? indexes.get(INDEX_NAME)! : [];
    // A key with a functional part cannot identify a row by column values: drop it whole.
    indexes.set(INDEX_NAME, columns === null || COLUMN_NAME === null ? null : [...columns, COLUMN_NAME]);
  }
  let primaryKey: string[] = [];
  const uniqueKeys: Record<string, string[]> = {};
  for (const [name, columns] of indexes) {
    if (columns === null) continue;
    if (name === 'PRIMARY') primaryKey = columns;
    else uniqueKeys[name] = columns;
  }
  return { primaryKey, uniqueKeys };
}

export async function loadTableSchema(
  db: SchemaQueryable,
  database: string,
  table: string,
): Promise<TableSchema> {
  const schema = await findTableSchema(db, database, table);
  if (schema === null) throw new Error(`table ${database}.${table} does not exist or is not readable`);
  return schema;
}

/** The table's schema, or null when no such table exists (or the account cannot see it). */
export async function findTableSchema(
  db: SchemaQueryable,
  database: string,
  table: string,
): Promise<TableSchema | null> {
  const [columnRows] = await db.query<RowDataPacket[]>(COLUMNS_SQL, [database, table]);
  const columns = columnRows as InformationSchemaColumn[];
  if (columns.length === 0) return null;
  const [indexRows] = await db.query<RowDataPacket[]>(UNIQUE_INDEXES_SQL, [database, table]);
  const jsonColumns = await mariaDbJsonColumns(db, database, table, columns);
  return {
    database,
    table,
    columns: columns.map((row) => columnSpecFromInformationSchema(row, jsonColumns.has(row.COLUMN_NAME))),
    ...keysFromStatistics(indexRows as IndexColumnRow[]),
  };
}

async function mariaDbJsonColumns(
  db: SchemaQueryable,
  database: string,
  table: string,
  columns: readonly InformationSchemaColumn[],
): Promise<Set<string>> {
  // MariaDB's JSON is utf8mb4; a LONGTEXT JSON in another charset stays TEXT (its bytes are not UTF-8).
  const longtext = columns
    .filter((c) => c.DATA_TYPE === 'longtext' && c.CHARACTER_SET_NAME?.startsWith('utf8') === true)
    .map((c) => c.COLUMN_NAME);
  if (longtext.length === 0) return new Set();
  const [checks] = await db.query<RowDataPacket[]>(CHECKS_SQL, [database, longtext]);
  return new Set(
    checks
      .filter((c) => c.TABLE_NAME === table && c.LEVEL === 'Column')
      .filter((c) => isJsonValidCheck(c.CONSTRAINT_NAME, c.CHECK_CLAUSE))
      .map((c) => c.CONSTRAINT_NAME as string),
  );
}
