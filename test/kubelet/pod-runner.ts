// A kubelet stand-in for the test API server, which has no nodes: it binds every unscheduled Pod to
// one fake node, runs each container's command as a local process and reports the pod status back,
// so an operator under test sees Pods that schedule, start, get ready, crash and terminate.
// Level-based: every event only queues the pod's key; sync() compares the Pod with what runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import {
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Container,
  type V1EnvVarSource,
  type V1Pod,
  type V1PodCondition,
} from '@kubernetes/client-node';

export type PodRunnerLogger = ((line: string) => void) | { info(msg: string): void; warn(msg: string): void };

export interface PodRunnerOptions {
  kubeConfig: KubeConfig;
  /** Watch one namespace; default all. */
  namespace?: string;
  /** The directory an image's filesystem stands for: every command runs with this cwd. */
  imageRoot: string;
  /** Container logs go to `podLogPath(logDir, …)`. */
  logDir: string;
  /** The node pods are bound to; it need not exist. Default `syncjob-harness`. */
  nodeName?: string;
  logger?: PodRunnerLogger;
}

export interface RunningPod {
  namespace: string;
  name: string;
  podIP: string;
  /** Processes running now, one per running container. */
  pids: number[];
}

export interface PodRunner {
  /** Stops watching and ends every process (SIGTERM, SIGKILL after 5 s); pod statuses stay as they are. */
  stop(): Promise<void>;
  /** Simulates a crash: signals the pod's processes; false when none runs. */
  killPod(namespace: string, name: string, signal?: NodeJS.Signals): boolean;
  pods(): RunningPod[];
}

/** Where a container's stdout and stderr are appended: the stand-in for `kubectl logs`. */
export const podLogPath = (logDir: string, namespace: string, pod: string, container: string): string =>
  path.join(logDir, `${namespace}_${pod}_${container}.log`);

const HOST_IP = '127.0.0.1';
const MANAGED_CONDITIONS = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'];
// kubelet's limits for a termination message taken from the log.
const MESSAGE_LINES = 80;
const MESSAGE_BYTES = 2048;
// kubelet's limit for the terminationMessagePath file.
const TERMINATION_FILE_BYTES = 4096;
const STOP_GRACE_MS = 5000;
const CONFIG_RETRY_MS = 2000;

