import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Kafka, logLevel } from '../../../src/kafka/kafkajs.ts';
import { secretEnvName } from '../../../src/worker/secrets.ts';
import { eventually, startCli } from '../../support/cli-process.ts';
import { createTopic, deleteTopics, rootConnection, SYNC_SECRET, testJob } from '../../support/sync-job.ts';
import { inTestenvShell, testEnv, uniqueName } from '../../support/testenv.ts';

const env = testEnv();
const ROWS = 1_000_000;
// Flat means the transaction's size does not matter: the worker runs with its heap capped as a pod
// would be (the live heap after a collection is ~70 MiB), so keeping anything per row of a
// million-row transaction would exhaust it and end the process. RSS is reported; the ceiling only
// catches runaway native memory.
const HEAP_CAP_MIB = 192;
const RSS_CEILING_MIB = 768;
// The sink outpaces the binlog reader on this machine, so the queue would never fill: a broker
// quota on the worker's client id (its producer and readers) makes Kafka the slower side, as a busy
// cluster is, so the bound on the queue is what keeps memory flat.
const PRODUCER_BYTES_PER_SECOND = 16 * 1024 * 1024;
const CLIENT_ID = 'syncjob-big-transaction';
const quota = (change: string) =>
  inTestenvShell(
    `kafka-configs --bootstrap-server "$KAFKA_BROKERS" --alter --entity-type clients --entity-name ${CLIENT_ID} ${change}`,
  );

describe('a one-million-row transaction', () => {
  let db: mysql.Connection;
  const database = uniqueName('big').replace('-', '_');

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(
      `CREATE TABLE ${database}.events (id INT PRIMARY KEY, payload VARCHAR(64), amount DECIMAL(12,2))`,
    );
  });

  afterAll(async () => {
    await db.query(`DROP DATABASE IF EXISTS ${database}`);
    await db.end();
  });

  it('streams through `syncjob run` with flat memory', { timeout: 300_000 }, async () => {
    const topic = uniqueName('big');
    await createTopic(env, topic, 1);
    const dir = mkdtempSync(path.join(tmpdir(), 'syncjob-big-'));
    const file = path.join(dir, 'job.yaml');
    const metricsPort = 19400 + Math.floor(Math.random() * 500);
    // The job as a user would write it, through the same manifest the tests build in process.
    const job = testJob(env, 'big-transaction', {
      topic,
      objects: [{ database, tables: [{ name: 'events' }] }],
      worker: { metricsPort },
    });
    writeFileSync(file, stringify(job));
    await quota(`--add-config producer_byte_rate=${PRODUCER_BYTES_PER_SECOND}`);
    const cli = startCli(['run', '-f', file], {
      [secretEnvName(SYNC_SECRET)]: env.mysql.syncPassword,
      SYNCJOB_LOG_LEVEL: 'info',
      NODE_OPTIONS: `--max-old-space-size=${HEAP_CAP_MIB}`,
    });
    try {
      await eventually(
        async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => null))?.status === 200,
        'the worker to stream',
      );
      const baseline = cli.peakRssMiB();
      const started = performance.now();
      await db.query(
        `INSERT INTO ${database}.events SELECT seq, CONCAT('payload-', seq, '-', REPEAT('x', 32)), seq / 100 FROM ${database}.seq_1_to_${ROWS}`,
      );
      const admin = new Kafka({
        clientId: 'big-check',
        brokers: env.kafka.brokers,
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      let rssAtQuarter = 0;
      try {
        await eventually(
          async () => {
            const written = Number((await admin.fetchTopicOffsets(topic))[0]!.high);
            if (rssAtQuarter === 0 && written >= ROWS / 4) rssAtQuarter = cli.peakRssMiB();
            return written >= ROWS;
          },
          `${ROWS} records on ${topic}`,
          240_000,
        );
      } finally {
        await admin.disconnect();
      }
      const seconds = (performance.now() - started) / 1000;
      // The last batch is on the topic (the high watermark counts it) a moment before its
      // transaction commits and the worker counts it as acknowledged.
      const inserted = new RegExp(
        `syncjob_events_total\\{operation="INSERT",job="big-transaction"\\} ${ROWS}\\b`,
      );
      let metrics = '';
      await eventually(async () => {
        metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return inserted.test(metrics);
      }, `the worker to count ${ROWS} acknowledged INSERTs`);
      const peak = cli.peakRssMiB();
      console.log(
        `1M-row transaction: ${seconds.toFixed(1)} s commit→all acknowledged (${Math.round(ROWS / seconds)} rows/s), worker peak RSS ${peak.toFixed(0)} MiB (${baseline.toFixed(0)} MiB idle, ${rssAtQuarter.toFixed(0)} MiB at 25%)`,
      );
      expect(rssAtQuarter).toBeGreaterThan(0);
      expect(cli.child.exitCode).toBeNull();
      expect(peak).toBeLessThan(RSS_CEILING_MIB);
      expect(metrics).toMatch(inserted);
      // The reader really was held back: the queue filled and paused the binlog read.
      expect(metrics).toMatch(/syncjob_reader_pauses_total\{job="big-transaction"\} [1-9]/);
    } finally {
      expect(await cli.stop()).toBe(0);
      await quota('--delete-config producer_byte_rate');
      await deleteTopics(env, [topic]);
    }
  });
});
