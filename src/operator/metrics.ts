import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { SyncJobObject } from './kube-api.ts';

// Every metric the operator exports, defined once. Names are part of the public contract (docs).
export interface OperatorMetrics {
  registry: Registry;
  /** result: success | requeue | conflict (a newer object; queued again) | error (retried) | terminal (not retried). */
  reconciles: Counter<'result'>;
  reconcileSeconds: Histogram;
  queueDepth: Gauge;
  leader: Gauge;
}

/** Per-job series, read from the leader's cache at each scrape (what alerts and dashboards need). */
interface JobSeries {
  phase: Gauge<'namespace' | 'syncjob' | 'phase'>;
  ready: Gauge<'namespace' | 'syncjob'>;
  lag: Gauge<'namespace' | 'syncjob'>;
  attempts: Gauge<'namespace' | 'syncjob'>;
}

/**
 * `jobs` is the leader's view of the SyncJobs (empty on a standby, so only the leader reports
 * them): each job's phase, Ready, lag and worker attempts as its status says.
 */
export function createOperatorMetrics(
  queueLength: () => number,
  jobs: () => readonly SyncJobObject[] = () => [],
): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'syncjob_operator_process_' });
  const registers = [registry];
  // One collect for all four (the first one scraped), so a scrape sees one view of the cache.
  function refresh() {
    for (const gauge of Object.values(series)) gauge.reset();
    for (const job of jobs()) {
      const labels = { namespace: job.metadata.namespace, syncjob: job.metadata.name };
      const status = (job.status ?? {}) as {
        phase?: string;
        lagSeconds?: number;
        worker?: { attempts?: number };
        conditions?: { type: string; status: string }[];
      };
      if (status.phase === undefined) continue;
      series.phase.set({ ...labels, phase: status.phase }, 1);
      series.ready.set(
        labels,
        status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 1 : 0,
      );
      if (status.lagSeconds !== undefined) series.lag.set(labels, status.lagSeconds);
      series.attempts.set(labels, status.worker?.attempts ?? 0);
    }
  }
  const series: JobSeries = {
    phase: new Gauge({
      name: 'syncjob_operator_job_phase',
      help: "1 for each SyncJob's current status.phase",
      labelNames: ['namespace', 'syncjob', 'phase'],
      registers,
      collect: refresh,
    }),
    ready: new Gauge({
      name: 'syncjob_operator_job_ready',
      help: 'Whether the SyncJob is Ready (1) or not (0)',
      labelNames: ['namespace', 'syncjob'],
      registers,
    }),
    lag: new Gauge({
      name: 'syncjob_operator_job_lag_seconds',
      help: 'status.lagSeconds of the SyncJob: how far its topic is behind the source',
      labelNames: ['namespace', 'syncjob'],
      registers,
    }),
    attempts: new Gauge({
      name: 'syncjob_operator_job_worker_attempts',
      help: 'Times the operator replaced a failed worker of the SyncJob since a healthy run',
      labelNames: ['namespace', 'syncjob'],
      registers,
    }),
  };
  return {
    registry,
    reconciles: new Counter({
      name: 'syncjob_operator_reconcile_total',
      help: 'Reconciles of SyncJobs, by result',
      labelNames: ['result'],
      registers,
    }),
    reconcileSeconds: new Histogram({
      name: 'syncjob_operator_reconcile_duration_seconds',
      help: 'Time one reconcile took (prechecks run apart and are not in it)',
      // Fine where reconciles are (milliseconds: cache reads, one status write), so a p99 reads.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'syncjob_operator_queue_depth',
      help: 'SyncJob keys waiting in the work queue',
      registers,
      collect() {
        this.set(queueLength());
      },
    }),
    leader: new Gauge({
      name: 'syncjob_operator_leader',
      help: '1 while this replica holds the leader Lease',
      registers,
    }),
  };
}
