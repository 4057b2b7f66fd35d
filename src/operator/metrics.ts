import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

// Every metric the operator exports, defined once. Names are part of the public contract (docs).
export interface OperatorMetrics {
  registry: Registry;
  /** result: success | requeue | conflict (a newer object; queued again) | error (retried) | terminal (not retried). */
  reconciles: Counter<'result'>;
  reconcileSeconds: Histogram;
  queueDepth: Gauge;
  leader: Gauge;
}

export function createOperatorMetrics(queueLength: () => number): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'syncjob_operator_process_' });
  const registers = [registry];
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