/** Why a container cannot be created yet; shown as its waiting state, retried. */
class PodConfigError extends Error {
  readonly reason: 'CreateContainerConfigError' | 'ContainerCreating';
  constructor(reason: PodConfigError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

interface Terminated {
  exitCode: number;
  signal?: number;
  reason: 'Completed' | 'Error' | 'StartError';
  message?: string;
  startedAt: string;
  finishedAt: string;
}

interface Container {
  spec: V1Container;
  argv: string[];
  env: Record<string, string>;
  log: string;
  /** The host file behind the container's terminationMessagePath. */
  terminationFile: string;
  restartCount: number;
  child?: ChildProcess;
  exited: Promise<void>;
  startedAt?: string;
  ready: boolean;
  stopProbe?: () => void;
  terminated?: Terminated;
  lastTerminated?: Terminated;
  /** Set while a restart is due (CrashLoopBackOff when in the future). */
  restartAt?: number;
}

interface Run {
  key: string;
  uid: string;
  namespace: string;
  name: string;
  restartPolicy: string;
  ipIndex: number;
  podIP: string;
  dir: string;
  startTime: string;
  /** Undefined until env and volumes resolve; `waiting` says why. */
  containers?: Container[];
  waiting?: { reason: string; message: string };
  /** When the pod is being terminated: the SIGKILL deadline. */
  killAt?: number;
  killTimer?: NodeJS.Timeout;
  timer?: NodeJS.Timeout;
}

type Data = Record<string, Buffer>;
type Lookup = (kind: 'Secret' | 'ConfigMap', name: string) => Promise<Data | undefined>;

export async function startPodRunner(opts: PodRunnerOptions): Promise<PodRunner> {
  const nodeName = opts.nodeName ?? 'syncjob-harness';
  const log = loggerOf(opts.logger);
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  const runs = new Map<string, Run>();
  const usedIps = new Set<number>();
  let stopped = false;
  let stopping: Promise<void> | undefined;
  await mkdir(opts.logDir, { recursive: true });

  const queue = keyQueue(sync, (key, err) => log.warn(`Sync of pod ${key} failed, retrying: ${err}`));
  const ns = opts.namespace;
  const informer = makeInformer<V1Pod>(
    opts.kubeConfig,
    ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods',
    () => (ns ? core.listNamespacedPod({ namespace: ns }) : core.listPodForAllNamespaces()),
  );
  informer.on('change', (pod) => queue.add(`${pod.metadata?.namespace}/${pod.metadata?.name}`));
  // The informer gives up on an error; a kubelet keeps watching.
  informer.on('error', (err) => {
    if (stopped) return;
    log.warn(`Pod watch failed, restarting: ${err}`);
    setTimeout(() => {
      if (!stopped) void informer.start();
    }, 1000);
  });
  await informer.start();

  async function sync(key: string): Promise<void> {
    if (stopped) return;
    const [namespace = '', name = ''] = key.split('/');
    const pod = informer.get(name, namespace);
    let run = runs.get(key);
    if (run && run.uid !== pod?.metadata?.uid) {
      // Removed (or replaced under the same name) without graceful termination: kill at once.
      await teardown(run);
      run = undefined;
    }
    if (!pod?.spec || !pod.metadata?.uid) return;
    const deleting = pod.metadata.deletionTimestamp != null;
    if (!pod.spec.nodeName) {
      if (!deleting) await bind(namespace, name);
      return;
    }
    if (pod.spec.nodeName !== nodeName) return;
    if (!run) {
      if (deleting) return removePod(pod);
      // A finished pod stays finished, as on a node.
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
      run = await newRun(key, pod);
    }
    if (deleting) {
      terminate(run, pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30);
      if (run.containers?.some((c) => c.child)) return; // each exit queues the key again
      await writeStatus(pod, run);
      await removePod(pod);
      await teardown(run);
      return;
    }
    if (!run.containers) await prepare(pod, run);
    startDue(run);
    await writeStatus(pod, run);
  }

  async function bind(namespace: string, name: string): Promise<void> {
    await core
      .createNamespacedPodBinding({
        namespace,
        name,
        body: { metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
      })
      .catch(ignoreStatus(404, 409)); // gone or bound meanwhile: the next event tells
  }

  async function removePod(pod: V1Pod): Promise<void> {
    // What a kubelet does once the containers are gone: only now the API server drops the object.
    await core
      .deleteNamespacedPod({
        namespace: pod.metadata!.namespace!,
        name: pod.metadata!.name!,
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid! } },
      })
      .catch(ignoreStatus(404, 409));
  }

  async function newRun(key: string, pod: V1Pod): Promise<Run> {
    // Every pod gets its own loopback address: 127/8 is all local on Linux.
    let ipIndex = 2;
    while (usedIps.has(ipIndex)) ipIndex++;
    usedIps.add(ipIndex);
    const { namespace = '', name = '', uid = '' } = pod.metadata!;
    const run: Run = {
      key,
      uid,
      namespace,
      name,
      restartPolicy: pod.spec!.restartPolicy ?? 'Always',
      ipIndex,
      podIP: `127.${(ipIndex >> 16) & 255}.${(ipIndex >> 8) & 255}.${ipIndex & 255}`,
      dir: await mkdtemp(path.join(tmpdir(), `syncjob-pod-${namespace}_${name}-`)),
      startTime: now(),
    };
    runs.set(key, run);
    return run;
  }

  /** Resolves env and volumes; on a missing Secret or ConfigMap the pod waits and this is retried. */
  async function prepare(pod: V1Pod, run: Run): Promise<void> {
    const found = new Map<string, Promise<Data | undefined>>();
    const lookup: Lookup = (kind, name) => {
      const key = `${kind}/${name}`;
      if (!found.has(key)) found.set(key, readData(kind, run.namespace, name));
      return found.get(key)!;
    };
    try {
      if (pod.spec!.initContainers?.length) {
        throw new PodConfigError(
          'CreateContainerConfigError',
          'init containers are not supported by the harness',
        );
      }
      const volumes = await materializeVolumes(pod, run.dir, lookup);
      const containers: Container[] = [];
      for (const spec of pod.spec!.containers) {
        const mounted = await mountTree(path.join(run.dir, 'root', spec.name), spec, volumes);
        // The termination message file is mounted like a volume: its path in the command and env
        // is rewritten to a host file of this container.
        const terminationPath = spec.terminationMessagePath ?? '/dev/termination-log';
        const terminationFile = path.join(run.dir, 'termination', spec.name);
        await mkdir(path.dirname(terminationFile), { recursive: true });
        const root = (s: string) => (s === terminationPath ? terminationFile : mounted(s));
        const env = await resolveEnv(pod, spec, run.podIP, lookup);
        const argv = [...(spec.command ?? []), ...(spec.args ?? [])].map((a) => root(expand(a, env)));
        if (argv.length === 0) {
          throw new PodConfigError(
            'CreateContainerConfigError',
            `container ${spec.name} needs a command: images have no entrypoint here`,
          );
        }
        for (const [k, v] of Object.entries(env)) env[k] = root(v);
        const log = podLogPath(opts.logDir, run.namespace, run.name, spec.name);
        containers.push({
          spec,
          argv,
          env,
          log,
          terminationFile,
          restartCount: 0,
          ready: false,
          exited: Promise.resolve(),
        });
      }
      run.containers = containers;
      run.waiting = undefined;
    } catch (err) {
      if (!(err instanceof PodConfigError)) throw err;
      if (run.waiting?.message !== err.message) log.warn(`Pod ${run.key} cannot start yet: ${err.message}`);
      run.waiting = { reason: err.reason, message: err.message };
      schedule(run, CONFIG_RETRY_MS);
    }
  }

  async function readData(kind: 'Secret' | 'ConfigMap', namespace: string, name: string) {
    try {
      if (kind === 'Secret') {
        const secret = await core.readNamespacedSecret({ namespace, name });
        return mapValues(secret.data, (v) => Buffer.from(v, 'base64'));
      }
      const map = await core.readNamespacedConfigMap({ namespace, name });
      return {
        ...mapValues(map.data, (v) => Buffer.from(v)),
        ...mapValues(map.binaryData, (v) => Buffer.from(v, 'base64')),
      };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Starts the containers that never ran and those whose restart is due. */
  function startDue(run: Run): void {
    let next = Number.POSITIVE_INFINITY;
    for (const c of run.containers ?? []) {
      if (c.child || (c.terminated && c.restartAt === undefined)) continue;
      const wait = (c.restartAt ?? 0) - Date.now();
      if (wait > 0) next = Math.min(next, wait);
      else startContainer(run, c);
    }
    if (next < Number.POSITIVE_INFINITY) schedule(run, next);
  }

  function startContainer(run: Run, c: Container): void {
    if (c.terminated) {
      c.lastTerminated = c.terminated;
      c.terminated = undefined;
      c.restartCount++;
    }
    c.restartAt = undefined;
    const [command = '', ...args] = c.argv;
    const fd = openSync(c.log, 'a');
    const logOffset = fstatSync(fd).size;
    // Each run of the container starts with an empty termination message, as with kubelet.
    writeFileSync(c.terminationFile, '');
    const startedAt = now();
    const child = spawn(path.basename(command) === 'node' ? process.execPath : command, args, {
      cwd: opts.imageRoot,
      env: {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: process.env.HOME ?? '/',
        ...c.env,
        HOSTNAME: run.name,
        // The stand-in for the pod's network namespace: the process binds its ports here.
        SYNCJOB_LISTEN_HOST: run.podIP,
      },
      stdio: ['ignore', fd, fd],
      // Its own process group, so that a kill reaches whatever it started, like a pid namespace.
      detached: true,
    });
    closeSync(fd);
    Object.assign(c, { child, startedAt, ready: false });
    let exited = () => {};
    c.exited = new Promise((resolve) => {
      exited = resolve;
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null, startError?: string) => {
      if (c.child !== child) return;
      c.child = undefined;
      c.ready = false;
      c.stopProbe?.();
      if (child.pid) killGroup(child.pid, 'SIGKILL'); // what the pid 1 left behind
      const signum = signal ? constants.signals[signal] : undefined;
      const exitCode = code ?? 128 + (signum ?? 0);
      const written = readHead(c.terminationFile, TERMINATION_FILE_BYTES);
      const fallback = exitCode !== 0 && c.spec.terminationMessagePolicy === 'FallbackToLogsOnError';
      const message = startError ?? (written || (fallback ? logTail(c.log, logOffset) : ''));
      c.terminated = {
        exitCode,
        ...(signum === undefined ? {} : { signal: signum }),
        reason: startError ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error',
        ...(message ? { message } : {}),
        startedAt,
        finishedAt: now(),
      };
      const restart = run.restartPolicy === 'Always' || (run.restartPolicy === 'OnFailure' && exitCode !== 0);
      if (restart && run.killAt === undefined && !stopped)
        c.restartAt = Date.now() + backoffMs(c.restartCount);
      log.info(
        `Stopped pod ${run.key} container ${c.spec.name}: exit code ${exitCode}${signal ? ` (${signal})` : ''}`,
      );
      exited();
      queue.add(run.key);
    };
    child.once('exit', finish);
    child.once('error', (err) => child.pid === undefined && finish(128, null, err.message));
    if (child.pid === undefined) return;
    const verb = c.restartCount ? `Restarted (${c.restartCount})` : 'Started';
    log.info(`${verb} pod ${run.key} container ${c.spec.name} on ${run.podIP} (pid ${child.pid})`);
    c.stopProbe = probeReadiness(run, c, () => queue.add(run.key));
  }

  /**
   * Graceful termination on deletion: SIGTERM once, SIGKILL at the (possibly shortened) deadline.
   * Grace 0 (a forced delete, seen as an update just before the object goes) kills at once.
   */
  function terminate(run: Run, graceSeconds: number): void {
    const deadline = Date.now() + graceSeconds * 1000;
    if (run.killAt !== undefined && run.killAt <= deadline) return;
    const first = run.killAt === undefined;
    run.killAt = deadline;
    for (const c of run.containers ?? []) {
      c.restartAt = undefined;
      if (first && graceSeconds > 0 && c.child?.pid) signalProcess(c.child.pid, 'SIGTERM');
    }
    if (first) log.info(`Killing pod ${run.key} (grace ${graceSeconds}s)`);
    clearTimeout(run.killTimer);
    if (graceSeconds > 0) run.killTimer = setTimeout(() => killAll(run), deadline - Date.now());
    else killAll(run);
  }

  function killAll(run: Run): void {
    for (const c of run.containers ?? []) if (c.child?.pid) killGroup(c.child.pid, 'SIGKILL');
  }

  /** Kills what still runs and forgets the pod: address, directory, timers. */
  async function teardown(run: Run): Promise<void> {
    runs.delete(run.key);
    run.killAt = Date.now();
    clearTimeout(run.timer);
    clearTimeout(run.killTimer);
    killAll(run);
    await Promise.all(run.containers?.map((c) => c.exited) ?? []);
    usedIps.delete(run.ipIndex);
    await rm(run.dir, { recursive: true, force: true });
    log.info(`Removed pod ${run.key}`);
  }

  function schedule(run: Run, ms: number): void {
    clearTimeout(run.timer);
    run.timer = setTimeout(() => queue.add(run.key), ms);
  }

  /** One optimistic merge patch of the whole status; skipped when nothing changed, re-read on conflict. */
  async function writeStatus(cached: V1Pod, run: Run): Promise<void> {
    let pod = cached;
    for (let attempt = 1; ; attempt++) {
      const status = podStatus(pod, run);
      if (Object.entries(status).every(([k, v]) => same(pod.status?.[k as keyof typeof pod.status], v)))
        return;
      try {
        await core.patchNamespacedPodStatus(
          {
            namespace: run.namespace,
            name: run.name,
            body: { metadata: { resourceVersion: pod.metadata?.resourceVersion }, status },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return;
      } catch (err) {
        if (statusOf(err) === 404) return;
        if (statusOf(err) !== 409 || attempt >= 5) throw err;
        pod = await core.readNamespacedPodStatus({ namespace: run.namespace, name: run.name });
      }
    }
  }

  return {
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await informer.stop();
        await queue.idle();
        const all = [...runs.values()];
        runs.clear();
        for (const run of all) {
          clearTimeout(run.timer);
          clearTimeout(run.killTimer);
          for (const c of run.containers ?? []) if (c.child?.pid) signalProcess(c.child.pid, 'SIGTERM');
        }
        const kill = setTimeout(() => all.forEach(killAll), STOP_GRACE_MS);
        await Promise.all(all.flatMap((run) => run.containers?.map((c) => c.exited) ?? []));
        clearTimeout(kill);
        await Promise.all(all.map((run) => rm(run.dir, { recursive: true, force: true })));
      })();
      return stopping;
    },
    killPod(namespace, name, signal = 'SIGKILL') {
      const pids = runs.get(`${namespace}/${name}`)?.containers?.flatMap((c) => c.child?.pid ?? []) ?? [];
      for (const pid of pids) signalProcess(pid, signal);
      return pids.length > 0;
    },
    pods: () =>
      [...runs.values()].map((run) => ({
        namespace: run.namespace,
        name: run.name,
        podIP: run.podIP,
        pids: run.containers?.flatMap((c) => c.child?.pid ?? []) ?? [],
      })),
  };
}

// ---- status ----

function podStatus(pod: V1Pod, run: Run) {
  const containerStatuses = pod.spec!.containers.map((spec, i) =>
    containerStatus(run, spec, run.containers?.[i]),
  );
  const phase = podPhase(run);
  const done = phase === 'Succeeded' || phase === 'Failed';
  const unready = containerStatuses.filter((c) => !c.ready).map((c) => c.name);
  const readiness = unready.length
    ? {
        status: 'False',
        reason: done ? 'PodCompleted' : 'ContainersNotReady',
        ...(done ? {} : { message: `containers with unready status: [${unready.join(' ')}]` }),
      }
    : { status: 'True' };
  const previous = pod.status?.conditions ?? [];
  const wanted: V1PodConditionLike[] = [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Initialized', status: 'True' },
    { type: 'ContainersReady', ...readiness },
    { type: 'Ready', ...readiness },
  ];
  // lastTransitionTime moves only when the condition flips; conditions of others are kept.
  const conditions = [
    ...wanted.map((c) => {
      const old = previous.find((p) => p.type === c.type);
      return { ...c, lastTransitionTime: old?.status === c.status ? old.lastTransitionTime : now() };
    }),
    ...previous.filter((p) => !MANAGED_CONDITIONS.includes(p.type)),
  ];
  return {
    phase,
    conditions,
    hostIP: HOST_IP,
    hostIPs: [{ ip: HOST_IP }],
    podIP: run.podIP,
    podIPs: [{ ip: run.podIP }],
    startTime: run.startTime,
    containerStatuses,
  };
}

type V1PodConditionLike = Pick<V1PodCondition, 'type' | 'status' | 'reason' | 'message'>;

function containerStatus(run: Run, spec: V1Container, c: Container | undefined) {
  const running = c?.child !== undefined;
  const base = {
    name: spec.name,
    image: spec.image ?? '',
    imageID: '',
    restartCount: c?.restartCount ?? 0,
    ready: running && c.ready,
    started: running,
  };
  const last = c?.lastTerminated ? { terminated: c.lastTerminated } : {};
  if (running) return { ...base, state: { running: { startedAt: c.startedAt } }, lastState: last };
  if (c?.terminated && c.restartAt !== undefined) {
    const seconds = Math.round(backoffMs(c.restartCount) / 1000);
    const message = `back-off ${seconds}s restarting failed container=${spec.name} pod=${run.name}_${run.namespace}(${run.uid})`;
    return {
      ...base,
      state: { waiting: { reason: 'CrashLoopBackOff', message } },
      lastState: { terminated: c.terminated },
    };
  }
  if (c?.terminated) return { ...base, state: { terminated: c.terminated }, lastState: last };
  return { ...base, state: { waiting: run.waiting ?? { reason: 'ContainerCreating' } }, lastState: {} };
}

/** kubelet's rule, for containers that all start together. */
function podPhase(run: Run): string {
  const cs = run.containers;
  if (!cs || cs.some((c) => !c.child && !c.terminated)) return 'Pending';
  if (cs.some((c) => c.child || c.restartAt !== undefined)) return 'Running';
  return cs.some((c) => c.terminated?.exitCode !== 0) ? 'Failed' : 'Succeeded';
}

/** kubelet's CrashLoopBackOff: the first restart at once, then 10 s doubling up to 5 min. */
const backoffMs = (restarts: number) =>
  restarts === 0 ? 0 : Math.min(10_000 * 2 ** (restarts - 1), 300_000);

/** Equal as the API server stores it: no fractional seconds, null and {} the same as absent. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (value instanceof Date) return canonical(value.toISOString());
  if (typeof value === 'string') return value.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+Z$/, '$1Z');
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value ?? undefined;
  const entries = Object.keys(value)
    .sort()
    .map((k) => [k, canonical((value as Record<string, unknown>)[k])] as const)
    .filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

// ---- configuration: env and volumes ----

/** envFrom, then env (later wins), with kubelet's `$(VAR)` expansion of plain values. */
async function resolveEnv(pod: V1Pod, c: V1Container, podIP: string, lookup: Lookup) {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const kind = from.secretRef ? 'Secret' : 'ConfigMap';
    const name = ref.name ?? '';
    const data = await lookup(kind, name);
    if (!data && !ref.optional) throw new PodConfigError('CreateContainerConfigError', notFound(kind, name));
    for (const [k, v] of Object.entries(data ?? {})) env[`${from.prefix ?? ''}${k}`] = v.toString();
  }
  for (const e of c.env ?? []) {
    const value = e.valueFrom ? await valueFrom(pod, e.valueFrom, podIP, lookup) : expand(e.value ?? '', env);
    if (value !== undefined) env[e.name] = value;
  }
  return env;
}

async function valueFrom(pod: V1Pod, from: V1EnvVarSource, podIP: string, lookup: Lookup) {
  const ref = from.secretKeyRef ?? from.configMapKeyRef;
  if (ref) {
    const kind = from.secretKeyRef ? 'Secret' : 'ConfigMap';
    const name = ref.name ?? '';
    const data = await lookup(kind, name);
    const value = data?.[ref.key];
    if (value !== undefined) return value.toString();
    if (ref.optional) return undefined;
    const namespace = pod.metadata?.namespace;
    const message = data
      ? `couldn't find key ${ref.key} in ${kind} ${namespace}/${name}`
      : notFound(kind, name);
    throw new PodConfigError('CreateContainerConfigError', message);
  }
  const field = from.fieldRef?.fieldPath ?? '';
  const meta = pod.metadata ?? {};
  const labelled = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(field);
  if (labelled) return (labelled[1] === 'labels' ? meta.labels : meta.annotations)?.[labelled[2]!] ?? '';
  const fields: Record<string, string | undefined> = {
    'metadata.name': meta.name,
    'metadata.namespace': meta.namespace,
    'metadata.uid': meta.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': podIP,
    'status.hostIP': HOST_IP,
  };
  if (field in fields) return fields[field] ?? '';
  const what = from.fieldRef ? `fieldRef ${field}` : 'resourceFieldRef';
  throw new PodConfigError('CreateContainerConfigError', `${what} is not supported by the harness`);
}

const notFound = (kind: string, name: string) => `${kind.toLowerCase()} "${name}" not found`;

/** kubelet's `$(VAR)` expansion: defined variables only, `$$` escapes. */
const expand = (s: string, env: Record<string, string>) =>
  s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name?: string) =>
    name === undefined ? '$' : (env[name] ?? m),
  );

