// The table's DDL as the server prints it, for the initialization's schema record. SHOW CREATE TABLE
// needs only a privilege on the table (SELECT), so the least-privilege sync account can run it.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { quoteIdentifier } from '../mysql/snapshot-query.ts';

export async function showCreateTable(conn: Connection, database: string, table: string): Promise<string> {
  // rowsAsArray: the statement is the second column, named `Create Table` (or `Create View`).
  const [rows] = await conn.query<RowDataPacket[]>({
    sql: `SHOW CREATE TABLE ${quoteIdentifier(database)}.${quoteIdentifier(table)}`,
    rowsAsArray: true,
  });
  const ddl = (rows as unknown as unknown[][])[0]?.[1];
  if (typeof ddl !== 'string')
    throw new Error(`SHOW CREATE TABLE ${database}.${table} returned no statement`);
  return ddl;
}
