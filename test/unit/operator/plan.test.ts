import type { V1Pod } from '@kubernetes/client-node';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { validateSyncJob } from '../../../src/api/v1alpha1/manifest.ts';
import { SyncJobStatusSchema } from '../../../src/api/v1alpha1/syncjob-status.ts';
import type { Condition } from '../../../src/operator/conditions.ts';
import {
  type Desired,
  type Observed,
  type ObservedJob,
  PRECHECK_RETRY_MS,
  plan,
  restartDelayMs,
} from '../../../src/operator/plan.ts';
import { workerPod } from '../../../src/operator/worker-pod.ts';
import type { WorkerReportSnapshot } from '../../../src/worker/report.ts';

const opts = { image: 'syncjob:1.0' };
const now = new Date('2026-01-01T00:10:00Z');

function job(spec: Record<string, unknown> = {}, generation = 2): ObservedJob {
  const j = validateSyncJob({
    apiVersion: 'syncjob.io/v1alpha1',
    kind: 'SyncJob',
    metadata: { name: 'orders', namespace: 'shop', uid: 'uid-1' },
    spec: {
      source: { type: 'mariadb', host: 'db', username: 'sync', passwordSecretRef: { name: 'db', key: 'pw' } },
      target: { brokers: ['kafka:9092'], topic: 'orders', version: '3.x' },
      objects: [{ database: 'shop' }],
      ...spec,
    },
  });
  return { metadata: { name: 'orders', namespace: 'shop', uid: 'uid-1', generation }, spec: j.spec };
}

const passed = { items: [{ name: 'binlog', result: 'Passed' as const, message: 'ok' }], forGeneration: 2 };

function pod(
  phase: string,
  o: {
    spec?: Record<string, unknown>;
    attempt?: number;
    terminated?: {
      startedAt?: string;
      finishedAt: string;
      message?: string;
      exitCode?: number;
      reason?: string;
    };
    retry?: string;
  } = {},
): V1Pod {
  const p = workerPod(job(o.spec), {
    ...opts,
    attempt: o.attempt ?? 0,
    ...(o.retry === undefined ? {} : { retry: o.retry }),
  });
  const state = o.terminated
    ? { terminated: { exitCode: 1, reason: 'Error', ...o.terminated } }
    : { running: {} };
  return {
    ...p,
    status: {
      phase,
      containerStatuses: [{ name: 'worker', image: '', imageID: '', ready: false, restartCount: 0, state }],
    },
  } as V1Pod;
}

const report = (r: Partial<WorkerReportSnapshot> = {}): WorkerReportSnapshot => ({
  streaming: true,
  initialization: { tablesTotal: 2, tablesDone: 2, rows: 10, done: true, tables: [] },
  position: { file: 'bin.000001', position: 400, gtid: '0-1-5', rowsDone: 0 },
  problems: [],
  lagSeconds: 0.4,
  conditions: [],
  ...r,
});

const observed = (o: Partial<Observed>): Observed => ({
  job: job(),
  pod: null,
  precheck: passed,
  report: null,
  now,
  ...o,
});

const terminatedOf = (p: V1Pod) => p.status!.containerStatuses![0]!.state!.terminated!;

const cond = (d: Desired, type: string) => d.status.conditions.find((c) => c.type === type);

interface Case {
  name: string;
  in: Partial<Observed>;
  phase: string;
  pod: 'none' | 'desired';
  deletePod: boolean;
  requeue?: number | 'some' | 'none';
  ready?: [string, string];
  stalled?: [string, string];
  attempts?: number;
}

