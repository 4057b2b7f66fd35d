// Where a source's transactions are, by GTID: a MariaDB GTID position ("domain-server-seq" per
// replication domain) or a MySQL executed GTID set ("uuid:1-100,..."). The job offset carries it so
// that a worker pointed at another server of the same topology (a promoted replica after a
// failover) resumes where the topic ends: binlog file names and offsets differ between servers,
// GTIDs do not.
import { GtidSet } from '@vlasky/zongji';

/** Whether a GTID is MariaDB's (domain-server-seq), not MySQL's (uuid:n). */
export const isMariadbGtid = (gtid: string): boolean => /^\d+-\d+-\d+$/.test(gtid);

/** The position after the transaction `gtid` committed; unchanged for a transaction without one. */
export function advanceGtidPosition(position: string, gtid: string): string {
  if (isMariadbGtid(gtid)) {
    const domain = gtid.slice(0, gtid.indexOf('-'));
    const entries = position === '' ? [] : position.split(',');
    const at = entries.findIndex((e) => e.slice(0, e.indexOf('-')) === domain);
    if (at < 0) entries.push(gtid);
    else entries[at] = gtid;
    return entries.join(',');
  }
  if (!gtid.includes(':')) return position;
  const set = GtidSet.parse(position);
  set.add(gtid);
  return set.toString();
}
