// Reads a table's rows as the server sends them, one chunk per short autocommit SELECT
// (chunk-plan.ts), so the snapshot holds no lock and no long transaction. Needs only SELECT
// (information_schema included). Cells stay bytes: who encodes them decides what to build.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { DtsValue } from '../../format/dts-avro/values.ts';
import { SNAPSHOT_QUERY_OPTIONS } from '../mysql/snapshot-query.ts';
import type { SnapshotRow, TableSchema } from '../row-change.ts';
import {
  type ChunkCursor,
  type ChunkKey,
  chooseChunkKey,
  chunkQuery,
  cursorAfter,
  fullScanSql,
  NO_USABLE_KEY,
  planChunkQueries,
  textKeyColumns,
} from './chunk-plan.ts';

export interface Chunk {
  /** Rows in key order (convert a cell with snapshotConverter). */
  rows: SnapshotRow[];
  /** Resume after this (store it, pass it to the next readChunk); null when the table is exhausted. */
  last: ChunkCursor | null;
}

export interface ChunkReader {
  /** The key columns chunks page on; null: no usable key, the table is one unordered chunk. */
  key: string[] | null;
  /** Positions of the key columns in `TableSchema.columns` (for keyIdentity and cursorAfter); empty without a key. */
  keyIndexes: number[];
  /** NO_USABLE_KEY when `key` is null: a restart reads the whole table again. */
  warning: string | null;
  /**
   * The rows after `after` (null: from the start), at most `limit`. Without a key the first call
   * returns the whole table, whatever `limit`, and `last` is null.
   */
  readChunk(after: ChunkCursor | null, limit: number): Promise<Chunk>;
}

const COLLATIONS_SQL = `SELECT COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS
  WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME IN (?)`;

/**
 * A reader of `table` over `conn`, which must have SNAPSHOT_SESSION_SQL applied and autocommit on.
 * Loads the collations of text key columns, which TableSchema does not carry.
 */
export async function createChunkReader(conn: Connection, table: TableSchema): Promise<ChunkReader> {
  const select = async (sql: string, values: (string | number)[]): Promise<SnapshotRow[]> => {
    const [rows] = await conn.query<RowDataPacket[]>({ sql, values, ...SNAPSHOT_QUERY_OPTIONS });
    return rows as unknown as SnapshotRow[];
  };

  const key = chooseChunkKey(table);
  if (key === null) {
    const sql = fullScanSql(table);
    return {
      key: null,
      keyIndexes: [],
      warning: NO_USABLE_KEY,
      async readChunk(after) {
        if (after !== null)
          throw new Error(`${table.database}.${table.table} has no chunk key to resume after`);
        return { rows: await select(sql, []), last: null };
      },
    };
  }

  const queries = planChunkQueries(table, key, await loadCollations(conn, table, key));
  return {
    key: key.columns.map((column) => column.name),
    keyIndexes: key.positions,
    warning: null,
    async readChunk(after, limit) {
      const { sql, values } = chunkQuery(queries, after, limit);
      const rows = await select(sql, values);
      const lastRow = rows.at(-1);
      // A short chunk is the end of the index; rows inserted beyond it later come from the binlog.
      const last = rows.length < limit || lastRow === undefined ? null : cursorAfter(key, lastRow);
      return { rows, last };
    },
  };
}

async function loadCollations(
  conn: Connection,
  table: TableSchema,
  key: ChunkKey,
): Promise<Map<string, string>> {
  const names = textKeyColumns(key);
  if (names.length === 0) return new Map();
  const [rows] = await conn.query<RowDataPacket[]>(COLLATIONS_SQL, [table.database, table.table, names]);
  return new Map(rows.map((row) => [row.COLUMN_NAME as string, row.COLLATION_NAME as string]));
}

/**
 * A canonical string of a row's key, from its DTS cells: equal for the same key whether the cells
 * came from the snapshot or the binlog, which build identical DtsValues. The cells are flattened
 * to primitives (union branch, then each field in order, Buffers as hex, nested parts in order),
 * whose JSON is injective because a column's cells always have the same structure.
 */
export function keyIdentity(cells: readonly DtsValue[], keyIndexes: readonly number[]): string {
  const flat: unknown[] = [];
  for (const i of keyIndexes) {
    const cell = cells[i];
    if (cell === undefined) throw new Error(`row has no cell ${i}`);
    flatten(cell, flat);
  }
  return JSON.stringify(flat);
}

function flatten(value: unknown, out: unknown[]): void {
  if (value === null || typeof value !== 'object') out.push(value);
  else if (Buffer.isBuffer(value)) out.push(value.toString('hex'));
  else
    for (const key in value) {
      out.push(key);
      flatten((value as Record<string, unknown>)[key], out);
    }
}
