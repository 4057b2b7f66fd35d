import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncJob } from '../../../src/api/v1alpha1/syncjob-spec.ts';
import { createRootLogger } from '../../../src/log.ts';
import { runPrecheck } from '../../../src/precheck/run-precheck.ts';
import type { PrecheckItem } from '../../../src/precheck/types.ts';
import { createSecretResolver, secretEnvName } from '../../../src/worker/secrets.ts';
import { startCli } from '../../support/cli-process.ts';
import {
  createTopic,
  deleteTopics,
  produce,
  rootConnection,
  SYNC_SECRET,
  testJob,
} from '../../support/sync-job.ts';
import { inTestenvShell, testEnv, uniqueName } from '../../support/testenv.ts';

const env = testEnv();
const log = createRootLogger({ level: 'silent' });
const db = uniqueName('pc').replace(/-/g, '_');
const topic = uniqueName('pc-topic');
let root: mysql.Connection;

const job = (spec: Partial<Parameters<typeof testJob>[2]> = {}): SyncJob =>
  testJob(env, 'pc', { topic, objects: [{ database: db, tables: [{ name: 'orders' }] }], ...spec });

const run = (j: SyncJob, password = env.mysql.syncPassword) =>
  runPrecheck(
    j,
    createSecretResolver({ dir: '/nonexistent', env: { [secretEnvName(SYNC_SECRET)]: password } }),
    log,
  );

const item = (items: PrecheckItem[], name: string) => items.find((i) => i.name === name);

beforeAll(async () => {
  root = await rootConnection(env);
  await root.query(
    `CREATE DATABASE ${db}; CREATE TABLE ${db}.orders (id INT PRIMARY KEY, note VARCHAR(20)); CREATE TABLE ${db}.nokey (a INT, b INT)`,
  );
  await createTopic(env, topic, 2);
});

afterAll(async () => {
  await root.query(`DROP DATABASE IF EXISTS ${db}`);
  await root.end();
  await deleteTopics(env, [topic]);
});

