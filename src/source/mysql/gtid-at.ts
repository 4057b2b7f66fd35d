// The MariaDB GTID position of a binlog file and offset on the connected server: the seed of the
// position a job offset carries (src/source/binlog/gtid-position.ts).
import type { Connection, RowDataPacket } from 'mysql2/promise';

/** Undefined on MySQL (no BINLOG_GTID_POS) or when the server does not have that file. */
export async function gtidPositionAt(
  conn: Connection,
  file: string,
  offset: number,
): Promise<string | undefined> {
  try {
    const [[row]] = await conn.query<RowDataPacket[]>('SELECT BINLOG_GTID_POS(?, ?) AS pos', [file, offset]);
    return typeof row?.pos === 'string' ? row.pos : undefined;
  } catch (err) {
    // ER_SP_DOES_NOT_EXIST: MySQL, which tracks GTIDs otherwise.
    if ((err as { errno?: number }).errno === 1305) return undefined;
    throw err;
  }
}
