// How a job's records reach Kafka (target.delivery): exactly once in Kafka transactions, or at
// least once without them. Shared by the worker, which writes that way, and the precheck, which
// says what it means for consumers.
import type { SyncJob } from './api/v1alpha1/syncjob-spec.ts';

/**
 * Exactly-once needs transactions: brokers 0.11+ (every version but 0.10) and acks=all, unless the
 * job asks for at-least-once (no transaction markers in the topic).
 */
export const transactional = (job: SyncJob): boolean =>
  job.spec.target.delivery !== 'atLeastOnce' &&
  job.spec.target.version !== '0.10' &&
  job.spec.target.acks === 'all';

/** What a consumer of the job's topics must do, in one line (the precheck's target.delivery item). */
export const deliveryNote = (job: SyncJob): string =>
  transactional(job)
    ? 'exactly-once: records and offsets in Kafka transactions; consumers read with isolation.level=read_committed and skip transaction markers (clients that cannot, such as kafka-python 2.0.2, need target.delivery: atLeastOnce)'
    : 'at-least-once: no transactions and no transaction markers in the topic; after a crash the last batch may appear again (de-duplicate by record id)';
