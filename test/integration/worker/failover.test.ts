import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { secretEnvName } from '../../../src/worker/secrets.ts';
import { type CliProcess, eventually, startCli } from '../../support/cli-process.ts';
import { foldJobTopic } from '../../support/job-topic.ts';
import { startMariadbReplica } from '../../support/mariadb-replica.ts';
import { sortedRows } from '../../support/materialize.ts';
import { startMysqlReplica } from '../../support/mysql-replica.ts';
import type { Replica } from '../../support/replica.ts';
import { seqRows } from '../../support/seq-rows.ts';
import {
  createTopic,
  deleteTopics,
  rootConnection,
  SYNC_SECRET,
  testJob,
  untilCaughtUp,
  untilReady,
  workerReport,
} from '../../support/sync-job.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';
import { sourceTables, startWriter, type Tally } from '../../support/writer.ts';

const env = testEnv();
const TABLES = ['a', 'b'];
const SEEDED_ROWS = 1_000;

describe('failover to a promoted replica', () => {
  let primary: mysql.Connection;
  let replica: Replica;
  const database = uniqueName('failover').replace('-', '_');

  beforeAll(async () => {
    primary = await rootConnection(env);
    replica = await (env.sourceType === 'mysql' ? startMysqlReplica : startMariadbReplica)(env, primary);
    // Created after the replica attached, so it replicates them.
    await primary.query(`CREATE DATABASE ${database}`);
    for (const t of TABLES)
      await primary.query(
        `CREATE TABLE ${database}.${t} (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))`,
      );
    await primary.query(
      `INSERT INTO ${database}.a SELECT -seq, seq % 7, 'seed' FROM ${seqRows(SEEDED_ROWS)}`,
    );
  }, 120_000);

  afterAll(async () => {
    await primary?.query(`DROP DATABASE IF EXISTS ${database}`);
    await primary?.end();
    await replica?.stop();
  });

  it('resumes by GTID on the promoted replica after the worker was killed: nothing lost, nothing repeated', {
    timeout: 300_000,
  }, async () => {
    const topic = uniqueName('failover');
    await createTopic(env, topic, 2);
    const dir = mkdtempSync(path.join(tmpdir(), 'syncjob-failover-'));
    const file = path.join(dir, 'job.yaml');
    const metricsPort = 19400 + Math.floor(Math.random() * 500);
    const job = testJob(env, uniqueName('failover-job'), {
      topic,
      objects: [{ database, tables: TABLES.map((name) => ({ name })) }],
      target: { partitioning: 'primaryKey' },
      initialization: { data: true, chunkSize: 200 },
      offsets: { topic: uniqueName('failover-offsets') },
      worker: { metricsPort },
    });
    writeFileSync(file, stringify(job));
    const secretEnv = { [secretEnvName(SYNC_SECRET)]: env.mysql.syncPassword };
    const report = () => workerReport(metricsPort);
    const ready = () => untilReady(metricsPort);
    let worker: CliProcess = startCli(['run', '-f', file], secretEnv);
    const conns: mysql.Connection[] = [];
    try {
      await ready();
      await untilCaughtUp(primary, report);
      const onPrimary = await rootConnection(env);
      conns.push(onPrimary);
      const first = startWriter(onPrimary, { database, tables: TABLES, statements: 1_500, largeEvery: 500 });
      // The primary fails mid-write: the worker dies with it (anywhere, inside a transaction too),
      // the writer stops; the replica has what the primary committed.
      await eventually(() => first.done() >= 900, 'the writer to pass statement 900');
      worker.child.kill('SIGKILL');
      await worker.exited;
      await first.stop();
      await replica.caughtUp(primary);
      await replica.promote();

      // The user points the job at the new primary (an HA switch), as a spec edit.
      writeFileSync(
        file,
        stringify({ ...job, spec: { ...job.spec, source: { ...job.spec.source, port: replica.port } } }),
      );
      worker = startCli(['run', '-f', file], secretEnv);
      const onReplica = await replica.connect();
      conns.push(onReplica);
      const second = startWriter(onReplica, {
        database,
        tables: TABLES,
        statements: 500,
        firstId: first.nextId(),
      });
      await ready();
      await second.finished;
      await untilCaughtUp(onReplica, report);
      const at = (await report()).position;
      expect(at).toMatchObject({ serverId: replica.serverId });
      // The position names the new primary's own transactions: MariaDB `0-2-n`, MySQL its uuid.
      if (env.sourceType === 'mysql') {
        const [[uuid]] = await onReplica.query<mysql.RowDataPacket[]>('SELECT @@server_uuid AS u');
        expect(at?.gtidPos).toContain(`${uuid!.u}:1-`);
      } else expect(at?.gtidPos).toMatch(/^0-2-\d+$/);
      await worker.stop();

      const state = await foldJobTopic(
        env,
        topic,
        TABLES.map((t) => `${database}.${t}`),
      );
      for (const [name, rows] of await sourceTables(onReplica, database, TABLES))
        expect(sortedRows(state.tables.get(name)), name).toEqual(rows);
      // Exactly once across the failover: one record per change made on either server.
      const both: Tally = {
        INSERT: first.tally.INSERT + second.tally.INSERT,
        UPDATE: first.tally.UPDATE + second.tally.UPDATE,
        DELETE: first.tally.DELETE + second.tally.DELETE,
      };
      expect(state.byOp).toEqual(both);
      expect(state.ids.size).toBe(state.read);
      expect(state.maxId).toBe(state.read);
      console.log(
        `failover: ${both.INSERT + both.UPDATE + both.DELETE} changes over two servers, resumed by GTID at ${at?.gtidPos}, exactly once`,
      );
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
      for (const c of conns) await c.end().catch(() => undefined);
      await deleteTopics(env, [topic]);
    }
  });
});
