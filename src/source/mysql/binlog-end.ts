// Where the source's binlog ends now: the high watermark of a snapshot chunk, the start of a job
// that begins at the end.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { FileOffset } from '../binlog/position-order.ts';
import type { Flavor } from './flavor.ts';

export async function binlogEnd(
  conn: Connection,
  flavor: Pick<Flavor, 'binlogStatusSql'>,
): Promise<FileOffset & { gtidSet?: string }> {
  const [[status]] = await conn.query<RowDataPacket[]>(flavor.binlogStatusSql);
  if (!status)
    throw new Error(`${flavor.binlogStatusSql} returned nothing: is the binlog enabled on the source?`);
  // MySQL also says which GTIDs that end follows (consistently with the file and offset).
  const gtidSet =
    typeof status.Executed_Gtid_Set === 'string' ? status.Executed_Gtid_Set.replace(/\s/g, '') : undefined;
  return { file: String(status.File), offset: Number(status.Position), ...(gtidSet ? { gtidSet } : {}) };
}
