// What a worker needs to resume exactly where the data Kafka holds ends. Stored as JSON in the
// offsets topic under the job's key, written with (or right after) the records it covers.

export interface BinlogResume {
  file: string;
  /** Where the source transaction in progress starts (the end of the one before it). */
  position: number;
  gtid: string;
  /** Row changes of that transaction already written; a restart re-reads and skips them. */
  rowsDone: number;
}

export interface JobOffset {
  version: 1;
  binlog: BinlogResume;
  /** The `id` of the next record: ids continue across restarts, so replays repeat ids exactly. */
  nextId: number;
  /** Initialization progress; absent once it is complete or when none was asked for. */
  snapshot?: SnapshotProgress;
}

export interface SnapshotProgress {
  /** Per source table (`db.table`): the last chunk written, or done. */
  tables: Record<string, { cursor: unknown; done: boolean }>;
}

export function encodeJobOffset(offset: JobOffset): Buffer {
  return Buffer.from(JSON.stringify(offset));
}

/** Parses a stored offset; null for anything this version did not write (never guesses). */
export function decodeJobOffset(value: Buffer | null): JobOffset | null {
  if (value === null) return null;
  try {
    const o = JSON.parse(value.toString('utf8')) as JobOffset;
    const b = o?.binlog;
    if (o?.version !== 1 || typeof b?.file !== 'string' || !Number.isSafeInteger(b.position)) return null;
    if (!Number.isSafeInteger(b.rowsDone) || !Number.isSafeInteger(o.nextId)) return null;
    return o;
  } catch {
    return null;
  }
}
