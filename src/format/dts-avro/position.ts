// The text of `sourcePosition` / `safeSourcePosition`: `<file>:<offset>@<gtid>`, e.g.
// `mysql-bin.000003:4711@0-1-42` or `binlog.000007:1290@3e11fa47-71ca-11e1-9e33-c80aa9429562:23`.
// `@` is always present (the GTID after it may be empty), so a reader splits at the first `@`, then
// the part before it at its last `:`. Binlog file names contain neither `@` nor `:`.
import type { SourcePosition } from '../../source/row-change.ts';

export type PositionText = Pick<SourcePosition, 'file' | 'offset' | 'gtid'>;

export const formatPosition = (p: PositionText): string => `${p.file}:${p.offset}@${p.gtid}`;

const POSITION = /^([^@]+):(\d+)@(.*)$/s;

/** Inverse of `formatPosition`; throws on text it did not write. */
export function parsePosition(text: string): PositionText {
  const m = POSITION.exec(text);
  const offset = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(offset)) throw new Error(`not a binlog position: ${JSON.stringify(text)}`);
  return { file: m[1]!, offset, gtid: m[3]! };
}
