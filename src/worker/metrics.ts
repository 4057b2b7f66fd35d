import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type Problem, SIDES } from './health.ts';

// Every metric the worker exports, defined once. Names are part of the public contract (docs).
export interface WorkerMetrics {
  registry: Registry;
  events: Counter<'operation'>;
  bytes: Counter;
  transactions: Counter;
  lagSeconds: Gauge;
  unavailable: Gauge<'side'>;
  queueDepth: Gauge;
  queueBytes: Gauge;
  readerPaused: Gauge;
  readerPauses: Counter;
  sendDuration: Histogram;
  kafkaClientErrors: Counter<'error'>;
  streamRestarts: Counter;
  commitToAckSeconds: Histogram;
  initRows: Counter;
  initTablesDone: Gauge;
  initTablesTotal: Gauge;
}

/** What the gauges read at each scrape, so they move while nothing else does. */
export interface LiveState {
  /** The job's lag (lag.ts). */
  lagSeconds(): number | null;
  /** What keeps the job from moving now (health.ts). */
  problems(): readonly Pick<Problem, 'side'>[];
}

export function createWorkerMetrics(labels: { job: string }, live: LiveState): WorkerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: 'syncjob_worker_process_' });
  const registers = [registry];
  return {
    registry,
    events: new Counter({
      name: 'syncjob_events_total',
      help: 'Row change records written to Kafka, by operation',
      labelNames: ['operation'],
      registers,
    }),
    bytes: new Counter({
      name: 'syncjob_bytes_total',
      help: 'Bytes of encoded records written to Kafka',
      registers,
    }),
    transactions: new Counter({
      name: 'syncjob_transactions_total',
      help: 'Source transactions fully written to Kafka',
      registers,
    }),
    lagSeconds: new Gauge({
      name: 'syncjob_lag_seconds',
      help: 'Now minus the source commit time of the newest change the topic holds (heartbeats advance it while the source is idle and the job caught up)',
      registers,
      collect() {
        const seconds = live.lagSeconds();
        if (seconds !== null) this.set(seconds);
      },
    }),
    unavailable: new Gauge({
      name: 'syncjob_unavailable',
      help: '1 while a side (source, kafka) fails or stalls and the worker retries; the reason is in /report',
      labelNames: ['side'],
      registers,
      collect() {
        const failing = new Set(live.problems().map((p) => p.side));
        for (const side of SIDES) this.set({ side }, failing.has(side) ? 1 : 0);
      },
    }),
    queueDepth: new Gauge({
      name: 'syncjob_queue_records',
      help: 'Records waiting between reader and sink',
      registers,
    }),
    queueBytes: new Gauge({
      name: 'syncjob_queue_bytes',
      help: 'Bytes waiting between reader and sink',
      registers,
    }),
    readerPaused: new Gauge({
      name: 'syncjob_reader_paused',
      help: '1 while the binlog read is paused by back-pressure',
      registers,
    }),
    readerPauses: new Counter({
      name: 'syncjob_reader_pauses_total',
      help: 'Times back-pressure paused the binlog read',
      registers,
    }),
    sendDuration: new Histogram({
      name: 'syncjob_sink_send_seconds',
      help: 'Duration of one acknowledged batch send to Kafka',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    kafkaClientErrors: new Counter({
      name: 'syncjob_kafka_client_errors_total',
      help: 'Failures the Kafka client met and retried on its own, by Kafka error name (CONCURRENT_TRANSACTIONS, CONNECTION, ...)',
      labelNames: ['error'],
      registers,
    }),
    streamRestarts: new Counter({
      name: 'syncjob_stream_restarts_total',
      help: 'Times the stream failed with a retriable error and started over from the stored offset',
      registers,
    }),
    initRows: new Counter({
      name: 'syncjob_init_rows_total',
      help: 'Rows read by initialization (before dropping the ones the stream already carried)',
      registers,
    }),
    initTablesDone: new Gauge({
      name: 'syncjob_init_tables_done',
      help: 'Tables whose initialization is complete',
      registers,
    }),
    initTablesTotal: new Gauge({
      name: 'syncjob_init_tables_total',
      help: 'Tables to initialize',
      registers,
    }),
    commitToAckSeconds: new Histogram({
      name: 'syncjob_commit_to_ack_seconds',
      help: 'From the source commit time to Kafka acknowledgment of the transaction (1 s resolution of the binlog timestamp)',
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
  };
}
