// The reconciler's decision, as one pure function: what was observed (the job, its worker pod, the
// precheck result, the worker's report, the time) → what should exist and the whole status. The
// shell around it does the I/O: it deletes the pod when `deletePod`, then creates `pod` when no pod
// of that name exists, writes the status when it differs, and requeues after `requeueAfterMs`.
import type { V1Pod } from '@kubernetes/client-node';
import type { SyncJobSpec } from '../api/v1alpha1/syncjob-spec.ts';
import type { SyncJobStatus } from '../api/v1alpha1/syncjob-status.ts';
import { isTerminalReason, TERMINAL_REASONS as TERMINAL_REGISTRY } from '../reasons.ts';
import { parseTerminationMessage, terminationLine } from '../termination-message.ts';
import { backoffDelay } from '../worker/backoff.ts';
import type { Problem } from '../worker/health.ts';
import type { WorkerReportSnapshot } from '../worker/report.ts';
import {
  type Condition,
  type ConditionStatus,
  ConditionType,
  findCondition,
  phaseOf,
  Reason,
  setCondition,
} from './conditions.ts';
import {
  ATTEMPT_ANNOTATION,
  CONFIG_HASH_ANNOTATION,
  configHash,
  RETRY_ANNOTATION,
  type WorkerJob,
  type WorkerPodOptions,
  workerName,
  workerPod,
} from './worker-pod.ts';

export interface PrecheckItem {
  name: string;
  result: 'Passed' | 'Failed' | 'Warning';
  message: string;
  /** The fix in plain words, for Failed and Warning. */
  fix?: string;
}

export interface PrecheckResult {
  items: PrecheckItem[];
  /** The spec generation the precheck ran against. */
  forGeneration: number;
}

export interface ObservedJob extends WorkerJob {
  metadata: WorkerJob['metadata'] & {
    generation: number;
    deletionTimestamp?: string | Date;
    annotations?: Record<string, string>;
  };
  spec: SyncJobSpec;
  /**
   * Read to keep lastTransitionTime of unchanged conditions, and for the attempt of a replacement
   * worker when Observed.replacing is not known (see there).
   */
  status?: { conditions?: Condition[]; worker?: { attempts?: number } };
}

export interface Observed {
  job: ObservedJob;
  pod: V1Pod | null;
  precheck: PrecheckResult | null;
  report: WorkerReportSnapshot | null;
  now: Date;
  /**
   * The attempt of the replacement the operator decided when it deleted a failed worker (it is
   * created once that pod is gone, a reconcile later); the stored status.worker.attempts when the
   * operator that decided it is no longer the leader.
   */
  replacing?: number;
}

/** What the operator writes as status: the CRD's status schema (src/api/v1alpha1/syncjob-status.ts). */
export type { SyncJobStatus };

export interface Desired {
  /** The pod that must exist (created when absent); null: none may be created. */
  pod: V1Pod | null;
  /** Delete the observed pod (spec changed, paused, precheck failed, failed pod to replace). */
  deletePod: boolean;
  status: SyncJobStatus;
  requeueAfterMs?: number;
}

export type PlanOptions = Pick<WorkerPodOptions, 'image' | 'serviceAccountName'> & {
  /** When a failed precheck is looked at again. Default PRECHECK_RETRY_MS. */
  precheckRetryMs?: number;
};

/** While a precheck for this generation is awaited. */
export const PRECHECK_POLL_MS = 2_000;
/** A failed precheck is retried slowly: the fix usually needs a person. */
export const PRECHECK_RETRY_MS = 5 * 60_000;
/** Status summary refresh while a worker runs (seconds, not per event). */
export const STATUS_POLL_MS = 10_000;
export const RESTART_BASE_MS = 10_000;
export const RESTART_MAX_MS = 5 * 60_000;

/** Delay before replacing a worker that failed `attempt` times; deterministic (no jitter). */
export const restartDelayMs = (attempt: number): number =>
  backoffDelay(attempt, RESTART_BASE_MS, RESTART_MAX_MS, () => 1);

export const podConfigHash = (pod: V1Pod): string | undefined =>
  pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];

