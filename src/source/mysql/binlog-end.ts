// Where the source's binlog ends now: the high watermark of a snapshot chunk, the start of a job
// that begins at the end.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { FileOffset } from '../binlog/position-order.ts';

export async function binlogEnd(conn: Connection): Promise<FileOffset> {
  const [[status]] = await conn.query<RowDataPacket[]>('SHOW MASTER STATUS');
  if (!status) throw new Error('SHOW MASTER STATUS returned nothing: is the binlog enabled on the source?');
  return { file: String(status.File), offset: Number(status.Position) };
}
