// Binlog positions in stream order: by the file's sequence number (`binlog.000012`), then offset.

export interface FileOffset {
  file: string;
  offset: number;
}

const sequence = (file: string): number => Number(/\.(\d+)$/.exec(file)?.[1] ?? Number.NaN);

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function comparePositions(a: FileOffset, b: FileOffset): number {
  if (a.file !== b.file) return sequence(a.file) - sequence(b.file);
  return a.offset - b.offset;
}