/** Writes each configMap and secret volume (keys or items) and makes each emptyDir: name → directory. */
async function materializeVolumes(pod: V1Pod, dir: string, lookup: Lookup): Promise<Map<string, string>> {
  const dirs = new Map<string, string>();
  for (const v of pod.spec!.volumes ?? []) {
    const target = path.join(dir, 'volumes', v.name);
    dirs.set(v.name, target);
    if (v.emptyDir) {
      await mkdir(target, { recursive: true });
      continue;
    }
    const source = v.secret
      ? { kind: 'Secret' as const, ...v.secret, name: v.secret.secretName ?? '' }
      : v.configMap
        ? { kind: 'ConfigMap' as const, ...v.configMap, name: v.configMap.name ?? '' }
        : undefined;
    if (!source) {
      const message = `volume ${v.name}: the harness supports only configMap, secret and emptyDir volumes`;
      throw new PodConfigError('ContainerCreating', message);
    }
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { recursive: true });
    const data = await lookup(source.kind, source.name);
    if (!data) {
      if (source.optional) continue;
      const message = `MountVolume.SetUp failed for volume "${v.name}" : ${notFound(source.kind, source.name)}`;
      throw new PodConfigError('ContainerCreating', message);
    }
    for (const item of source.items ??
      Object.keys(data).map((key) => ({ key, path: key, mode: undefined }))) {
      const content = data[item.key];
      if (content === undefined) {
        if (source.optional) continue;
        const message = `MountVolume.SetUp failed for volume "${v.name}" : no key ${item.key} in ${source.kind} ${source.name}`;
        throw new PodConfigError('ContainerCreating', message);
      }
      const file = path.join(target, item.path);
      // The API server defaults defaultMode (0644), so a pod's modes always arrive here.
      const mode = item.mode ?? source.defaultMode ?? 0o644;
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      await chmod(file, mode); // exact, whatever the umask
    }
  }
  return dirs;
}

