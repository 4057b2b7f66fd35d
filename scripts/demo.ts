// `make demo`: the main job end to end on this machine. The services come from scripts/testenv.sh
// (the Makefile starts them first); this script builds the image directory, starts the kubelet
// stand-in and the operator, applies examples/syncjob.yaml with kubectl, shows `kubectl get
// syncjobs` until Syncing, changes rows in MariaDB and prints them decoded from Kafka.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { parse } from 'yaml';
import { Kafka, logLevel } from '../src/kafka/kafkajs.ts';
import { testenvEnv } from './lib/testenv-env.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();
const env = testenvEnv();
const kubeconfig = env.KUBECONFIG ?? '';
const kubectlBin = path.join(env.SYNCJOB_KUBE_BIN ?? '', 'kubectl');
const runDir = path.join(path.dirname(path.dirname(kubeconfig)), 'demo');
mkdirSync(runDir, { recursive: true });

const say = (text: string) => {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(3);
  process.stdout.write(`[demo ${s}s] ${text}\n`);
};
const kubectl = (args: string[], input?: string) =>
  execFileSync(kubectlBin, ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
const example = path.join(root, 'examples/syncjob.yaml');
const job = parse((await import('node:fs')).readFileSync(example, 'utf8')) as {
  metadata: { name: string };
  spec: { target: { topic: string }; source: { passwordSecretRef: { name: string; key: string } } };
};
const topic = job.spec.target.topic;

// The operator and the kubelet stand-in outlive this script: the demo leaves a running system to
// look at. Their pid files in runDir are how `scripts/testenv.sh down` (and a rerun) stop them.
const DEMO_PROCESSES = ['kubelet', 'operator'];
const pidFile = (name: string) => path.join(runDir, `${name}.pid`);

function background(name: string, args: string[]): ChildProcess {
  const log = path.join(runDir, `${name}.log`);
  const out = openSync(log, 'w');
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', out, out],
    detached: true,
  });
  child.unref();
  writeFileSync(pidFile(name), `${child.pid}\n`);
  say(`started ${name} (log: ${log})`);
  return child;
}

/** Stops the demo's processes (this run's or an earlier one's) and waits until they are gone. */
async function stopDemoProcesses() {
  for (const name of DEMO_PROCESSES) {
    const file = pidFile(name);
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8'));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (alive()) process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive()) process.kill(pid, 'SIGKILL');
    rmSync(file, { force: true });
  }
}
process.once('SIGINT', () => void stopDemoProcesses().then(() => process.exit(130)));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `kubectl get syncjobs NAME --watch`, printing a row when PHASE or READY changes. */
function watchUntilSyncing(name: string): Promise<void> {
  const watch = spawn(kubectlBin, ['--kubeconfig', kubeconfig, 'get', 'syncjobs', name, '--watch'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last = '';
  let buffered = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      watch.kill();
      reject(new Error(`${name} did not reach Syncing in 3 minutes; see ${runDir}/operator.log`));
    }, 180_000);
    watch.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        // Before the first status write PHASE and READY are blank and the row has fewer cells.
        const cells = line.trim().split(/\s+/);
        const [phase, ready] = cells.length >= 6 ? [cells[1], cells[2]] : ['', ''];
        if (line.startsWith('NAME')) process.stdout.write(`${line}\n`);
        else if (phase !== '' && `${phase}/${ready}` !== last) {
          last = `${phase}/${ready}`;
          process.stdout.write(`${line}\n`);
        }
        if (phase === 'Syncing' && ready === 'True') {
          clearTimeout(timer);
          watch.kill();
          resolve();
        }
      }
    });
  });
}

