// Whether a row event carries every column (binlog_row_image FULL). With MINIMAL or NOBLOB the
// server leaves out columns, which would reach Kafka as nulls: a consumer materializing by key
// would be silently corrupted, so the reader stops instead.

/** True when the columns-present bitmap has a bit set for each of the `columns`. */
export function everyColumnPresent(bitmap: Buffer | undefined, columns: number): boolean {
  if (bitmap === undefined) return true;
  for (let i = 0; i < columns; i++) if ((bitmap[i >> 3]! & (1 << (i & 7))) === 0) return false;
  return true;
}
