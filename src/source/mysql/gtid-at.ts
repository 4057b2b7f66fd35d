// The MariaDB GTID position of a binlog file and offset on the connected server: the seed of the
// position a job offset carries (src/source/binlog/gtid-position.ts).
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Flavor } from './flavor.ts';

/**
 * Undefined on MySQL, whose offsets carry the executed GTID set instead (and which has no
 * BINLOG_GTID_POS), or when the server does not have that file.
 */
export async function gtidPositionAt(
  conn: Connection,
  flavor: Pick<Flavor, 'gtidForm'>,
  file: string,
  offset: number,
): Promise<string | undefined> {
  if (flavor.gtidForm !== 'mariadb') return undefined;
  const [[row]] = await conn.query<RowDataPacket[]>('SELECT BINLOG_GTID_POS(?, ?) AS pos', [file, offset]);
  return typeof row?.pos === 'string' ? row.pos : undefined;
}