/**
 * We cannot mount, so each container gets a tree of symlinks, `<root><mountPath>` → its volume, and
 * a path in its command, args or env that is a mountPath, lies under one or is a parent of one (a
 * `--secrets-dir` holding several mounts) is rewritten into that tree.
 */
async function mountTree(root: string, c: V1Container, volumes: Map<string, string>) {
  await rm(root, { recursive: true, force: true }); // a retried prepare() starts over
  const mountPaths: string[] = [];
  for (const m of c.volumeMounts ?? []) {
    const volume = volumes.get(m.name);
    if (!volume)
      throw new PodConfigError('CreateContainerConfigError', `volumeMount ${m.name} has no volume`);
    const mountPath = path.posix.normalize(m.mountPath).replace(/(.)\/$/, '$1');
    const target = path.join(volume, m.subPath ?? '');
    await mkdir(target, { recursive: true });
    await mkdir(path.dirname(root + mountPath), { recursive: true });
    await symlink(target, root + mountPath);
    mountPaths.push(mountPath);
  }
  const within = (s: string, dir: string) => dir === '/' || s === dir || s.startsWith(`${dir}/`);
  return (s: string) =>
    s.startsWith('/') && mountPaths.some((m) => within(s, m) || within(m, s.replace(/(.)\/$/, '$1')))
      ? root + s
      : s;
}

