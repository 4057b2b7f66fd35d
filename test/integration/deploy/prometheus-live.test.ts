// The alerts and the Grafana dashboard against a real Prometheus (Debian's, unpacked by the test
// environment) scraping a real operator and its worker: a job whose source goes silent raises
// SyncJobNotReady, which resolves once the source answers again; every query of every dashboard
// panel returns data. The rules are charts/syncjob-operator/files/alerts.yaml with their `for`
// shortened to seconds (the minutes are promtool-tested), scraped and evaluated every second.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from '../../../src/kafka/kafkajs.ts';
import { eventually } from '../../support/cli-process.ts';
import { createTail, showOnFailure } from '../../support/failure-output.ts';
import { startTestbed, syncJobYaml, type Testbed, waitForReady } from '../../support/operator-testbed.ts';
import { deleteTopics, rootConnection, sourceSpec } from '../../support/sync-job.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

const env = testEnv();
const CHART = fileURLToPath(new URL('../../../charts/syncjob-operator/files/', import.meta.url));
const JOB = 'watched';

interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

describe('alerts and dashboard on a live Prometheus', () => {
  let bed: Testbed;
  let db: mysql.Connection;
  let proxy: TcpProxy;
  let prometheus: ChildProcess;
  const dir = mkdtempSync(path.join(tmpdir(), 'sj-prometheus-'));
  const promPort = 29000 + Math.floor(Math.random() * 900);
  const workerPort = 28000 + Math.floor(Math.random() * 900);
  const database = uniqueName('prom').replaceAll('-', '_');
  const topic = uniqueName('prom');
  const output = createTail();

  const query = async (expr: string) => {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; data: { result: unknown[] }; error?: string };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  };
  const alerts = async (): Promise<Alert[]> =>
    (
      (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/alerts`)).json()) as {
        data: { alerts: Alert[] };
      }
    ).data.alerts;
  const firing = async (name: string) =>
    (await alerts()).some(
      (a) => a.labels.alertname === name && a.labels.syncjob === JOB && a.state === 'firing',
    );

  beforeAll(async () => {
    db = await rootConnection(env);
    await db.query(`CREATE DATABASE ${database}`);
    await db.query(`CREATE TABLE ${database}.docs (id INT PRIMARY KEY, body TEXT)`);
    await db.query(`INSERT INTO ${database}.docs VALUES (1, 'copied')`);
    const admin = new Kafka({
      clientId: 'test-admin',
      brokers: env.kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    await admin.disconnect();
    proxy = await startTcpProxy({ host: env.mysql.host, port: env.mysql.port });
    bed = await startTestbed(env);
    const operator = bed.startOperator('operator');

    await bed.kubectl(
      ['apply', '-f', '-'],
      syncJobYaml(JOB, {
        source: { ...sourceSpec(env), host: '127.0.0.1', port: proxy.port },
        target: { brokers: env.kafka.brokers, topic, version: '4.x' },
        objects: [{ database, tables: [{ name: 'docs' }] }],
        offsets: { topic: `${topic}-offsets`, onDelete: 'delete' },
        worker: { metricsPort: workerPort },
      }),
    );
    await waitForReady(bed, JOB);
    // The kubelet stand-in gives each pod its own loopback address, where the worker listens.
    const pod = await bed.core.readNamespacedPod({ namespace: bed.namespace, name: `${JOB}-worker` });
    const workerAddress = `${pod.status?.podIP}:${workerPort}`;
    const rules = readFileSync(path.join(CHART, 'alerts.yaml'), 'utf8').replace(/for: \d+m/g, 'for: 2s');
    writeFileSync(path.join(dir, 'rules.yaml'), rules);
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [rules.yaml]',
        'scrape_configs:',
        '  - job_name: syncjob-operator',
        `    static_configs: [{ targets: ['127.0.0.1:${operator.metricsPort}'] }]`,
        // As a PodMonitor labels a worker pod's series.
        '  - job_name: syncjob-workers',
        `    static_configs: [{ targets: ['${workerAddress}'], labels: { namespace: '${bed.namespace}', pod: '${JOB}-worker' } }]`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      env.kube.prometheus,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (d: Buffer) => output.write(d.toString()));
    prometheus.stderr?.on('data', (d: Buffer) => output.write(d.toString()));
    showOnFailure('prometheus', () => output.text());

    await db.query(`INSERT INTO ${database}.docs VALUES (2, 'streamed')`);
    await eventually(
      async () =>
        (await query(`syncjob_operator_job_ready{syncjob="${JOB}"} == 1`).catch(() => [])).length > 0,
      'Prometheus to see the job Ready',
      60_000,
    );
  }, 240_000);

  afterAll(async () => {
    proxy?.stall(false);
    prometheus?.kill('SIGTERM');
    await bed?.stop();
    await proxy?.close();
    await db?.query(`DROP DATABASE IF EXISTS ${database}`);
    await db?.end();
    await deleteTopics(env, [topic, `${topic}-offsets`]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fires SyncJobNotReady when the source goes silent, and resolves it when the source answers', {
    timeout: 180_000,
  }, async () => {
    expect(await firing('SyncJobNotReady')).toBe(false);
    proxy.stall(true);
    await eventually(() => firing('SyncJobNotReady'), 'SyncJobNotReady to fire', 90_000);
    const alert = (await alerts()).find((a) => a.labels.alertname === 'SyncJobNotReady')!;
    expect(alert.labels).toMatchObject({ namespace: bed.namespace, syncjob: JOB, severity: 'warning' });
    proxy.stall(false);
    await eventually(
      async () => !(await alerts()).some((a) => a.labels.alertname === 'SyncJobNotReady'),
      'SyncJobNotReady to resolve',
      120_000,
    );
    // Nothing else fired on the way.
    expect((await alerts()).filter((a) => a.state === 'firing').map((a) => a.labels.alertname)).toEqual([]);
  });

  it('has data for every query of every dashboard panel', async () => {
    const dashboard = JSON.parse(readFileSync(path.join(CHART, 'dashboard.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    // What Grafana substitutes: the selected job, a rate window of several scrapes.
    const concrete = (expr: string) =>
      expr
        .replaceAll('$namespace', bed.namespace)
        .replaceAll('$syncjob', JOB)
        .replaceAll('$__rate_interval', '15s');
    const empty: string[] = [];
    for (const panel of dashboard.panels)
      for (const target of panel.targets)
        if ((await query(concrete(target.expr))).length === 0) empty.push(`${panel.title}: ${target.expr}`);
    expect(empty).toEqual([]);
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(8);
  });
});