const cases: Case[] = [
  {
    name: 'new job → Prechecking + requeue',
    in: { precheck: null },
    phase: 'Prechecking',
    pod: 'none',
    deletePod: false,
    requeue: 'some',
    ready: ['False', 'Prechecking'],
  },
  {
    name: 'precheck of an older generation → Prechecking, old worker kept',
    in: { precheck: { ...passed, forGeneration: 1 }, pod: pod('Running') },
    phase: 'Prechecking',
    pod: 'none',
    deletePod: false,
    requeue: 'some',
  },
  {
    name: 'precheck failed → PrecheckFailed, no pod, slow requeue',
    in: {
      precheck: {
        forGeneration: 2,
        items: [
          { name: 'binlogFormat', result: 'Failed', message: 'STATEMENT', fix: 'set binlog_format=ROW' },
        ],
      },
      pod: pod('Running'),
    },
    phase: 'PrecheckFailed',
    pod: 'none',
    deletePod: true,
    requeue: PRECHECK_RETRY_MS,
    ready: ['False', 'PrecheckFailed'],
  },
  {
    name: 'precheck passed → worker pod desired, Initializing',
    in: {},
    phase: 'Initializing',
    pod: 'desired',
    deletePod: false,
    requeue: 'some',
    ready: ['False', 'WorkerStarting'],
    attempts: 0,
  },
  {
    name: 'pod running, initializing',
    in: {
      pod: pod('Running'),
      report: report({
        initialization: {
          tablesTotal: 2,
          tablesDone: 1,
          rows: 5,
          done: false,
          tables: [{ table: 'd.t', rows: 5 }],
        },
      }),
    },
    phase: 'Initializing',
    pod: 'desired',
    deletePod: false,
    ready: ['False', 'Initializing'],
  },
  {
    name: 'pod running, initialized and streaming → Syncing, Ready',
    in: { pod: pod('Running'), report: report() },
    phase: 'Syncing',
    pod: 'desired',
    deletePod: false,
    requeue: 'some',
    ready: ['True', 'Syncing'],
    stalled: ['False', 'NoTerminalError'],
  },
  {
    name: 'no initialization this run + streaming → Syncing',
    in: { pod: pod('Running'), report: report({ initialization: null }) },
    phase: 'Syncing',
    pod: 'desired',
    deletePod: false,
    ready: ['True', 'Syncing'],
  },
  {
    name: 'paused → no pod, Paused',
    in: { job: job({ state: 'paused' }), pod: pod('Running') },
    phase: 'Paused',
    pod: 'none',
    deletePod: true,
    requeue: 'none',
    ready: ['False', 'Paused'],
  },
  {
    name: 'spec changed (hash differs) → deletePod, new pod',
    in: { pod: pod('Running', { spec: { conflictMode: 'ignore' }, attempt: 3 }), report: report() },
    phase: 'Initializing',
    pod: 'desired',
    deletePod: true,
    ready: ['False', 'WorkerUpdating'],
    attempts: 0,
  },
  {
    name: 'pod Failed, backoff not over → wait',
    in: { pod: pod('Failed', { attempt: 1, terminated: { finishedAt: '2026-01-01T00:09:50Z' } }) },
    phase: 'Initializing',
    pod: 'none',
    deletePod: false,
    requeue: restartDelayMs(1) - 10_000,
    ready: ['False', 'WorkerRestarting'],
    attempts: 1,
  },
  {
    name: 'pod Failed after a long healthy run → the backoff starts over',
    in: {
      pod: pod('Failed', {
        attempt: 4,
        terminated: { startedAt: '2025-12-31T23:50:00Z', finishedAt: '2026-01-01T00:09:55Z' },
      }),
    },
    phase: 'Initializing',
    pod: 'none',
    deletePod: false,
    requeue: restartDelayMs(0) - 5_000,
    ready: ['False', 'WorkerRestarting'],
    attempts: 0,
  },
  {
    name: 'pod Failed, backoff over → replaced, attempt + 1',
    in: { pod: pod('Failed', { attempt: 1, terminated: { finishedAt: '2026-01-01T00:00:00Z' } }) },
    phase: 'Initializing',
    pod: 'desired',
    deletePod: true,
    ready: ['False', 'WorkerRestarting'],
    attempts: 2,
  },
  {
    name: 'report BinlogPurged → Failed, Stalled, nothing re-created',
    in: {
      pod: pod('Running'),
      report: report({
        streaming: false,
        conditions: [{ reason: 'BinlogPurged', message: 'gone', since: '' }],
      }),
    },
    phase: 'Failed',
    pod: 'none',
    deletePod: false,
    requeue: 'none',
    ready: ['False', 'BinlogPurged'],
    stalled: ['True', 'BinlogPurged'],
  },
  {
    name: 'exited pod whose termination message names TableDropped → Failed, pod kept for logs',
    in: {
      pod: pod('Failed', {
        terminated: {
          finishedAt: '2026-01-01T00:00:00Z',
          message: '{"reason":"TableDropped","message":"shop.orders was dropped","fix":"remove it"}',
        },
      }),
    },
    phase: 'Failed',
    pod: 'none',
    deletePod: false,
    requeue: 'none',
    stalled: ['True', 'TableDropped'],
  },
  {
    name: 'exited pod whose log tail only mentions a terminal reason → replaced (log text is never read)',
    in: {
      pod: pod('Failed', {
        attempt: 1,
        terminated: { finishedAt: '2026-01-01T00:00:00Z', message: '{"level":50,"reason":"TableDropped"}' },
      }),
    },
    phase: 'Initializing',
    pod: 'desired',
    deletePod: true,
    stalled: ['False', 'NoTerminalError'],
  },
  {
    name: 'heap exhausted (exit 134) → WorkerOutOfMemory, replaced with backoff',
    in: {
      pod: pod('Failed', {
        attempt: 1,
        terminated: { finishedAt: '2026-01-01T00:09:55Z', exitCode: 134 },
      }),
    },
    phase: 'Initializing',
    pod: 'none',
    deletePod: false,
    ready: ['False', 'WorkerOutOfMemory'],
  },
  {
    name: 'non-terminal worker condition is shown, not acted on',
    in: {
      pod: pod('Running'),
      report: report({ conditions: [{ reason: 'TableWithoutUsableKey', message: 'shop.log', since: '' }] }),
    },
    phase: 'Syncing',
    pod: 'desired',
    deletePod: false,
    stalled: ['False', 'NoTerminalError'],
  },
  {
    name: 'being deleted → pod removed',
    in: {
      job: { ...job(), metadata: { ...job().metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } },
      pod: pod('Running'),
    },
    phase: 'Pending',
    pod: 'none',
    deletePod: true,
    requeue: 'none',
    ready: ['False', 'Deleting'],
  },
];

