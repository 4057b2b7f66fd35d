// What a worker needs to resume exactly where the data Kafka holds ends. Stored as JSON in the
// offsets topic under the job's key, written with (or right after) the records it covers.

export interface BinlogResume {
  file: string;
  /** Where the source transaction in progress starts (the end of the one before it). */
  position: number;
  gtid: string;
  /** Row changes of that transaction already written; a restart re-reads and skips them. */
  rowsDone: number;
  /**
   * The transactions written completely, by GTID: a MariaDB GTID position (`domain-server-seq,...`)
   * or a MySQL executed GTID set (`uuid:1-100,...`). Where a worker resumes on another server of
   * the topology. Absent when unknown (earlier versions; MySQL jobs started at a file position).
   */
  gtidPos?: string;
  /** @@server_id of the source `file` and `position` belong to. */
  serverId?: number;
}

export interface JobOffset {
  version: 1;
  binlog: BinlogResume;
  /** The `id` of the next record: ids continue across restarts, so replays repeat ids exactly. */
  nextId: number;
  /**
   * Which tables are initialized and how far the others are; absent when the job initializes
   * nothing (and in offsets of earlier versions once their initialization had finished).
   */
  snapshot?: SnapshotProgress;
}

export interface SnapshotProgress {
  /**
   * Tables (`db.table`) being copied: the cursor after the last chunk written (null before one),
   * and the binlog position the copy began at: changes logged before it are older than any row
   * the copy reads (absent in offsets of earlier versions).
   */
  tables: Record<string, { cursor: unknown; from?: { file: string; offset: number } }>;
  /** Tables whose rows are all written (or whose every row came from the binlog: created later). */
  initialized: string[];
  /** Names of the re-snapshot requests already handled (spec.initialization.resnapshots). */
  requests?: string[];
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
    if (o.snapshot) o.snapshot = normalizeProgress(o.snapshot);
    return o;
  } catch {
    return null;
  }
}

/** Progress as earlier versions stored it (done tables as `{done: true}` entries) in today's shape. */
function normalizeProgress(stored: SnapshotProgress): SnapshotProgress {
  if (Array.isArray(stored.initialized)) return stored;
  const tables: SnapshotProgress['tables'] = {};
  const initialized: string[] = [];
  for (const [t, p] of Object.entries(stored.tables ?? {}) as [
    string,
    { cursor: unknown; done?: boolean },
  ][]) {
    if (p.done) initialized.push(t);
    else tables[t] = { cursor: p.cursor };
  }
  return { tables, initialized };
}
