// What the streaming benchmark needs of a CDC tool: start it for one table into one topic, tell a
// row's id from a record's value, stop it and say what it cost.
import type { ProcessStats } from './process-stats.ts';

export interface Position {
  file: string;
  position: number;
}

export interface BenchEnv {
  /** The source both tools read: the test MariaDB or the test MySQL (`--source`). */
  source: 'mariadb' | 'mysql';
  mysql: { host: string; port: number; syncUser: string; syncPassword: string };
  brokers: string[];
  binlogEnd(): Promise<Position>;
}

export interface RunningTool {
  /** Stops the tool; its CPU seconds and peak RSS up to then. */
  stop(): Promise<ProcessStats>;
}

export interface StreamingTool {
  name: string;
  /**
   * The source row's id in a record the tool wrote, read from its key: cheap, so the bench's
   * consumer takes as little as it can of the cores the tool shares. Null: not a row (DDL).
   */
  idOf(key: Buffer | null): number | null;
  /** The topic the tool writes `table` to, for a run; the bench creates it (1 partition). */
  topicFor(run: string, table: string): string;
  /**
   * Runs `write` while the tool is not reading, then lets it catch up from before those rows.
   * `sentinel` writes one row and resolves once its record is in the topic: a tool that must be
   * running before it can be paused calls it first.
   */
  catchUp(
    table: string,
    topic: string,
    steps: { sentinel: () => Promise<void>; write: () => Promise<void> },
  ): Promise<RunningTool>;
  /** Starts the tool streaming from the binlog's end. */
  stream(table: string, topic: string): Promise<RunningTool>;
  /** Starts the tool with a full snapshot of `table`'s rows (then streaming), as a new job. */
  initialize(table: string, topic: string): Promise<RunningTool>;
}
