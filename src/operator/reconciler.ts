// The reconcile shell around plan(): read the job, its worker pod, the precheck result and the
// worker's report; let plan decide; carry out the decision. Level-triggered: every run starts from
// what the API (or the operator's cache of it) says now, so a missed or repeated event changes
// nothing. It never waits: a deleted pod is looked at again later (requeue-after), and a precheck
// runs beside the reconciles and queues its job when it is done.
import type { V1Pod } from '@kubernetes/client-node';
import { effectiveServerId } from '../job-identity.ts';
import type { Logger } from '../log.ts';
import { decideServerIdUnique, type SiblingJob } from '../precheck/source-decisions.ts';
import type { PrecheckItem } from '../precheck/types.ts';
import type { SecretResolver } from '../worker/secrets.ts';
import { type Condition, ConditionType, findCondition, kubeTime } from './conditions.ts';
import type { OperatorApi, SyncJobObject } from './kube-api.ts';
import { type Desired, plan, type SyncJobStatus } from './plan.ts';
import {
  apiSecretResolver,
  precheckDue,
  precheckFingerprint,
  RECHECK_ANNOTATION,
  type StoredPrecheck,
  storedPrecheck,
} from './precheck-gate.ts';
import { sameStatus } from './status-equality.ts';
import type { ReconcileResult } from './work-queue.ts';
import { referencedSecrets, workerConfigMap, workerName } from './worker-pod.ts';
import type { ReportFetcher } from './worker-report-client.ts';

export const FINALIZER = 'syncjob.io/finalizer';

export interface ReconcilerOptions {
  api: OperatorApi;
  /** The worker image when spec.worker.image is absent: the operator's own. */
  image: string;
  /** A failed precheck runs again after this long even when nothing visible changed. */
  precheckRetryMs: number;
  runPrecheck(job: SyncJobObject, resolveSecret: SecretResolver): Promise<PrecheckItem[]>;
  fetchReport: ReportFetcher;
  /** Removes the job's stored offsets (spec.offsets.onDelete: delete). */
  deleteOffsets(job: SyncJobObject, resolveSecret: SecretResolver): Promise<void>;
  logger: Logger;
  now?: () => Date;
  /** Queues a job to be reconciled (a precheck of it finished). */
  requeue(key: string): void;
  /** Every SyncJob the operator sees (its cache): a job's server id must be its own on a source. */
  syncJobs?: () => readonly SyncJobObject[];
}

const sibling = (job: SyncJobObject): SiblingJob => ({
  namespace: job.metadata.namespace,
  name: job.metadata.name,
  created: new Date(job.metadata.creationTimestamp ?? 0).toISOString(),
  source: { host: job.spec.source.host, port: job.spec.source.port },
  serverId: effectiveServerId(job),
});

/** Prechecks running at the same time, over all jobs. */
const MAX_CONCURRENT_PRECHECKS = 8;
const itemText = (i: PrecheckItem) => `${i.name}\u0000${i.result}\u0000${i.message}`;
const TERMINATING_RECHECK_MS = 1_000;