describe('plan', () => {
  it.each(cases)('$name', (c) => {
    const d = plan(observed(c.in), opts);
    expect(d.status.phase).toBe(c.phase);
    expect(d.pod === null ? 'none' : 'desired').toBe(c.pod);
    expect(d.deletePod).toBe(c.deletePod);
    if (c.requeue === 'none') expect(d.requeueAfterMs).toBeUndefined();
    else if (c.requeue === 'some') expect(d.requeueAfterMs).toBeGreaterThan(0);
    else if (c.requeue !== undefined) expect(d.requeueAfterMs).toBe(c.requeue);
    const ready = cond(d, 'Ready');
    if (c.ready) expect([ready?.status, ready?.reason]).toEqual(c.ready);
    const stalled = cond(d, 'Stalled');
    if (c.stalled) expect([stalled?.status, stalled?.reason]).toEqual(c.stalled);
    if (c.attempts !== undefined) expect(d.status.worker?.attempts).toBe(c.attempts);
    // Always the full, ordered list, judged at the current generation.
    expect(d.status.conditions.map((x) => x.type)).toEqual(
      expect.arrayContaining(['Ready', 'Initialized', 'Streaming', 'Stalled']),
    );
    expect(d.status.observedGeneration).toBe(2);
    expect(d.status.conditions.every((x) => x.observedGeneration === 2)).toBe(true);
    // What the API server will check against the CRD's status schema.
    const written = JSON.parse(JSON.stringify(d.status));
    expect([...Value.Errors(SyncJobStatusSchema, written)].map((e) => e.message)).toEqual([]);
  });

  it('the desired pod carries the attempt it replaces into', () => {
    const d = plan(
      observed({ pod: pod('Failed', { attempt: 1, terminated: { finishedAt: '2026-01-01T00:00:00Z' } }) }),
      opts,
    );
    expect(d.pod?.metadata?.annotations?.['syncjob.io/attempt']).toBe('2');
    const running = pod('Running', { attempt: 2 });
    expect(plan(observed({ pod: running, report: report() }), opts).pod?.metadata).toEqual(running.metadata);
  });

  it('creates the replacement, once the failed pod is gone, with the attempt recorded when it was deleted', () => {
    const deleted = plan(
      observed({ pod: pod('Failed', { attempt: 1, terminated: { finishedAt: '2026-01-01T00:00:00Z' } }) }),
      opts,
    );
    expect([deleted.deletePod, deleted.status.worker?.attempts]).toEqual([true, 2]);
    const gone = plan(observed({ job: { ...job(), status: deleted.status }, pod: null }), opts);
    expect(gone.pod?.metadata?.annotations?.['syncjob.io/attempt']).toBe('2');
    expect(gone.status.worker?.attempts).toBe(2);
    // A new job starts at 0.
    expect(plan(observed({ pod: null }), opts).pod?.metadata?.annotations?.['syncjob.io/attempt']).toBe('0');
  });

  it('looks at a failed precheck again after the configured interval', () => {
    const precheck = {
      forGeneration: 2,
      items: [{ name: 'binlogFormat', result: 'Failed' as const, message: 'STATEMENT', fix: 'set ROW' }],
    };
    expect(plan(observed({ precheck }), { ...opts, precheckRetryMs: 3_000 }).requeueAfterMs).toBe(3_000);
  });

  it('exposes progress and position from the report, throttled to what a person reads', () => {
    const d = plan(observed({ pod: pod('Running'), report: report() }), opts);
    expect(d.status.snapshot).toEqual({ tablesTotal: 2, tablesDone: 2, rows: 10, done: true });
    expect(d.status.position).toEqual({ file: 'bin.000001', position: 400, gtid: '0-1-5' });
    expect(d.status.lagSeconds).toBe(0);
    expect(d.status.worker).toEqual({ pod: 'orders-worker', attempts: 0 });
    expect(d.status.precheck).toEqual(passed);
  });

  it('says out of memory with the fix when the worker was OOM-killed', () => {
    const oom = pod('Failed', {
      attempt: 2,
      terminated: { finishedAt: '2026-01-01T00:09:55Z', exitCode: 137, reason: 'OOMKilled' },
    });
    const message = cond(plan(observed({ pod: oom }), opts), 'Ready')?.message;
    expect(message).toMatch(
      /^Pod orders-worker stopped \(OOMKilled at the memory limit\); replacing it in \d+s/,
    );
    expect(message).toMatch(/\(fix: raise spec.worker.resources.limits.memory, now unset\)$/);
  });

  it('shows a terminal reason as one line with the fix, and retries once per new retry annotation value', () => {
    const failed = pod('Failed', {
      terminated: {
        finishedAt: '2026-01-01T00:00:00Z',
        message:
          '{"reason":"RecordTooLarge","message":"a record of 2000000 bytes is larger than topic t allows","fix":"kafka-configs.sh --alter ..."}',
      },
    });
    const stalled = plan(observed({ pod: failed }), opts);
    expect(cond(stalled, 'Stalled')?.message).toBe(
      'a record of 2000000 bytes is larger than topic t allows (fix: kafka-configs.sh --alter ...)',
    );
    const annotated = (retry: string) => ({
      ...job(),
      metadata: { ...job().metadata, annotations: { 'syncjob.io/retry': retry } },
    });
    const retried = plan(observed({ job: annotated('1'), pod: failed }), opts);
    expect(retried.deletePod).toBe(true);
    expect(retried.pod?.metadata?.annotations?.['syncjob.io/retry']).toBe('1');
    expect(cond(retried, 'Ready')).toMatchObject({
      reason: 'WorkerRestarting',
      message: 'Retrying: syncjob.io/retry=1',
    });
    // The replacement failed the same way: the same value does not retry again.
    const again = pod('Failed', {
      retry: '1',
      terminated: { finishedAt: '2026-01-01T00:05:00Z', message: String(terminatedOf(failed).message) },
    });
    expect(plan(observed({ job: annotated('1'), pod: again }), opts).status.phase).toBe('Failed');
  });

  it('names the side that fails or stalls in Ready and Streaming while the worker retries', () => {
    const problems = [
      {
        side: 'kafka' as const,
        reason: 'KafkaUnavailable',
        message: 'a write to Kafka was not acknowledged for 10s',
        since: '2026-12-02T10:00:00.000Z',
      },
    ];
    const d = plan(observed({ pod: pod('Running'), report: report({ problems }) }), opts);
    const line = 'Kafka: a write to Kafka was not acknowledged for 10s (since 2026-12-02T10:00:00.000Z)';
    expect(cond(d, 'Ready')).toMatchObject({ status: 'False', reason: 'KafkaUnavailable', message: line });
    expect(cond(d, 'Streaming')).toMatchObject({
      status: 'False',
      reason: 'KafkaUnavailable',
      message: line,
    });
    expect(d.status.phase).toBe('Syncing');
  });

  it('shows the tables being copied in status.snapshot and the Initialized message', () => {
    const copying = {
      tablesTotal: 1,
      tablesDone: 0,
      rows: 1200,
      done: false,
      tables: [{ table: 'shop.added', rows: 1200 }],
    };
    const d = plan(observed({ pod: pod('Running'), report: report({ initialization: copying }) }), opts);
    expect(d.status.snapshot).toEqual(copying);
    expect(d.status.conditions?.find((c) => c.type === 'Initialized')?.message).toBe(
      '0/1 tables, 1200 rows (copying shop.added: 1200 rows)',
    );
  });

  it('keeps lastTransitionTime when the status holds and is deterministic', () => {
    const prev: Condition[] = [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Syncing',
        message: 'old',
        lastTransitionTime: '2025-12-31T00:00:00Z',
        observedGeneration: 1,
      },
    ];
    const o = observed({
      job: { ...job(), status: { conditions: prev } },
      pod: pod('Running'),
      report: report(),
    });
    const d = plan(o, opts);
    expect(cond(d, 'Ready')?.lastTransitionTime).toBe('2025-12-31T00:00:00Z');
    expect(cond(d, 'Streaming')?.lastTransitionTime).toBe('2026-01-01T00:10:00Z');
    expect(plan(o, opts)).toEqual(d);
  });
});
