// A namespace of the real API server with what an operator test needs: the CRD, the sync account's
// Secret, the kubelet stand-in running worker pods from a freshly built image directory, and
// operator replicas as separate processes (so a test can SIGKILL the leader).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { CRD_NAME, PLURAL } from '../../src/api/v1alpha1/crd.ts';
import { GROUP, VERSION } from '../../src/api/v1alpha1/syncjob-spec.ts';
import { startPodRunner } from '../kubelet/pod-runner.ts';
import { type CliProcess, eventually, startCli } from './cli-process.ts';
import { createTail, showDirOnFailure, showOnFailure } from './failure-output.ts';
import { buildImageDir } from './image-dir.ts';
import { SYNC_SECRET } from './sync-job.ts';
import type { TestEnv } from './testenv.ts';
import { uniqueName } from './testenv.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const TEST_IMAGE = 'syncjob-operator:test';

export interface Testbed {
  namespace: string;
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  /** kubectl in the testbed namespace; rejects with stderr on a non-zero exit. */
  kubectl(args: string[], input?: string): Promise<string>;
  /**
   * Starts an operator replica; its Lease lives in the testbed namespace. A short Lease (4 s) by
   * default, so handover tests are quick; `kubeconfig` points it at the API server another way.
   */
  startOperator(
    identity: string,
    opts?: { kubeconfig?: string; leaseSeconds?: number },
  ): CliProcess & { metricsPort: number };
  runner: Awaited<ReturnType<typeof startPodRunner>>;
  logDir: string;
  /** The SyncJob as the API server has it. */
  getJob(name: string): Promise<SyncJobView | null>;
  stop(): Promise<void>;
}

export interface SyncJobView {
  metadata: { name: string; generation: number; finalizers?: string[]; uid: string };
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
    precheck?: {
      checkedAt?: string;
      items: { name: string; result: string; message: string; fix?: string }[];
    };
    snapshot?: { tablesTotal: number; tablesDone: number; rows: number; done: boolean };
    position?: { file: string; position: number; gtid: string };
    lagSeconds?: number;
    worker?: { pod: string; attempts: number };
  };
}

export async function startTestbed(env: TestEnv): Promise<Testbed> {
  const kc = new KubeConfig();
  kc.loadFromFile(env.kube.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const namespace = uniqueName('op');
  const run = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(
        env.kube.kubectl,
        ['--kubeconfig', env.kube.kubeconfig, ...args],
        { encoding: 'utf8' },
        (err, stdout, stderr) =>
          err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  // A CRD being deleted (by the CRD test's fresh install) first has to go.
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await eventually(
    async () =>
      !(await ext.readCustomResourceDefinition({ name: CRD_NAME }).catch(() => null))?.metadata
        ?.deletionTimestamp,
    'the SyncJob CRD to finish its deletion',
    60_000,
  );
  await run(['apply', '-f', path.join(root, 'crds/syncjob.yaml')]);
  await run(['wait', '--for=condition=Established', '--timeout=30s', `crd/${CRD_NAME}`]);
  // A freshly established CRD answers 404 for a moment.
  await eventually(
    async () =>
      custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }).then(
        () => true,
        () => false,
      ),
    'the SyncJob API to serve',
  );
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await run([
    '-n',
    namespace,
    'create',
    'secret',
    'generic',
    SYNC_SECRET.name,
    `--from-literal=${SYNC_SECRET.key}=${env.mysql.syncPassword}`,
  ]);
  const imageDir = buildImageDir();
  const logDir = path.join(tmpdir(), `syncjob-pods-${namespace}`);
  if (!existsSync(logDir)) mkdirSync(logDir, { recursive: true });
  const runnerLog = createTail();
  showOnFailure(`kubelet stand-in (${namespace})`, runnerLog.text);
  showDirOnFailure(`worker pod logs (${logDir})`, logDir);
  const runner = await startPodRunner({
    kubeConfig: kc,
    namespace,
    imageRoot: imageDir,
    logDir,
    logger: (line) => runnerLog.write(`${line}\n`),
  });
  const operators: CliProcess[] = [];

  const getJob = async (name: string) =>
    (await custom
      .getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name })
      .catch(() => null)) as SyncJobView | null;

  return {
    namespace,
    kc,
    core,
    custom,
    runner,
    logDir,
    getJob,
    kubectl: (args, input) => run(['-n', namespace, ...args], input),
    startOperator(identity, opts = {}) {
      const metricsPort = 20000 + Math.floor(Math.random() * 5000);
      const op = startCli(
        [
          'operator',
          '--namespace',
          namespace,
          '--image',
          TEST_IMAGE,
          '--leader-election-namespace',
          namespace,
          '--identity',
          identity,
          '--metrics-port',
          String(metricsPort),
          '--precheck-retry-seconds',
          '3',
          '--lease-duration-seconds',
          String(opts.leaseSeconds ?? 4),
        ],
        { KUBECONFIG: opts.kubeconfig ?? env.kube.kubeconfig, SYNCJOB_LOG_LEVEL: 'debug' },
      );
      operators.push(op);
      return { ...op, metricsPort };
    },
    async stop() {
      // Operators first (they would put a finalizer back), then the jobs lose theirs so a later
      // deletion of the CRD is not held up, then the worker processes.
      await Promise.all(operators.map((o) => (o.child.exitCode === null ? o.stop() : o.exited)));
      const list = (await custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
      })) as {
        items: SyncJobView[];
      };
      for (const job of list.items)
        await run([
          '-n',
          namespace,
          'patch',
          'sj',
          job.metadata.name,
          '--type=merge',
          '-p',
          '{"metadata":{"finalizers":null}}',
        ]);
      await runner.stop();
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    },
  };
}

