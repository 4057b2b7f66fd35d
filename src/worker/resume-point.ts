// Where a worker's binlog stream starts: a pure decision from the stored offset, the spec's start
// position and the server the worker is connected to. An offset written on another server (a
// promoted replica after a failover, an HA switch behind the same endpoint) cannot be resumed by
// file and offset, which differ between servers; it resumes by its GTID position instead.
import type { SyncJob } from '../api/v1alpha1/syncjob-spec.ts';
import { SyncError } from '../errors.ts';
import type { JobOffset } from '../offsets/job-offset.ts';
import type { StartPosition } from '../source/binlog/binlog-reader.ts';

export interface ResumePoint {
  start: StartPosition;
  /** The offset was written on another server than the one connected now. */
  moved: boolean;
}

export function resumePoint(
  stored: JobOffset | null,
  startPosition: SyncJob['spec']['source']['startPosition'],
  serverId: number,
): ResumePoint {
  const b = stored?.binlog;
  // Offsets of earlier versions do not name their server: taken to be this one's.
  const moved = b?.serverId !== undefined && b.serverId !== serverId;
  if (b && moved) {
    if (b.gtidPos === undefined)
      throw new SyncError(
        `the job's offset was written reading server_id ${b.serverId}, the source now is server_id ${serverId}, and the offset has no GTID position to resume from`,
        {
          retriable: false,
          reason: 'SourceServerChanged',
          fix: 'point spec.source back at the server the job read from, or re-initialize the job (a new name or deleted offsets); failover needs GTIDs (MariaDB, or MySQL with gtid_mode=ON)',
        },
      );
    return { start: { mode: 'gtid', gtidSet: b.gtidPos }, moved };
  }
  // An offset written before a GTID-started stream's first event has no file yet: start as configured.
  if (b && b.file !== '') return { start: { mode: 'file', file: b.file, position: b.position }, moved };
  if (startPosition.mode === 'file')
    return { start: { mode: 'file', file: startPosition.file!, position: startPosition.position! }, moved };
  if (startPosition.mode === 'gtid')
    return { start: { mode: 'gtid', gtidSet: startPosition.gtidSet! }, moved };
  return { start: { mode: 'end' }, moved };
}