export function podAttempt(pod: V1Pod): number {
  const n = Number(pod.metadata?.annotations?.[ATTEMPT_ANNOTATION]);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

const workerTerminated = (pod: V1Pod) =>
  pod.status?.containerStatuses?.find((c) => c.name === 'worker')?.state?.terminated;

const podExited = (pod: V1Pod) => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';

/**
 * The terminal reason the worker stopped with, and one readable line with the fix: from its
 * report while it runs, or, once the process is gone, from the termination message it left.
 */
export function terminalFailure(
  report: WorkerReportSnapshot | null,
  pod: V1Pod | null,
): { reason: string; message: string } | undefined {
  const reported = report?.conditions.find((c) => isTerminalReason(c.reason));
  if (reported && isTerminalReason(reported.reason))
    return {
      reason: reported.reason,
      message: terminationLine({
        message: reported.message,
        fix: reported.fix ?? TERMINAL_REGISTRY[reported.reason].fix,
      }),
    };
  const left = parseTerminationMessage(pod ? workerTerminated(pod)?.message : undefined);
  return left ? { reason: left.reason, message: terminationLine(left) } : undefined;
}

/** Heap exhausted (Node aborts: exit 134) or killed at the memory limit: how it is told. */
function outOfMemory(pod: V1Pod): string | undefined {
  const t = workerTerminated(pod);
  if (t?.reason === 'OOMKilled') return 'OOMKilled at the memory limit';
  if (t?.exitCode === 134) return 'the JavaScript heap was exhausted, exit 134';
  return undefined;
}

function terminatedAt(pod: V1Pod, which: 'startedAt' | 'finishedAt'): number | undefined {
  const at = workerTerminated(pod)?.[which];
  if (at === undefined) return undefined;
  const ms = new Date(at).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/** A worker that ran this long before it stopped counts as healthy: the backoff starts over. */
export const STABLE_RUN_MS = 10 * 60_000;

export function plan(observed: Observed, opts: PlanOptions): Desired {
  const { job, pod, precheck, report, now } = observed;
  const generation = job.metadata.generation;
  let conditions = job.status?.conditions ?? [];
  const set = (type: string, status: ConditionStatus, reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status, reason, message }, now, generation);
  };
  const notStalled = () => set(ConditionType.Stalled, 'False', Reason.NoTerminalError, '');
  const finish = (d: Omit<Desired, 'status'>, extra: Partial<SyncJobStatus> = {}): Desired => {
    for (const type of [ConditionType.Initialized, ConditionType.Streaming, ConditionType.Stalled]) {
      if (!findCondition(conditions, type)) set(type, 'Unknown', Reason.Pending, '');
    }
    const status: SyncJobStatus = {
      phase: phaseOf(conditions, job.spec),
      conditions,
      observedGeneration: generation,
      precheck,
      ...progress(report),
      ...extra,
    };
    return { ...d, status };
  };

  if (job.metadata.deletionTimestamp !== undefined) {
    set(ConditionType.Ready, 'False', Reason.Deleting, 'The SyncJob is being deleted');
    set(ConditionType.Streaming, 'False', Reason.Deleting, '');
    return finish({ pod: null, deletePod: pod !== null });
  }

  if (job.spec.state === 'paused') {
    // Offsets stay in Kafka; running resumes from them.
    set(ConditionType.Ready, 'False', Reason.Paused, 'spec.state is paused; the worker is stopped');
    set(ConditionType.Streaming, 'False', Reason.Paused, 'spec.state is paused');
    notStalled();
    return finish({ pod: null, deletePod: pod !== null });
  }

  if (precheck === null || precheck.forGeneration !== generation) {
    // A worker of the previous spec keeps running until the new spec passes its precheck.
    set(
      ConditionType.PrecheckSucceeded,
      'Unknown',
      Reason.Prechecking,
      `Precheck of generation ${generation}`,
    );
    set(ConditionType.Ready, 'False', Reason.Prechecking, 'Waiting for the precheck');
    notStalled();
    return finish({ pod: null, deletePod: false, requeueAfterMs: PRECHECK_POLL_MS }, workerOf(pod));
  }

  const failed = precheck.items.filter((i) => i.result === 'Failed');
  if (failed.length > 0) {
    // The job runs the spec it shows or nothing: a worker of an older spec is stopped too.
    const message = failed.map((i) => `${i.name}: ${i.message}${i.fix ? ` (fix: ${i.fix})` : ''}`).join('; ');
    set(ConditionType.PrecheckSucceeded, 'False', Reason.PrecheckFailed, message);
    set(ConditionType.Ready, 'False', Reason.PrecheckFailed, message);
    notStalled();
    return finish({
      pod: null,
      deletePod: pod !== null,
      requeueAfterMs: opts.precheckRetryMs ?? PRECHECK_RETRY_MS,
    });
  }
  const warnings = precheck.items.filter((i) => i.result === 'Warning').length;
  set(
    ConditionType.PrecheckSucceeded,
    'True',
    Reason.PrecheckPassed,
    warnings === 0 ? 'All checks passed' : `All checks passed, ${warnings} warning(s)`,
  );

  const podOptions = {
    image: opts.image,
    ...(opts.serviceAccountName === undefined ? {} : { serviceAccountName: opts.serviceAccountName }),
  };
  const hash = configHash(job, podOptions);
  const retry = job.metadata.annotations?.[RETRY_ANNOTATION];
  const build = (attempt: number) =>
    workerPod(job, { ...podOptions, attempt, ...(retry === undefined ? {} : { retry }) });
  const name = workerName(job.metadata.name);

  if (pod === null) {
    const replacing = observed.replacing ?? job.status?.worker?.attempts ?? 0;
    set(ConditionType.Ready, 'False', Reason.WorkerStarting, `Creating Pod ${name}`);
    if (findCondition(conditions, ConditionType.Initialized)?.status !== 'True')
      set(ConditionType.Initialized, 'False', Reason.WorkerStarting, 'Waiting for the worker');
    set(ConditionType.Streaming, 'False', Reason.WorkerStarting, 'Waiting for the worker');
    notStalled();
    return finish(
      { pod: build(replacing), deletePod: false, requeueAfterMs: STATUS_POLL_MS },
      { worker: { pod: name, attempts: replacing } },
    );
  }

  if (podConfigHash(pod) !== hash) {
    // A changed spec or image: replace the worker; the attempt count starts over.
    set(ConditionType.Ready, 'False', Reason.WorkerUpdating, `Replacing Pod ${name}: the spec changed`);
    set(ConditionType.Streaming, 'False', Reason.WorkerUpdating, 'The worker is being replaced');
    notStalled();
    return finish(
      { pod: build(0), deletePod: true, requeueAfterMs: PRECHECK_POLL_MS },
      { worker: { pod: name, attempts: 0 } },
    );
  }

  const attempt = podAttempt(pod);
  // A new retry annotation value: the stopped worker is replaced at once, as after a spec change.
  if (retry !== undefined && retry !== pod.metadata?.annotations?.[RETRY_ANNOTATION] && podExited(pod)) {
    set(ConditionType.Ready, 'False', Reason.WorkerRestarting, `Retrying: ${RETRY_ANNOTATION}=${retry}`);
    set(ConditionType.Streaming, 'False', Reason.WorkerRestarting, 'The worker is being replaced');
    notStalled();
    return finish(
      { pod: build(0), deletePod: true, requeueAfterMs: PRECHECK_POLL_MS },
      { worker: { pod: name, attempts: 0 } },
    );
  }
  const terminal = terminalFailure(report, pod);
  if (terminal) {
    // Retrying cannot help: the stopped pod stays for `kubectl logs`, nothing is re-created until
    // the spec changes (a new hash replaces it).
    set(ConditionType.Stalled, 'True', terminal.reason, terminal.message);
    set(ConditionType.Ready, 'False', terminal.reason, terminal.message);
    set(ConditionType.Streaming, 'False', terminal.reason, terminal.message);
    return finish({ pod: null, deletePod: false }, { worker: { pod: name, attempts: attempt } });
  }

  if (podExited(pod)) {
    const start = terminatedAt(pod, 'startedAt');
    const end = terminatedAt(pod, 'finishedAt');
    // Like a kubelet's CrashLoopBackOff: a long healthy run resets the count.
    const failures = start !== undefined && end !== undefined && end - start >= STABLE_RUN_MS ? 0 : attempt;
    const delay = restartDelayMs(failures);
    const waited = end === undefined ? delay : now.getTime() - end;
    const oom = outOfMemory(pod);
    const why = oom ?? workerTerminated(pod)?.reason ?? pod.status?.reason ?? pod.status?.phase ?? 'exited';
    // Out of memory is named with its fix: the same limit would fail the same way.
    const reason = oom ? Reason.WorkerOutOfMemory : Reason.WorkerRestarting;
    const fix = oom
      ? ` (fix: raise spec.worker.resources.limits.memory, now ${job.spec.worker.resources?.limits?.memory ?? 'unset'})`
      : '';
    set(ConditionType.Streaming, 'False', reason, `The worker stopped: ${why}`);
    notStalled();
    if (waited < delay) {
      set(
        ConditionType.Ready,
        'False',
        reason,
        `Pod ${name} stopped (${why}); replacing it in ${Math.ceil((delay - waited) / 1000)}s, attempt ${failures + 1}${fix}`,
      );
      return finish(
        { pod: null, deletePod: false, requeueAfterMs: delay - waited },
        { worker: { pod: name, attempts: failures } },
      );
    }
    set(
      ConditionType.Ready,
      'False',
      reason,
      `Replacing Pod ${name} (${why}), attempt ${failures + 1}${fix}`,
    );
    return finish(
      { pod: build(failures + 1), deletePod: true, requeueAfterMs: PRECHECK_POLL_MS },
      { worker: { pod: name, attempts: failures + 1 } },
    );
  }

  // The current worker runs (or starts).
  const running = pod.status?.phase === 'Running';
  if (report !== null) {
    const init = report.initialization;
    // No initialization in the report: none was needed this run, so streaming means initialized.
    const initialized = init === null ? report.streaming : init.done;
    if (initialized)
      set(ConditionType.Initialized, 'True', Reason.InitializationComplete, 'Initial load complete');
    else if (init !== null)
      set(
        ConditionType.Initialized,
        'False',
        Reason.Initializing,
        `${init.tablesDone}/${init.tablesTotal} tables, ${init.rows} rows${copyingNow(init)}`,
      );
    else set(ConditionType.Initialized, 'False', Reason.Initializing, 'Waiting for the stream to start');
  } else if (findCondition(conditions, ConditionType.Initialized)?.status !== 'True') {
    set(ConditionType.Initialized, 'False', Reason.WorkerStarting, 'Waiting for the worker report');
  }
  // A side that fails or stalls while the worker retries: named in Ready and Streaming.
  const problem = running ? report?.problems[0] : undefined;
  const streaming = running && report?.streaming === true && problem === undefined;
  if (streaming) set(ConditionType.Streaming, 'True', Reason.StreamRunning, 'Reading the binlog');
  else if (problem) set(ConditionType.Streaming, 'False', problem.reason, problemLine(problem));
  else
    set(
      ConditionType.Streaming,
      'False',
      running ? Reason.StreamNotRunning : Reason.WorkerStarting,
      running ? 'The binlog stream is not running' : `Pod ${name} is ${pod.status?.phase ?? 'Pending'}`,
    );
  const initialized = findCondition(conditions, ConditionType.Initialized)?.status === 'True';
  if (streaming && initialized)
    set(ConditionType.Ready, 'True', Reason.Syncing, 'Streaming changes to Kafka');
  else if (!running) set(ConditionType.Ready, 'False', Reason.WorkerStarting, `Pod ${name} is starting`);
  else if (problem) set(ConditionType.Ready, 'False', problem.reason, problemLine(problem));
  else if (!initialized) set(ConditionType.Ready, 'False', Reason.Initializing, 'Initial load in progress');
  else set(ConditionType.Ready, 'False', Reason.StreamNotRunning, 'The binlog stream is not running');
  // Non-terminal worker conditions (e.g. TableWithoutUsableKey) are shown, not acted on.
  const notes = (report?.conditions ?? []).map((c) => `${c.reason}: ${c.message}`).join('; ');
  set(ConditionType.Stalled, 'False', Reason.NoTerminalError, notes);
  return finish(
    { pod: build(attempt), deletePod: false, requeueAfterMs: STATUS_POLL_MS },
    { worker: { pod: name, attempts: attempt } },
  );
}

