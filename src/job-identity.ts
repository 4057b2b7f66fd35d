// Who a job is to the systems it talks to: its key in Kafka (offsets, transactional id) and the
// replica server id its binlog connection registers with. Shared by the worker, the precheck and
// the operator.
import { createHash } from 'node:crypto';
import type { SyncJob } from './api/v1alpha1/syncjob-spec.ts';

/** The job's identity in Kafka: offsets key and transactional id. Namespace/name, so a re-created
 * SyncJob of the same name resumes (offsets.onDelete: keep) and fences any old worker. */
export function jobKey(job: SyncJob): string {
  return `${job.metadata.namespace ?? 'default'}/${job.metadata.name}`;
}

/** A replica server id of its own per job, stable across restarts, unlikely to clash with a real server. */
export function derivedServerId(job: SyncJob): number {
  return 0x40000000 + (createHash('sha256').update(jobKey(job)).digest().readUInt32BE(0) % 0x3fffffff);
}

/** The server id the job's binlog connection registers with: spec.source.serverId or the derived one. */
export const effectiveServerId = (job: SyncJob): number => job.spec.source.serverId ?? derivedServerId(job);