/** A SyncJob manifest as `kubectl apply -f -` takes it. */
export const syncJobYaml = (name: string, spec: Record<string, unknown>): string =>
  stringify({ apiVersion: 'syncjob.io/v1alpha1', kind: 'SyncJob', metadata: { name }, spec });

/** Waits for the job's phase; the error names the phase and conditions last seen. */
export async function waitForPhase(
  bed: Testbed,
  name: string,
  phase: string,
  timeoutMs = 60_000,
): Promise<SyncJobView> {
  let last: SyncJobView | null = null;
  try {
    await eventually(
      async () => {
        last = await bed.getJob(name);
        return last?.status?.phase === phase;
      },
      `SyncJob ${name} to reach ${phase}`,
      timeoutMs,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; last status: ${JSON.stringify((last as SyncJobView | null)?.status)}`,
    );
  }
  return last as unknown as SyncJobView;
}

/** Waits until the job is Syncing with Ready True (the phase stays Syncing while a stream restarts). */
export async function waitForReady(bed: Testbed, name: string, timeoutMs = 90_000): Promise<SyncJobView> {
  let last: SyncJobView | null = null;
  await eventually(
    async () => {
      last = await bed.getJob(name);
      return (
        last?.status?.phase === 'Syncing' &&
        last.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
      );
    },
    `SyncJob ${name} to be Syncing and Ready`,
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last status: ${JSON.stringify((last as SyncJobView | null)?.status)}`);
  });
  return last as unknown as SyncJobView;
}

/**
 * Every phase the job's status passes through, from a watch: each status write is an event, so a
 * phase that lasts a few milliseconds is seen too. `stop()` returns them in order, repeats collapsed.
 */
export async function recordPhases(bed: Testbed, name: string): Promise<{ stop(): Promise<string[]> }> {
  const phases: string[] = [];
  const request = await new Watch(bed.kc).watch(
    `/apis/${GROUP}/${VERSION}/namespaces/${bed.namespace}/${PLURAL}`,
    { fieldSelector: `metadata.name=${name}` },
    (_type: string, obj: SyncJobView) => {
      const phase = obj.status?.phase;
      if (phase && phases.at(-1) !== phase) phases.push(phase);
    },
    () => undefined,
  );
  return {
    async stop() {
      request.abort();
      return phases;
    },
  };
}
