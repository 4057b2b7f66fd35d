// Pure decisions on what the Kafka cluster reported; the requests are in target-checks.ts.
import { createTopicCommand, raiseMaxMessageBytesCommand } from '../kafka/cli-commands.ts';
import { failed, listNames, type PrecheckItem, passed, warning } from './types.ts';

export interface PartitionWatermarks {
  partition: number;
  low: number;
  high: number;
}

/**
 * Below this limit a topic rejects rows that are ordinary in MySQL (a few TEXT columns, and an
 * UPDATE carries the row twice). Kafka's own default, 1048588 bytes, is just above it.
 */
export const MESSAGE_SIZE_BOUND = 1024 * 1024;

/** Names only the job's own topics: the cluster's other topics may be other tenants'. */
export function decideTopics(
  wanted: readonly string[],
  existing: readonly string[],
  brokers: readonly string[],
): PrecheckItem {
  const name = 'target.topic';
  const missing = wanted.filter((t) => !existing.includes(t));
  if (missing.length === 0) return passed(name, `topic ${listNames(wanted)} exists`);
  return failed(
    name,
    `topic ${listNames(missing)} does not exist`,
    `create it (the job never creates topics): ${missing.map((t) => createTopicCommand(brokers, t)).join('; ')}; or fix target.topic / the table topic in the SyncJob`,
  );
}

export function decideExistingData(
  conflictMode: 'precheckError' | 'ignore',
  topics: ReadonlyMap<string, readonly PartitionWatermarks[]>,
  /** The job stored offsets before: the records are its own (a re-check of a running job). */
  jobHasOffsets = false,
): PrecheckItem {
  const name = 'target.existingData';
  if (conflictMode === 'ignore')
    return passed(name, 'skipped: conflictMode is ignore, records already in the topic are kept');
  if (jobHasOffsets)
    return passed(name, "the records in the topic are this job's own: it has stored offsets");
  const holding: string[] = [];
  for (const [topic, partitions] of topics) {
    const records = partitions.reduce((n, p) => n + Math.max(0, p.high - p.low), 0);
    if (records > 0) holding.push(`${topic} (${records} records)`);
  }
  if (holding.length === 0) return passed(name, `topic ${listNames([...topics.keys()])} holds no records`);
  return failed(
    name,
    `the topic already holds records: ${listNames(holding)}`,
    'empty the topic (delete and recreate it), choose another topic, or set conflictMode: ignore to write after the existing records',
  );
}

export function decideMessageSize(
  limits: ReadonlyMap<string, number | undefined>,
  brokers: readonly string[],
): PrecheckItem {
  const name = 'target.messageSize';
  const small = [...limits].filter(([, bytes]) => bytes !== undefined && bytes < MESSAGE_SIZE_BOUND);
  if (small.length > 0)
    return warning(
      name,
      `max.message.bytes is below ${MESSAGE_SIZE_BOUND} bytes: ${listNames(small.map(([t, b]) => `${t} (${b})`))}; a record larger than that stops the job`,
      `raise it: ${small.map(([t]) => raiseMaxMessageBytesCommand(brokers, t, MESSAGE_SIZE_BOUND * 10)).join('; ')} (and the brokers' message.max.bytes), or exclude the large tables`,
    );
  const shown = [...limits].map(([t, b]) => `${t} (${b ?? 'not reported'})`);
  return passed(name, `max.message.bytes: ${listNames(shown)}`);
}