describe('precheck', () => {
  it('passes every item for a good job', async () => {
    const items = await run(job());
    expect(items.filter((i) => i.result !== 'Passed')).toEqual([]);
    expect(items.map((i) => i.name)).toEqual([
      'source.connectivity',
      'source.authentication',
      'source.version',
      'source.binlog',
      'source.binlogFormat',
      'source.binlogRowImage',
      'source.binlogRowValueOptions',
      'source.binlogRetention',
      'source.serverId',
      'source.privileges',
      'source.objects',
      'source.storageEngine',
      'source.columnTypes',
      'source.primaryKey',
      'source.logSlaveUpdates',
      'source.partitionKey',
      'source.filter',
      'target.connectivity',
      'target.authentication',
      'target.delivery',
      'target.topic',
      'target.existingData',
      'target.messageSize',
    ]);
  });

  it('fails binlog_format not ROW and binlog_row_image not FULL', async () => {
    // The server is shared: restore both settings whatever happens.
    try {
      await root.query("SET GLOBAL binlog_format='STATEMENT'; SET GLOBAL binlog_row_image='MINIMAL'");
      const items = await run(job());
      expect(item(items, 'source.binlogFormat')).toMatchObject({
        result: 'Failed',
        message: expect.stringContaining('binlog_format = STATEMENT'),
        fix: expect.stringContaining("SET GLOBAL binlog_format='ROW'"),
      });
      expect(item(items, 'source.binlogRowImage')).toMatchObject({
        result: 'Failed',
        message: expect.stringContaining('binlog_row_image = MINIMAL'),
        fix: expect.stringContaining("SET GLOBAL binlog_row_image='FULL'"),
      });
    } finally {
      await root.query("SET GLOBAL binlog_format='ROW'; SET GLOBAL binlog_row_image='FULL'");
    }
  });

  it('gives the GRANT statement for a user with only SELECT', async () => {
    const user = uniqueName('pcu').replace(/-/g, '_');
    await root.query(
      `CREATE USER '${user}'@'%' IDENTIFIED BY 'pw-only-select'; GRANT SELECT ON *.* TO '${user}'@'%'`,
    );
    try {
      const items = await run(job({ source: { username: user } }), 'pw-only-select');
      expect(item(items, 'source.privileges')).toEqual({
        name: 'source.privileges',
        result: 'Failed',
        message: `'${user}'@'%' lacks REPLICATION SLAVE, BINLOG MONITOR`,
        fix: `GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '${user}'@'%';`,
      });
    } finally {
      await root.query(`DROP USER '${user}'@'%'`);
    }
  });

  it('stops the source checks at a wrong password and never prints it', async () => {
    const items = await run(job(), 'not-the-password');
    const source = items.filter((i) => i.name.startsWith('source.'));
    expect(source.map((i) => i.result)).toEqual(['Passed', 'Failed']);
    expect(source[1]).toMatchObject({
      name: 'source.authentication',
      message: expect.stringContaining('secret mariadb-sync key password'),
      fix: expect.stringContaining('secret mariadb-sync key password'),
    });
    expect(JSON.stringify(items)).not.toContain('not-the-password');
    expect(JSON.stringify(items)).not.toContain(env.mysql.syncPassword);
  });

  it("fails a missing topic naming only it, and the fix's command creates it as written", async () => {
    const missing = uniqueName('pc-missing');
    try {
      const items = await run(job({ topic: missing }));
      const failedItem = item(items, 'target.topic');
      expect(failedItem).toMatchObject({ result: 'Failed', message: `topic ${missing} does not exist` });
      // Other topics of the cluster (this file's own, say) are never named.
      expect(JSON.stringify(failedItem)).not.toContain(topic);
      const command = /kafka-topics [^;]+/.exec(failedItem?.fix ?? '')?.[0];
      expect(command).toBe(
        `kafka-topics --bootstrap-server ${env.kafka.brokers.join(',')} --create --topic ${missing}`,
      );
      await inTestenvShell(command!);
      expect(item(await run(job({ topic: missing })), 'target.topic')?.result).toBe('Passed');
    } finally {
      await deleteTopics(env, [missing]);
    }
  });

  it('fails existing data under precheckError and skips it under ignore', async () => {
    await produce(env, topic, [{ value: 'x' }]);
    expect(item(await run(job()), 'target.existingData')).toMatchObject({
      result: 'Failed',
      message: `the topic already holds records: ${topic} (1 records)`,
      fix: expect.stringContaining('conflictMode: ignore'),
    });
    expect(item(await run(job({ conflictMode: 'ignore' })), 'target.existingData')).toMatchObject({
      result: 'Passed',
      message: expect.stringContaining('skipped: conflictMode is ignore'),
    });
  });

  it('warns on a table without a key and fails a missing table', async () => {
    const items = await run(
      job({ objects: [{ database: db, tables: [{ name: 'nokey' }, { name: 'gone' }] }] }),
    );
    expect(item(items, 'source.primaryKey')).toMatchObject({
      result: 'Warning',
      message: expect.stringContaining(`${db}.nokey`),
      fix: expect.stringContaining('add a primary key'),
    });
    expect(item(items, 'source.objects')).toMatchObject({
      result: 'Failed',
      message: expect.stringContaining(`${db}.gone`),
      fix: expect.stringContaining('fix the names in spec.objects'),
    });
  });

  it('CLI exits 1 for a failing job and prints the items', async () => {
    const file = path.join(os.tmpdir(), `${uniqueName('pc')}.yaml`);
    const j = job({ topic: 'pc-no-such-topic' });
    await writeFile(
      file,
      JSON.stringify({ apiVersion: j.apiVersion, kind: j.kind, metadata: j.metadata, spec: j.spec }),
    );
    const cli = startCli(['precheck', '-f', file, '--json'], {
      [secretEnvName(SYNC_SECRET)]: env.mysql.syncPassword,
    });
    expect(await cli.exited).toBe(1);
    const items = JSON.parse(cli.output()) as PrecheckItem[];
    expect(item(items, 'target.topic')?.result).toBe('Failed');
    expect(item(items, 'source.connectivity')?.result).toBe('Passed');
  });
});