export function createReconciler(opts: ReconcilerOptions): (key: string) => Promise<ReconcileResult> {
  const { api } = opts;
  const now = opts.now ?? (() => new Date());
  // The last result per job uid; status.precheck is the copy that survives a leader change.
  const prechecks = new Map<string, StoredPrecheck>();
  // Prechecks running now: job uid → the fingerprint they check.
  const running = new Map<string, string>();
  // Replacements decided and not yet created (the failed pod is still going): job uid → attempt.
  // The status says it too, but the cache may show the deletion before the status write.
  const replacing = new Map<string, number>();

  async function writeStatus(job: SyncJobObject, status: SyncJobStatus): Promise<SyncJobObject> {
    if (sameStatus(status, job.status)) return job;
    // The write moved the resourceVersion; later writes of this run need the new one.
    return api.replaceStatus(job, JSON.parse(JSON.stringify(status)) as Record<string, unknown>);
  }

  async function finalize(job: SyncJobObject, log: Logger): Promise<ReconcileResult> {
    const finalizers = job.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return undefined;
    const { namespace, name } = job.metadata;
    const podName = workerName(name);
    const pod = await api.getPod(namespace, podName);
    if (pod !== null) {
      // Gone once the pod's delete event comes (it queues the job), or at the next look.
      if (!pod.metadata?.deletionTimestamp) await api.deletePod(namespace, podName);
      return { requeueAfterMs: TERMINATING_RECHECK_MS };
    }
    await api.deleteConfigMap(namespace, podName);
    if (job.spec.offsets.onDelete === 'delete') {
      await opts.deleteOffsets(job, apiSecretResolver(api, namespace));
      log.info({ topic: job.spec.offsets.topic }, 'Deleted the stored offsets (offsets.onDelete: delete)');
    } else {
      log.info({ topic: job.spec.offsets.topic }, 'Kept the stored offsets (offsets.onDelete: keep)');
    }
    await api.setFinalizers(
      job,
      finalizers.filter((f) => f !== FINALIZER),
    );
    prechecks.delete(job.metadata.uid);
    replacing.delete(job.metadata.uid);
    log.info({ pod: podName }, 'Removed the finalizer: the worker is gone');
    return undefined;
  }

  /**
   * The precheck result that holds for the job now, or null while one runs for new inputs (plan
   * shows Prechecking). A due precheck is started in the background, once per fingerprint; a timed
   * retry of the same inputs keeps showing the failure it is retrying.
   */
  async function currentPrecheck(job: SyncJobObject, log: Logger): Promise<StoredPrecheck | null> {
    const { namespace, uid, generation } = job.metadata;
    const versions: Record<string, string> = {};
    for (const name of referencedSecrets(job.spec).keys())
      versions[name] = (await api.getSecret(namespace, name))?.metadata?.resourceVersion ?? 'absent';
    const fingerprint = precheckFingerprint(
      job.spec,
      versions,
      job.metadata.annotations?.[RECHECK_ANNOTATION],
    );
    const previous = prechecks.get(uid) ?? storedPrecheck(job.status);
    const shown = previous?.fingerprint === fingerprint ? { ...previous, forGeneration: generation } : null;
    if (!precheckDue(previous, fingerprint, now(), opts.precheckRetryMs)) return shown;
    // A bounded number at once (each opens connections to a source and the brokers); the others
    // start at a later look (plan polls a job that waits for its precheck).
    if (running.get(uid) !== fingerprint && running.size < MAX_CONCURRENT_PRECHECKS) {
      running.set(uid, fingerprint);
      void runPrecheck(job, fingerprint, previous, log).finally(() => {
        if (running.get(uid) === fingerprint) running.delete(uid);
        opts.requeue(`${namespace}/${job.metadata.name}`);
      });
    }
    return shown;
  }

  async function runPrecheck(
    job: SyncJobObject,
    fingerprint: string,
    previous: StoredPrecheck | undefined,
    log: Logger,
  ): Promise<void> {
    const { namespace, uid, generation } = job.metadata;
    let items: PrecheckItem[];
    try {
      items = [
        ...(await opts.runPrecheck(job, apiSecretResolver(api, namespace))),
        decideServerIdUnique(sibling(job), (opts.syncJobs?.() ?? []).map(sibling)),
      ];
    } catch (err) {
      // The items catch what they check; this is the operator's own failure: the next reconcile
      // starts the precheck again.
      log.warn({ err }, 'The precheck could not run');
      return;
    }
    // Inputs changed while it ran: its result is for a spec no longer there.
    if (running.get(uid) !== fingerprint) return;
    prechecks.set(uid, { items, forGeneration: generation, fingerprint, checkedAt: kubeTime(now()) });
    const failed = items.filter((i) => i.result === 'Failed');
    log.info(
      {
        generation,
        failed: failed.map((i) => i.name),
        warnings: items.filter((i) => i.result === 'Warning').length,
      },
      failed.length === 0 ? 'Precheck passed' : 'Precheck failed',
    );
    // A retry that finds the same items says nothing new: no second set of Events.
    const said = new Set(previous?.fingerprint === fingerprint ? previous.items.map(itemText) : []);
    for (const item of items) {
      if (item.result === 'Passed' || said.has(itemText(item))) continue;
      const reason = item.result === 'Failed' ? 'PrecheckFailed' : 'PrecheckWarning';
      await api.recordEvent(job, 'Warning', reason, `${item.name}: ${item.message}. Fix: ${item.fix ?? ''}`);
    }
    if (failed.length === 0)
      await api.recordEvent(job, 'Normal', 'PrecheckPassed', 'All precheck items passed');
  }

  /** Deletes and creates the worker as `desired` says; returns whether a replacement is still waiting. */
  async function carryOut(job: SyncJobObject, pod: V1Pod | null, desired: Desired, log: Logger) {
    const { namespace } = job.metadata;
    const podName = workerName(job.metadata.name);
    if (desired.deletePod && pod !== null) {
      if (desired.pod !== null) replacing.set(job.metadata.uid, desired.status.worker?.attempts ?? 0);
      await api.deletePod(namespace, podName);
      log.info(
        { pod: podName, reason: findCondition(desired.status.conditions, ConditionType.Ready)?.reason },
        'Deleted the worker pod',
      );
    }
    // A replacement waits for the old pod to be gone (its delete event queues the job).
    if (desired.pod !== null && pod === null) {
      await api.applyConfigMap(workerConfigMap(job));
      await api.createPod(desired.pod);
      replacing.delete(job.metadata.uid);
      const attempt = desired.status.worker?.attempts ?? 0;
      log.info({ pod: podName, attempt }, 'Created the worker pod');
      await api.recordEvent(job, 'Normal', 'WorkerCreated', `Created Pod ${podName} (attempt ${attempt})`);
    }
    // True when the replacement waits for the old pod to finish its grace period.
    return pod !== null && desired.pod !== null && desired.deletePod;
  }

  return async function reconcile(key: string): Promise<ReconcileResult> {
    const [namespace = '', name = ''] = key.split('/');
    const log = opts.logger.child({ syncJob: key });
    let job = await api.getJob(namespace, name);
    if (job === null) return undefined;
    if (job.metadata.deletionTimestamp) return finalize(job, log);

    const pod = await api.getPod(namespace, workerName(name));
    // A worker on its way out (grace period) is waited for: two workers of a job never overlap.
    if (pod?.metadata?.deletionTimestamp) return { requeueAfterMs: TERMINATING_RECHECK_MS };

    const precheck = job.spec.state === 'paused' ? null : await currentPrecheck(job, log);
    const report = pod === null ? null : await opts.fetchReport(pod, job.spec.worker.metricsPort);
    const attempt = replacing.get(job.metadata.uid);
    const desired = plan(
      { job, pod, precheck, report, now: now(), ...(attempt === undefined ? {} : { replacing: attempt }) },
      { image: opts.image, precheckRetryMs: opts.precheckRetryMs },
    );
    // Only a job with something to clean up when deleted (a worker, offsets to delete) holds its
    // deletion up; added before its first worker is created. A paused job costs one write, not two.
    const finalizers = job.metadata.finalizers ?? [];
    const cleanup = pod !== null || desired.pod !== null || job.spec.offsets.onDelete === 'delete';
    if (cleanup && !finalizers.includes(FINALIZER))
      job = await api.setFinalizers(job, [...finalizers, FINALIZER]);
    const waiting = await carryOut(job, pod, desired, log);

    const stalledBefore = findCondition((job.status?.conditions ?? []) as Condition[], ConditionType.Stalled);
    const stalled = findCondition(desired.status.conditions, ConditionType.Stalled);
    await writeStatus(job, desired.status);
    if (stalled?.status === 'True' && stalledBefore?.status !== 'True') {
      log.warn({ reason: stalled.reason }, `The job stalled: ${stalled.message}`);
      await api.recordEvent(job, 'Warning', stalled.reason, stalled.message);
    }
    if (waiting) return { requeueAfterMs: TERMINATING_RECHECK_MS };
    return desired.requeueAfterMs === undefined ? undefined : { requeueAfterMs: desired.requeueAfterMs };
  };
}
