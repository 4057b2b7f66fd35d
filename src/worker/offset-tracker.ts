// The offset context of the stream (Debezium's offset context is the model): how far into the
// current source transaction the stream is and which record id comes next, so every queued entry
// knows the job offset a write ending there would store. On resume, the first `rowsDone` row
// changes of the stored transaction are already in Kafka and are skipped.
import type { JobOffset, SnapshotProgress } from '../offsets/job-offset.ts';
import type { FileOffset } from '../source/binlog/position-order.ts';
import type { SourcePosition } from '../source/row-change.ts';

export interface OffsetTracker {
  /** Row changes (and DDL) of the current source transaction so far, filtered ones included. */
  readonly rowsDone: number;
  /** The id the next record gets. */
  readonly nextId: number;
  /** Counts a row change at `position`; false when it was written before the restart. */
  fresh(position: FileOffset & { gtid: string }): boolean;
  /** Uses up a record id. */
  takeId(): number;
  /** The source transaction ended (COMMIT). */
  endTransaction(): void;
}

export function createOffsetTracker(resume: JobOffset | null): OffsetTracker {
  let nextId = resume?.nextId ?? 1;
  let rowsDone = 0;
  let skip = resume && resume.binlog.rowsDone > 0 ? resume.binlog : null;
  return {
    get rowsDone() {
      return rowsDone;
    },
    get nextId() {
      return nextId;
    },
    fresh(position) {
      rowsDone++;
      if (skip === null) return true;
      // The transaction the offset ends inside: by GTID when both know one (the same on every
      // server of the topology, so it holds after a failover), else by where it starts.
      const same =
        skip.gtid !== '' && position.gtid !== ''
          ? position.gtid === skip.gtid
          : position.file === skip.file && position.offset === skip.position;
      if (same && rowsDone <= skip.rowsDone) return false;
      skip = null;
      return true;
    },
    takeId: () => nextId++,
    endTransaction() {
      rowsDone = 0;
      skip = null;
    },
  };
}

/** The job offset of a point in the stream: its position, the transaction's row count, the next id. */
export function jobOffsetAt(at: {
  position: SourcePosition;
  rowsDone: number;
  nextId: number;
  snapshot: SnapshotProgress | undefined;
  gtidPos: string | undefined;
  serverId: number | undefined;
}): JobOffset {
  const p = at.position;
  return {
    version: 1,
    binlog: {
      file: p.file,
      position: p.offset,
      gtid: p.gtid,
      rowsDone: at.rowsDone,
      ...(at.gtidPos === undefined ? {} : { gtidPos: at.gtidPos }),
      ...(at.serverId === undefined ? {} : { serverId: at.serverId }),
    },
    nextId: at.nextId,
    ...(at.snapshot ? { snapshot: at.snapshot } : {}),
  };
}
