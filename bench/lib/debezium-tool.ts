// Debezium for comparison: its MariaDB connector 3.5.0.Final, or its MySQL connector 3.6.1.Final
// for a MySQL source, in Kafka Connect 4.1.2 standalone (Kafka's own runtime, JSON without schemas,
// offsets in a file), into the same broker. Fetched from Maven Central into the testenv cache on
// first use. Connect standalone has no exactly-once
// source support (distributed mode only), so Debezium writes at-least-once here.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopWithStats } from './process-stats.ts';
import type { BenchEnv, RunningTool, StreamingTool } from './tool.ts';

export const CONNECT_VERSION = '4.1.2';
const CONNECTORS = {
  mariadb: {
    version: '3.5.0.Final',
    artifact: 'debezium-connector-mariadb',
    class: 'io.debezium.connector.mariadb.MariaDbConnector',
  },
  mysql: {
    version: '3.6.1.Final',
    artifact: 'debezium-connector-mysql',
    class: 'io.debezium.connector.mysql.MySqlConnector',
  },
} as const;
type Connector = (typeof CONNECTORS)[keyof typeof CONNECTORS];

const CACHE = process.env.SYNCJOB_CACHE ?? path.join(os.homedir(), '.cache/syncjob-operator');
const libsOf = (c: Connector) => path.join(CACHE, 'debezium', `${c.artifact}-${c.version}`, 'libs');
const JAVA = existsSync('/usr/lib/jvm/java-17-openjdk-amd64/bin/java')
  ? '/usr/lib/jvm/java-17-openjdk-amd64/bin/java'
  : 'java';
const REST_PORT = 18_083;

