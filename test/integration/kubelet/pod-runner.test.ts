import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  KubeConfig,
  type V1Container,
  type V1ContainerStatus,
  type V1Pod,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import { type PodRunner, podLogPath, startPodRunner } from '../../kubelet/pod-runner.ts';
import { eventually } from '../../support/cli-process.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

// The kubelet stand-in against the real API server: each test gets its own namespace and runner.
describe('kubelet stand-in', () => {
  const { kube } = testEnv();
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);

  /** A namespace, a scratch image root and log dir, and (unless `runner: false`) a runner on them. */
  async function setUp(opts: { runner?: boolean } = {}) {
    const namespace = uniqueName('kubelet');
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const scratch = await mkdtemp(path.join(tmpdir(), 'kubelet-test-'));
    const imageRoot = path.join(scratch, 'image');
    const logDir = path.join(scratch, 'logs');
    await mkdir(imageRoot);
    const lines: string[] = [];
    const runner =
      opts.runner === false
        ? undefined
        : await startPodRunner({
            kubeConfig: kc,
            namespace,
            imageRoot,
            logDir,
            logger: (l) => lines.push(l),
          });
    onTestFailed(() => console.log(`runner log:\n${lines.join('\n')}`));
    onTestFinished(async () => {
      await runner?.stop();
      // Without a controller-manager the namespace stays Terminating: issuing the delete is enough.
      await core.deleteNamespace({ name: namespace });
      await rm(scratch, { recursive: true, force: true });
    });
    const read = (name: string) => core.readNamespacedPod({ namespace, name });
    return {
      namespace,
      imageRoot,
      logDir,
      runner: runner as PodRunner,
      create: (pod: V1Pod) => core.createNamespacedPod({ namespace, body: pod }),
      read,
      log: (pod: string) => readFile(podLogPath(logDir, namespace, pod, 'main'), 'utf8').catch(() => ''),
      /** Polls the pod until `check` holds; returns it. */
      async waitFor(name: string, what: string, check: (pod: V1Pod) => boolean): Promise<V1Pod> {
        let pod: V1Pod | undefined;
        await eventually(async () => {
          pod = await read(name).catch(() => undefined);
          return pod !== undefined && check(pod);
        }, `pod ${name}: ${what}`);
        return pod!;
      },
      async waitGone(name: string): Promise<void> {
        await eventually(
          () =>
            read(name).then(
              () => false,
              (e: { code?: number }) => e.code === 404,
            ),
          `pod ${name} gone`,
        );
      },
    };
  }

  const nodePod = (
    name: string,
    script: string,
    container: Partial<V1Container> = {},
    spec: Partial<V1PodSpec> = {},
  ): V1Pod => ({
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      ...spec,
      containers: [{ name: 'main', image: 'syncjob:test', command: ['node', '-e', script], ...container }],
    },
  });
  const phase = (want: string) => (pod: V1Pod) => pod.status?.phase === want;
  const main = (pod: V1Pod) => pod.status?.containerStatuses?.[0] as V1ContainerStatus;
  const condition = (pod: V1Pod, type: string) =>
    pod.status?.conditions?.find((c) => c.type === type)?.status;
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const LONG_RUNNING = `
    process.on('SIGTERM', () => { console.log('got SIGTERM'); setTimeout(() => process.exit(0), 100); });
    console.log('started');
    setInterval(() => {}, 1000);`;

  it('binds the pod, resolves env and volumes like a kubelet and reports Succeeded', async () => {
    const t = await setUp();
    await core.createNamespacedSecret({
      namespace: t.namespace,
      body: { metadata: { name: 'creds' }, stringData: { password: 's3cret', unused: 'x' } },
    });
    await core.createNamespacedConfigMap({
      namespace: t.namespace,
      body: { metadata: { name: 'settings' }, data: { 'app.conf': 'mode=fast', other: 'y' } },
    });
    const script = `
      const fs = require('node:fs');
      const [secret, config, scratch, secretsDir] = process.argv.slice(1);
      const mode = (f) => (fs.statSync(f).mode & 0o777).toString(8);
      console.log(JSON.stringify({
        env: process.env,
        secret: fs.readFileSync(secret, 'utf8'),
        secretMode: mode(secret),
        config: fs.readFileSync(config, 'utf8'),
        configMode: mode(config),
        configKeys: fs.readdirSync(require('node:path').dirname(config)).sort(),
        scratchIsDir: fs.statSync(scratch).isDirectory(),
        viaParent: fs.readFileSync(secretsDir + '/creds/db/password', 'utf8'),
        cwd: process.cwd(),
        version: process.version,
      }));`;
    await t.create(
      nodePod(
        'env-volumes',
        script,
        {
          args: [
            '/var/run/secrets/app/creds/db/password',
            '/etc/settings/app.conf',
            '/scratch',
            '/var/run/secrets/app',
          ],
          env: [
            { name: 'PLAIN', value: 'hello' },
            { name: 'DERIVED', value: '$(PLAIN)-world $$(PLAIN)' },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
            { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'app.conf' } } },
            { name: 'MISSING', valueFrom: { secretKeyRef: { name: 'creds', key: 'nope', optional: true } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          ],
          volumeMounts: [
            { name: 'creds', mountPath: '/var/run/secrets/app/creds' },
            { name: 'settings', mountPath: '/etc/settings/' },
            { name: 'scratch', mountPath: '/scratch' },
          ],
        },
        {
          volumes: [
            {
              name: 'creds',
              secret: {
                secretName: 'creds',
                items: [{ key: 'password', path: 'db/password' }],
                defaultMode: 0o440,
              },
            },
            { name: 'settings', configMap: { name: 'settings' } },
            { name: 'scratch', emptyDir: {} },
          ],
        },
      ),
    );

    const pod = await t.waitFor('env-volumes', 'Succeeded', phase('Succeeded'));
    expect(pod.spec?.nodeName).toBe('syncjob-harness');
    const podIP = pod.status?.podIP ?? '';
    expect(podIP).toMatch(/^127\.0\.\d+\.\d+$/);
    expect(podIP).not.toBe('127.0.0.1');
    expect(pod.status?.podIPs).toEqual([{ ip: podIP }]);
    expect(pod.status?.hostIP).toBe('127.0.0.1');
    expect(main(pod)).toMatchObject({ name: 'main', image: 'syncjob:test', restartCount: 0, ready: false });
    expect(main(pod).state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(main(pod).state?.terminated?.message).toBeUndefined();
    expect(condition(pod, 'PodScheduled')).toBe('True');
    expect(condition(pod, 'Ready')).toBe('False');

    const out = JSON.parse(await t.log('env-volumes'));
    expect(out.env).toEqual({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOSTNAME: 'env-volumes',
      SYNCJOB_LISTEN_HOST: podIP,
      PLAIN: 'hello',
      DERIVED: 'hello-world $(PLAIN)',
      PASSWORD: 's3cret',
      MODE: 'mode=fast',
      POD_IP: podIP,
      POD_NAME: 'env-volumes',
      POD_NAMESPACE: t.namespace,
    });
    expect(out).toMatchObject({
      secret: 's3cret',
      secretMode: '440',
      config: 'mode=fast',
      configMode: '644',
      configKeys: ['app.conf', 'other'],
      scratchIsDir: true,
      viaParent: 's3cret',
      cwd: t.imageRoot,
      version: process.version,
    });
  });

  it('reports a failing container as Failed with the last log lines as its message', async () => {
    const t = await setUp();
    const script = `
      for (let i = 1; i <= 200; i++) console.log('line ' + i);
      console.error('fatal: no such table');
      process.exit(3);`;
    await t.create(nodePod('fails', script, { terminationMessagePolicy: 'FallbackToLogsOnError' }));
    await t.create(nodePod('fails-quietly', script));

    const pod = await t.waitFor('fails', 'Failed', phase('Failed'));
    const terminated = main(pod).state?.terminated;
    expect(terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    const message = terminated?.message ?? '';
    expect(message.trimEnd().split('\n').at(-1)).toBe('fatal: no such table');
    expect(message).toContain('line 200\n');
    expect(message.trimEnd().split('\n').length).toBeLessThanOrEqual(80);
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(2048);

    const quiet = await t.waitFor('fails-quietly', 'Failed', phase('Failed'));
    expect(main(quiet).state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(main(quiet).state?.terminated?.message).toBeUndefined();
  });

  it('terminates a deleted pod with SIGTERM, then deletes the object', async () => {
    const t = await setUp();
    await t.create(nodePod('long', LONG_RUNNING, {}, { terminationGracePeriodSeconds: 20 }));
    const pod = await t.waitFor(
      'long',
      'Running and Ready',
      (p) => phase('Running')(p) && condition(p, 'Ready') === 'True',
    );
    expect(main(pod).state?.running).toBeDefined();
    expect(main(pod)).toMatchObject({ ready: true, started: true });
    await eventually(async () => (await t.log('long')).includes('started'), 'the SIGTERM handler');
    const [pid] = t.runner.pods().find((p) => p.name === 'long')?.pids ?? [];
    expect(alive(pid!)).toBe(true);

    await core.deleteNamespacedPod({ namespace: t.namespace, name: 'long' });
    await t.waitGone('long');
    expect(await t.log('long')).toContain('got SIGTERM');
    expect(alive(pid!)).toBe(false);
    expect(t.runner.pods()).toEqual([]);
    const podDirs = async () =>
      (await readdir(tmpdir())).filter((f) => f.startsWith(`syncjob-pod-${t.namespace}_`));
    await eventually(async () => (await podDirs()).length === 0, 'the pod directory to be removed');

    // The same name again is a new pod (what an operator does after replacing one).
    await t.create(nodePod('long', LONG_RUNNING));
    const again = await t.waitFor('long', 'Running', phase('Running'));
    expect(again.metadata?.uid).not.toBe(pod.metadata?.uid);
    expect(t.runner.pods().map((p) => p.name)).toEqual(['long']);
  });

  it('kills a pod that ignores SIGTERM when its grace period ends', async () => {
    const t = await setUp();
    const script = `
      process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
      console.log('started');
      setInterval(() => {}, 1000);`;
    await t.create(nodePod('stubborn', script, {}, { terminationGracePeriodSeconds: 1 }));
    await t.waitFor('stubborn', 'Running', phase('Running'));
    await eventually(async () => (await t.log('stubborn')).includes('started'), 'the SIGTERM handler');
    const [pid] = t.runner.pods()[0]?.pids ?? [];

    const started = Date.now();
    await core.deleteNamespacedPod({ namespace: t.namespace, name: 'stubborn' });
    await t.waitGone('stubborn');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await t.log('stubborn')).toContain('ignoring SIGTERM');
    expect(alive(pid!)).toBe(false);
  });

  it('kills the process at once when the pod is removed with grace 0', async () => {
    const t = await setUp();
    await t.create(nodePod('forced', LONG_RUNNING));
    await t.waitFor('forced', 'Running', phase('Running'));
    const [pid] = t.runner.pods()[0]?.pids ?? [];

    await core.deleteNamespacedPod({ namespace: t.namespace, name: 'forced', gracePeriodSeconds: 0 });
    await eventually(() => !alive(pid!), 'the process to end', 5000);
    expect(await t.log('forced')).not.toContain('got SIGTERM');
  });

  it('reflects an httpGet readiness probe on the pod IP, with two pods on the same port', async () => {
    const t = await setUp();
    // Answers 503 to the first probe, then 200: the pod must run unready for a while first.
    const script = `
      let n = 0;
      require('node:http').createServer((req, res) => {
        n++;
        console.log('probe ' + n + ' ' + req.url);
        res.writeHead(n === 1 ? 503 : 200).end();
      }).listen(18181, process.env.SYNCJOB_LISTEN_HOST);`;
    const probe = (port: number | string) => ({
      ports: [{ name: 'http', containerPort: 18181 }],
      readinessProbe: { httpGet: { path: '/readyz', port }, periodSeconds: 1 },
    });
    await t.create(nodePod('web-a', script, probe('http')));
    await t.create(nodePod('web-b', script, probe(18181)));

    const seenUnready = await t.waitFor('web-a', 'Running', phase('Running'));
    expect(condition(seenUnready, 'Ready')).toBe('False');
    const a = await t.waitFor('web-a', 'Ready', (p) => condition(p, 'Ready') === 'True');
    const b = await t.waitFor('web-b', 'Ready', (p) => condition(p, 'Ready') === 'True');
    for (const pod of [a, b]) {
      expect(condition(pod, 'ContainersReady')).toBe('True');
      expect(main(pod).ready).toBe(true);
      expect(await t.log(pod.metadata!.name!)).toMatch(/^probe 1 \/readyz\nprobe 2 \/readyz\n/);
    }
    expect(a.status?.podIP).not.toBe(b.status?.podIP);
  });

  it('reports a pod killed with killPod as Failed by SIGKILL', async () => {
    const t = await setUp();
    await t.create(nodePod('victim', LONG_RUNNING));
    await t.waitFor('victim', 'Running', phase('Running'));

    expect(t.runner.killPod(t.namespace, 'victim')).toBe(true);
    const pod = await t.waitFor('victim', 'Failed', phase('Failed'));
    expect(main(pod).state?.terminated).toMatchObject({ exitCode: 137, signal: 9, reason: 'Error' });
    expect(condition(pod, 'Ready')).toBe('False');
    expect(t.runner.killPod(t.namespace, 'victim')).toBe(false);
  });

  it('restarts an OnFailure container, keeping its emptyDir', async () => {
    const t = await setUp();
    const script = `
      const fs = require('node:fs');
      const marker = process.argv[1];
      if (fs.existsSync(marker)) { console.log('second run'); process.exit(0); }
      fs.writeFileSync(marker, 'x');
      console.log('first run');
      process.exit(1);`;
    await t.create(
      nodePod(
        'flaky',
        script,
        { args: ['/work/marker'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
        { restartPolicy: 'OnFailure', volumes: [{ name: 'work', emptyDir: {} }] },
      ),
    );

    const pod = await t.waitFor('flaky', 'Succeeded', phase('Succeeded'));
    expect(main(pod).restartCount).toBe(1);
    expect(main(pod).lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(main(pod).state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await t.log('flaky')).toBe('first run\nsecond run\n');
  });

  it('backs off restarting an Always container, and deletes it at once while it waits', async () => {
    const t = await setUp();
    await t.create(nodePod('crashing', 'process.exit(1)', {}, { restartPolicy: 'Always' }));

    // The first restart is immediate, the second waits 10 s: kubelet's CrashLoopBackOff.
    const pod = await t.waitFor(
      'crashing',
      'CrashLoopBackOff',
      (p) => main(p)?.state?.waiting?.reason === 'CrashLoopBackOff',
    );
    expect(pod.status?.phase).toBe('Running');
    expect(main(pod)).toMatchObject({ restartCount: 1, ready: false, started: false });
    expect(main(pod).state?.waiting?.message).toMatch(
      /^back-off 10s restarting failed container=main pod=crashing_/,
    );
    expect(main(pod).lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });

    await core.deleteNamespacedPod({ namespace: t.namespace, name: 'crashing' });
    await t.waitGone('crashing');
  });

  it('waits with CreateContainerConfigError until a referenced Secret exists', async () => {
    const t = await setUp();
    const env = [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'late', key: 'token' } } }];
    await t.create(nodePod('patient', 'console.log(process.env.TOKEN)', { env }));

    const waiting = await t.waitFor(
      'patient',
      'waiting',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting !== undefined,
    );
    expect(waiting.status?.phase).toBe('Pending');
    expect(main(waiting).state?.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'secret "late" not found',
    });
    await core.createNamespacedSecret({
      namespace: t.namespace,
      body: { metadata: { name: 'late' }, stringData: { token: 't0k3n' } },
    });
    await t.waitFor('patient', 'Succeeded', phase('Succeeded'));
    expect(await t.log('patient')).toBe('t0k3n\n');
  });

  it('stop() ends every process and leaves the pod status alone', async () => {
    const t = await setUp();
    await t.create(nodePod('left', LONG_RUNNING));
    await t.waitFor('left', 'Running', phase('Running'));
    const [pid] = t.runner.pods()[0]?.pids ?? [];

    await t.runner.stop();
    expect(alive(pid!)).toBe(false);
    expect(await t.log('left')).toContain('got SIGTERM');
    const pod = await t.read('left');
    expect(pod.status?.phase).toBe('Running');
    expect(main(pod).state?.running).toBeDefined();
  });

  it('runs as a CLI that ends its pods on SIGTERM', async () => {
    const t = await setUp({ runner: false });
    const cli = spawn(
      process.execPath,
      [
        fileURLToPath(new URL('../../kubelet/main.ts', import.meta.url)),
        '--image-root',
        t.imageRoot,
        '--log-dir',
        t.logDir,
        '--namespace',
        t.namespace,
      ],
      { env: { ...process.env, KUBECONFIG: kube.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    cli.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    cli.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    onTestFinished(() => {
      cli.kill('SIGKILL');
    });
    await eventually(() => out.includes('Watching pods'), 'the CLI to watch');

    await t.create(nodePod('cli-pod', LONG_RUNNING));
    await t.waitFor('cli-pod', 'Running', phase('Running'));
    const pid = Number(/Started pod \S+\/cli-pod container main on \S+ \(pid (\d+)\)/.exec(out)?.[1]);
    expect(alive(pid)).toBe(true);

    cli.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(out).toMatch(/Stopped pod \S+\/cli-pod container main: exit code 0\n/);
    expect(out).toContain('Stopped\n');
  });
});
