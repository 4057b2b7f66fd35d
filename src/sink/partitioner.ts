// Partition choice per `target.partitioning`, hashed the way the reference service does it:
// Java's String.hashCode, made non-negative like Kafka's toPositive, modulo the partition count.

export type PartitioningMode = 'partition0' | 'table' | 'primaryKey';

/** Java's String.hashCode over UTF-16 code units (32-bit overflow). */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

export function hashPartition(text: string, partitions: number): number {
  return (javaStringHashCode(text) & 0x7fffffff) % partitions;
}

/**
 * `objectName` is the name as written to Kafka (`db.table`); `key` is the record key text, or null
 * for DDL and key-less tables, which go to partition 0 under primary-key partitioning.
 */
export function choosePartition(
  mode: PartitioningMode,
  partitions: number,
  objectName: string,
  key: string | null,
): number {
  if (partitions <= 1 || mode === 'partition0') return 0;
  if (mode === 'table') return hashPartition(objectName, partitions);
  return key === null ? 0 : hashPartition(key, partitions);
}