try {
  say('building the worker image directory (npm run build → dist/)');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });

  say('installing the SyncJob CRD');
  kubectl(['apply', '-f', path.join(root, 'crds/syncjob.yaml')]);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/syncjobs.syncjob.io']);
  // A rerun starts clean: an earlier demo's operator and kubelet stand-in give way to this code's,
  // then the old job (its finalizer needs the operator) goes.
  await stopDemoProcesses();
  background('kubelet', [
    'test/kubelet/main.ts',
    '--image-root',
    root,
    '--log-dir',
    runDir,
    '--namespace',
    'default',
  ]);
  background('operator', [
    'src/cli/main.ts',
    'operator',
    '--image',
    'syncjob-operator:demo',
    '--namespace',
    'default',
    '--leader-election-namespace',
    'default',
    '--metrics-port',
    '18080',
  ]);
  // Its offsets too (the example keeps them on deletion): a new job of the same name would resume.
  if (kubectl(['get', 'syncjobs', '--ignore-not-found', '-o', 'name']).includes(`/${job.metadata.name}`)) {
    say(`deleting ${job.metadata.name} and its offsets from an earlier run`);
    kubectl([
      'patch',
      'syncjob',
      job.metadata.name,
      '--type=merge',
      '-p',
      '{"spec":{"offsets":{"onDelete":"delete"}}}',
    ]);
    kubectl(['delete', 'syncjob', job.metadata.name, '--wait=true', '--timeout=60s']);
  }

  say('preparing MariaDB: database shop, tables orders and customers, 3 rows');
  const db = await mysql.createConnection({
    host: env.MYSQL_HOST,
    port: Number(env.MYSQL_PORT),
    user: env.MYSQL_ROOT_USER,
    password: env.MYSQL_ROOT_PASSWORD,
  });
  await db.query('DROP DATABASE IF EXISTS shop');
  await db.query('CREATE DATABASE shop');
  await db.query(
    'CREATE TABLE shop.orders (id INT PRIMARY KEY, customer_id INT, amount DECIMAL(10,2), note VARCHAR(64))',
  );
  await db.query('CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(64))');
  await db.query("INSERT INTO shop.customers VALUES (1, 'Ada'), (2, 'Grace')");
  await db.query("INSERT INTO shop.orders VALUES (100, 1, 19.90, 'first order')");

  say(`preparing Kafka: topic ${topic} (recreated empty; the job never creates it)`);
  const admin = new Kafka({
    brokers: (env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  if ((await admin.listTopics()).includes(topic)) {
    await admin.deleteTopics({ topics: [topic] });
    await until('the old topic to go', async () => !(await admin.listTopics()).includes(topic), 60_000);
  }
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();

  const secret = job.spec.source.passwordSecretRef;
  say(`creating Secret ${secret.name} with the password of the sync account`);
  kubectl(
    ['apply', '-f', '-'],
    kubectl([
      'create',
      'secret',
      'generic',
      secret.name,
      `--from-literal=${secret.key}=${env.MYSQL_SYNC_PASSWORD}`,
      '--dry-run=client',
      '-o',
      'yaml',
    ]),
  );

  say('$ kubectl apply -f examples/syncjob.yaml');
  process.stdout.write(kubectl(['apply', '-f', example]));
  say('$ kubectl get syncjobs --watch   (rows whose phase or readiness changed, until Syncing)');
  await watchUntilSyncing(job.metadata.name);

  say('changing rows in MariaDB: an insert, an update, a delete');
  await db.query("INSERT INTO shop.orders VALUES (101, 2, 42.00, 'second order')");
  await db.query("UPDATE shop.orders SET note = 'first order, paid' WHERE id = 100");
  await db.query('DELETE FROM shop.orders WHERE id = 101');
  await db.end();

  say(`$ syncjob decode --topic ${topic} --from-beginning   (one JSON line per record, shortened here)`);
  const decoded = execFileSync(
    process.execPath,
    [
      'src/cli/main.ts',
      'decode',
      '--brokers',
      env.KAFKA_BROKERS ?? '',
      '--topic',
      topic,
      '--from-beginning',
      '--follow',
      '--idle-seconds',
      '5',
    ],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  for (const line of decoded.trim().split('\n')) {
    const r = JSON.parse(line) as {
      operation: string;
      objectName: string;
      fields?: { name: string; before: string | null; after: string | null }[];
    };
    const cells = (r.fields ?? [])
      .map(
        (f) =>
          `${f.name}=${f.before !== null && f.after !== null && f.before !== f.after ? `${f.before}→${f.after}` : (f.after ?? f.before)}`,
      )
      .join(' ');
    process.stdout.write(`  ${r.operation.padEnd(7)} ${r.objectName ?? ''}  ${cells}\n`);
  }
  say('$ kubectl get syncjobs');
  process.stdout.write(kubectl(['get', 'syncjobs']));
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  say(
    `done in ${elapsed} s. The operator, the kubelet stand-in and the worker keep running; look at them with:`,
  );
  process.stdout.write(
    [
      '  eval "$(scripts/testenv.sh env)"',
      '  kubectl get syncjobs                  # the job, Syncing',
      `  mariadb -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root -e "INSERT INTO shop.orders VALUES (102, 1, 5.00, 'more')"`,
      `  bin/syncjob decode --brokers "$KAFKA_BROKERS" --topic ${topic} --from-beginning`,
      `  curl -s http://127.0.0.1:18080/metrics   # the operator's metrics`,
      `  logs: ${runDir}/{operator,kubelet}.log and the worker's next to them`,
      '  scripts/testenv.sh down               # stops all of it: operator, kubelet stand-in, worker, services',
      '',
    ].join('\n'),
  );
} catch (err) {
  // A failed demo leaves nothing behind that claims to be alive.
  await stopDemoProcesses();
  throw err;
}