const SIDE_NAMES: Record<Problem['side'], string> = { source: 'Source', kafka: 'Kafka' };

/** `Kafka: a write to Kafka was not acknowledged for 10s; … (since 2026-12-02T10:00:00Z)`. */
const problemLine = (p: Problem) => `${SIDE_NAMES[p.side]}: ${p.message} (since ${p.since})`;

/** ` (copying shop.orders: 1200 rows)`, or nothing between tables. */
const copyingNow = (init: NonNullable<WorkerReportSnapshot['initialization']>) =>
  init.tables?.length ? ` (copying ${init.tables.map((t) => `${t.table}: ${t.rows} rows`).join(', ')})` : '';

function progress(report: WorkerReportSnapshot | null): Partial<SyncJobStatus> {
  if (report === null) return {};
  const out: Partial<SyncJobStatus> = {};
  if (report.initialization) {
    const { tablesTotal, tablesDone, rows, done, tables } = report.initialization;
    out.snapshot = { tablesTotal, tablesDone, rows, done, ...(tables?.length ? { tables } : {}) };
  }
  if (report.position) {
    const { file, position, gtid } = report.position;
    out.position = { file, position, gtid };
  }
  if (report.lagSeconds !== null) out.lagSeconds = Math.round(report.lagSeconds);
  return out;
}

function workerOf(pod: V1Pod | null): Partial<SyncJobStatus> {
  const name = pod?.metadata?.name;
  return pod && name ? { worker: { pod: name, attempts: podAttempt(pod) } } : {};
}