// ---- processes, probes, plumbing ----

/** Readiness from `readinessProbe.httpGet` with kubelet's thresholds; without one, ready when started. */
function probeReadiness(run: Run, c: Container, changed: () => void): (() => void) | undefined {
  const probe = c.spec.readinessProbe;
  const get = probe?.httpGet;
  if (!probe || !get) {
    c.ready = true;
    return undefined;
  }
  const port =
    typeof get.port === 'number' || /^\d+$/.test(String(get.port))
      ? Number(get.port)
      : c.spec.ports?.find((p) => p.name === get.port)?.containerPort;
  const url = `${(get.scheme ?? 'HTTP').toLowerCase()}://${get.host ?? run.podIP}:${port}${get.path ?? '/'}`;
  const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
  let successes = 0;
  let failures = 0;
  let active = true;
  let timer: NodeJS.Timeout;
  const tick = async () => {
    const ok = await fetch(url, {
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1000),
    }).then(
      async (res) => {
        await res.body?.cancel();
        return res.status >= 200 && res.status < 400;
      },
      () => false,
    );
    if (!active) return;
    [successes, failures] = ok ? [successes + 1, 0] : [0, failures + 1];
    const ready = ok
      ? c.ready || successes >= (probe.successThreshold ?? 1)
      : c.ready && failures < (probe.failureThreshold ?? 3);
    if (ready !== c.ready) {
      c.ready = ready;
      changed();
    }
    timer = setTimeout(tick, Math.max(1, probe.periodSeconds ?? 10) * 1000);
  };
  timer = setTimeout(tick, (probe.initialDelaySeconds ?? 0) * 1000);
  return () => {
    active = false;
    clearTimeout(timer);
  };
}

