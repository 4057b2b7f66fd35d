// Every error the product raises says whether retrying can help. Terminal errors carry a reason of
// the registry (src/reasons.ts; surfaced as a condition reason) and the way out in plain words.
import type { RetriableReason, TerminalReason } from './reasons.ts';

export type SyncErrorOptions = { fix?: string; cause?: unknown } & (
  | { retriable: true; reason: RetriableReason | 'Conflict' }
  | { retriable: false; reason: TerminalReason }
);

export class SyncError extends Error {
  readonly retriable: boolean;
  readonly reason: string;
  readonly fix: string | undefined;

  constructor(message: string, opts: SyncErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retriable = opts.retriable;
    this.reason = opts.reason;
    this.fix = opts.fix;
  }
}

/** The binlog position the job needs is gone from the source (MySQL error 1236). */
export class BinlogPurgedError extends SyncError {
  constructor(detail: string, cause?: unknown) {
    super(`the binlog position to resume from is no longer on the source: ${detail}`, {
      retriable: false,
      reason: 'BinlogPurged',
      fix: 'keep binlogs longer (expire_logs_days / binlog_expire_logs_seconds >= 7 days), then re-initialize the job',
      cause,
    });
  }
}

/** A table named in spec.objects was dropped while the job ran (a rename is reported, not fatal). */
export class TableGoneError extends SyncError {
  constructor(objectName: string) {
    super(`selected table ${objectName} was dropped on the source`, {
      retriable: false,
      reason: 'TableDropped',
      fix: `remove ${objectName} from spec.objects, or recreate it and re-initialize the job`,
    });
  }
}

/**
 * The source logged a change of a synced table in a form that cannot be synced exactly: rows
 * with columns left out (binlog_row_image MINIMAL/NOBLOB) or SQL text (binlog_format STATEMENT
 * or MIXED). Everything before it is written; it and what follows are not.
 */
export class BinlogFidelityError extends SyncError {
  constructor(kind: 'rowImage' | 'format', table: string) {
    const [reason, what, setting] =
      kind === 'rowImage'
        ? (['BinlogRowImageNotFull', 'a row change without every column', "binlog_row_image='FULL'"] as const)
        : ([
            'BinlogFormatNotRow',
            'a data change as an SQL statement instead of row events',
            "binlog_format='ROW'",
          ] as const);
    super(`the source logged ${what} for synced table ${table}`, {
      retriable: false,
      reason,
      fix: `run SET GLOBAL ${setting} on the source (and set it in its configuration file; sessions opened before keep the old setting until they reconnect), then add a request for ${table} to spec.initialization.resnapshots`,
    });
  }
}

/** The job's configuration cannot work (bad manifest, unsupported option). Fixing the spec is the way out. */
export class ConfigError extends SyncError {
  constructor(message: string, fix?: string) {
    super(message, {
      retriable: false,
      reason: 'InvalidConfiguration',
      ...(fix === undefined ? {} : { fix }),
    });
  }
}

/** Whether an unknown error is worth a retry: our own errors say so; anything else is assumed transient. */
export function isRetriable(err: unknown): boolean {
  return err instanceof SyncError ? err.retriable : true;
}