/** Resolves Connect, the JSON converter and the connector with Maven, once per machine. */
export function installDebezium(connector: Connector): void {
  const LIBS = libsOf(connector);
  if (existsSync(path.join(LIBS, '.complete'))) return;
  const build = path.join(CACHE, 'debezium', `${connector.artifact}-${connector.version}`, 'build');
  mkdirSync(build, { recursive: true });
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  writeFileSync(
    path.join(build, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>io.syncjob.bench</groupId><artifactId>debezium-runtime</artifactId><version>1</version><dependencies>
${dep('org.apache.kafka', 'connect-runtime', CONNECT_VERSION)}
${dep('org.apache.kafka', 'connect-json', CONNECT_VERSION)}
${dep('io.debezium', connector.artifact, connector.version)}
${dep('io.debezium', 'debezium-storage-file', connector.version)}
${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', '2.24.3')}
</dependencies></project>`,
  );
  process.stderr.write(
    `[bench] fetching Debezium's ${connector.artifact} ${connector.version} and Kafka Connect ${CONNECT_VERSION} from Maven Central\n`,
  );
  execFileSync(
    'mvn',
    ['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${LIBS}`],
    { cwd: build, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  writeFileSync(path.join(LIBS, '.complete'), '');
}

const properties = (entries: Record<string, string | number>) =>
  `${Object.entries(entries)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;

async function rest(method: string, route: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${REST_PORT}${route}`, { method });
  if (!res.ok && res.status !== 404)
    throw new Error(`Connect ${method} ${route}: ${res.status} ${await res.text()}`);
  return res.status === 204 || res.status === 202 ? null : res.json().catch(() => null);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Debezium: timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const taskState = async () =>
  ((await rest('GET', '/connectors/bench/status')) as { tasks?: { state: string }[] } | null)?.tasks?.[0]
    ?.state;

export function debeziumTool(env: BenchEnv): StreamingTool {
  const connector = CONNECTORS[env.source];
  let serverId = 88_000;
  const start = async (
    table: string,
    topicPrefix: string,
    snapshot: 'no_data' | 'initial' = 'no_data',
  ): Promise<ChildProcess> => {
    installDebezium(connector);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-debezium-'));
    const [database] = table.split('.');
    writeFileSync(
      path.join(dir, 'worker.properties'),
      properties({
        'bootstrap.servers': env.brokers.join(','),
        'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'key.converter.schemas.enable': 'false',
        'value.converter.schemas.enable': 'false',
        'offset.storage.file.filename': path.join(dir, 'offsets.dat'),
        'offset.flush.interval.ms': 1000,
        listeners: `http://127.0.0.1:${REST_PORT}`,
        // Tuned as for the measurements in the issue: large batches, a short linger.
        'producer.linger.ms': 5,
        'producer.batch.size': 1_048_576,
        'producer.compression.type': 'none',
      }),
    );
    writeFileSync(
      path.join(dir, 'connector.properties'),
      properties({
        name: 'bench',
        'connector.class': connector.class,
        'tasks.max': 1,
        'database.hostname': env.mysql.host,
        'database.port': env.mysql.port,
        'database.user': 'root',
        'database.password': '',
        'database.server.id': serverId++,
        'topic.prefix': topicPrefix,
        'database.include.list': database!,
        'table.include.list': table,
        'snapshot.mode': snapshot,
        'include.schema.changes': 'false',
        'schema.history.internal': 'io.debezium.storage.file.history.FileSchemaHistory',
        'schema.history.internal.file.filename': path.join(dir, 'history.dat'),
        'max.batch.size': 8192,
        'max.queue.size': 32_768,
        'poll.interval.ms': 5,
      }),
    );
    writeFileSync(
      path.join(dir, 'log4j2.properties'),
      'status = warn\nappender.f.type = File\nappender.f.name = F\nappender.f.fileName = ' +
        path.join(dir, 'connect.log') +
        '\nappender.f.layout.type = PatternLayout\nappender.f.layout.pattern = %d %p %c %m%n\nrootLogger.level = warn\nrootLogger.appenderRef.f.ref = F\n',
    );
    const child = spawn(
      JAVA,
      [
        // connect-standalone.sh's heap.
        '-Xms256M',
        '-Xmx2G',
        `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.properties')}`,
        '-cp',
        `${libsOf(connector)}/*`,
        'org.apache.kafka.connect.cli.ConnectStandalone',
        path.join(dir, 'worker.properties'),
        path.join(dir, 'connector.properties'),
      ],
      // Its binlog client logs through java.util.logging to stderr: kept in the run's folder.
      { stdio: ['ignore', 'ignore', openSync(path.join(dir, 'stderr.log'), 'w')] },
    );
    // 143: the SIGTERM the bench sends.
    child.once('exit', (code, signal) => {
      if (code && code !== 143 && signal === null)
        process.stderr.write(`[bench] Kafka Connect exited with ${code}; logs in ${dir}\n`);
    });
    await until('the connector task runs', async () => (await taskState()) === 'RUNNING');
    return child;
  };
  const running = (child: ChildProcess): RunningTool => ({ stop: stopWithStats(child) });
  return {
    // The key converter writes the key columns as JSON without a schema: {"id":42}.
    idOf: (key) => (key === null ? null : Number((JSON.parse(key.toString()) as { id: number }).id)),
    name: 'debezium',
    topicFor: (run, table) => `dbz${run}.${table}`,
    async catchUp(table, topic, { sentinel, write }) {
      const child = await start(table, topic.slice(0, topic.indexOf('.')));
      // Streaming (and its offset stored) before it is stopped, so it resumes before the rows.
      await sentinel();
      await rest('PUT', '/connectors/bench/stop');
      await until('the connector stopped', async () => (await taskState()) === undefined);
      await write();
      await rest('PUT', '/connectors/bench/resume');
      return running(child);
    },
    async stream(table, topic) {
      return running(await start(table, topic.slice(0, topic.indexOf('.'))));
    },
    async initialize(table, topic) {
      return running(await start(table, topic.slice(0, topic.indexOf('.')), 'initial'));
    },
  };
}