/** The container's last log lines, as kubelet takes them for FallbackToLogsOnError. */
/** The first `bytes` of a file, or '' when it is missing. */
function readHead(file: string, bytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0)).toString();
  } finally {
    closeSync(fd);
  }
}

function logTail(file: string, from: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(from, size - MESSAGE_BYTES);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    return buf
      .toString()
      .split('\n')
      .slice(-MESSAGE_LINES - 1)
      .join('\n');
  } finally {
    closeSync(fd);
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

const killGroup = (pid: number, signal: NodeJS.Signals) => signalProcess(-pid, signal);

/** A key is never synced twice at once; added while running, it runs once more. Failures retry after 1 s. */
function keyQueue(work: (key: string) => Promise<void>, onError: (key: string, err: unknown) => void) {
  const active = new Map<string, { again: boolean; done: Promise<void> }>();
  const drain = async (key: string, entry: { again: boolean }) => {
    do {
      entry.again = false;
      try {
        await work(key);
      } catch (err) {
        onError(key, err);
        entry.again = true;
        await new Promise((r) => setTimeout(r, 1000));
      }
    } while (entry.again);
    active.delete(key);
  };
  return {
    add(key: string): void {
      const entry = active.get(key);
      if (entry) {
        entry.again = true;
        return;
      }
      const created = { again: false, done: Promise.resolve() };
      active.set(key, created);
      created.done = drain(key, created);
    },
    idle: async () => {
      await Promise.all([...active.values()].map((e) => e.done));
    },
  };
}

function loggerOf(logger: PodRunnerLogger | undefined): { info(msg: string): void; warn(msg: string): void } {
  if (typeof logger === 'function') return { info: logger, warn: logger };
  return logger ?? { info: () => {}, warn: () => {} };
}

const ignoreStatus =
  (...codes: number[]) =>
  (err: unknown) => {
    if (!codes.includes(statusOf(err) ?? 0)) throw err;
  };

const statusOf = (err: unknown) => (err as { code?: number }).code;

const mapValues = (record: Record<string, string> | undefined, f: (v: string) => Buffer): Data =>
  Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, f(v)]));

/** RFC 3339 at the API server's precision, so a re-computed status compares equal. */
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
