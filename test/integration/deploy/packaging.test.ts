import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { AuthorizationV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import {
  CHART_DIR,
  DEPLOY_FILE,
  DEPLOY_NAMESPACE,
  helmTemplate,
  renderDeploy,
} from '../../../scripts/gen-deploy.ts';
import { workerLabels } from '../../../src/operator/worker-pod.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

// The chart and deploy/syncjob-operator.yaml against helm and the real kube-apiserver: the committed
// manifests are current, the API server accepts them, and the operator's RBAC allows what it does
// and nothing more, checked with a real ServiceAccount token.

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

const CANONICAL_CRD = new URL('../../../crds/syncjob.yaml', import.meta.url);
const RBAC_KINDS = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];

const documents = (yaml: string): KubeObject[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((d): d is KubeObject => d !== null);

describe('packaging: chart and deploy/', () => {
  const { kube } = testEnv();
  const namespaces: string[] = [];
  const clusterObjects: string[] = [];

  const run = (cmd: string, args: string[], input?: string) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const kubectl = (args: string[], input?: string): string => {
    const r = run(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], input);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.out}`);
    return r.out;
  };
  const createNamespace = (name: string) => {
    kubectl(['create', 'namespace', name]);
    namespaces.push(name);
  };

  /** The chart's RBAC objects (and nothing else), rendered as release `name` in namespace `ns`, applied for real. */
  const installRbac = (name: string, ns: string, extra: string[] = []): void => {
    const docs = documents(
      helmTemplate(
        [name, CHART_DIR, '--namespace', ns, '--set', `fullnameOverride=${name}`, ...extra],
        kube.helm,
      ),
    ).filter((d) => RBAC_KINDS.includes(d.kind));
    clusterObjects.push(`clusterrole/${name}`, `clusterrolebinding/${name}`);
    kubectl(['apply', '-f', '-'], docs.map((d) => `---\n${stringify(d)}`).join(''));
  };

  /**
   * `kubectl auth can-i` as ServiceAccount `sa`, with a TokenRequest token rather than impersonation:
   * a SelfSubjectAccessReview, sent directly because can-i needs the CRD in discovery to name syncjobs
   * (and other test files delete and re-create it). Waits until `ready` (namespaces) are allowed.
   */
  const canI = async (ns: string, sa: string, ready: string[]) => {
    const token = kubectl(['create', 'token', sa, '-n', ns, '--duration=10m']).trim();
    const admin = new KubeConfig();
    admin.loadFromFile(kube.kubeconfig);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: admin.clusters,
      users: [{ name: sa, token }],
      contexts: [{ name: sa, cluster: admin.getCurrentCluster()!.name, user: sa }],
      currentContext: sa,
    });
    const api = kc.makeApiClient(AuthorizationV1Api);
    /** `resource` as kubectl writes it: `pods`, `syncjobs.syncjob.io/status`, `leases.coordination.k8s.io`. */
    const can = async (verb: string, resource: string, where: { ns?: string; name?: string } = {}) => {
      const [typed = '', subresource] = resource.split('/');
      const dot = typed.indexOf('.');
      const review = await api.createSelfSubjectAccessReview({
        body: {
          spec: {
            resourceAttributes: {
              verb,
              resource: dot < 0 ? typed : typed.slice(0, dot),
              group: dot < 0 ? '' : typed.slice(dot + 1),
              ...(subresource === undefined ? {} : { subresource }),
              ...(where.ns === undefined ? {} : { namespace: where.ns }),
              ...(where.name === undefined ? {} : { name: where.name }),
            },
          },
        },
      });
      return review.status?.allowed === true;
    };
    // The authorizer sees new bindings through an informer: wait until both bindings count.
    const deadline = Date.now() + 10_000;
    const bound = async () =>
      (await can('create', 'leases.coordination.k8s.io', { ns })) &&
      (await Promise.all(ready.map((n) => can('get', 'syncjobs.syncjob.io', { ns: n })))).every(Boolean);
    while (!(await bound())) {
      if (Date.now() > deadline) throw new Error(`the bindings of ${sa} never took effect`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return can;
  };

  beforeAll(() => {
    // Fails here, not in every test, when helm is missing.
    expect(run(kube.helm, ['version', '--short']).status).toBe(0);
  });

  afterAll(() => {
    for (const obj of clusterObjects)
      run(kube.kubectl, ['--kubeconfig', kube.kubeconfig, 'delete', obj, '--ignore-not-found']);
    // Without a controller-manager these stay Terminating; their names are unique.
    for (const ns of namespaces)
      run(kube.kubectl, ['--kubeconfig', kube.kubeconfig, 'delete', 'namespace', ns, '--wait=false']);
  });

  it('deploy/syncjob-operator.yaml is what the chart renders now', () => {
    const committed = readFileSync(DEPLOY_FILE, 'utf8');
    expect(committed, 'deploy/syncjob-operator.yaml is stale: run `npx node scripts/gen-deploy.ts`').toBe(
      renderDeploy(kube.helm),
    );
  });

  it('has a schema for every value: helm lint --strict is clean, and a wrong or unknown value is refused', () => {
    const lint = run(kube.helm, ['lint', '--strict', CHART_DIR]);
    expect(lint.status, lint.out).toBe(0);
    for (const bad of ['replicas=two', 'metrics.port=0', 'image.pullPolicy=Sometimes', 'replica=2']) {
      const r = run(kube.helm, ['template', 'x', CHART_DIR, '--set', bad]);
      expect(r.status, bad).not.toBe(0);
      expect(r.out, bad).toMatch(/values don't meet the specifications of the schema/);
    }
    const values = parse(readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    const schema = JSON.parse(readFileSync(path.join(CHART_DIR, 'values.schema.json'), 'utf8')) as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(values).sort());
  });

  it('renders, when asked, a ServiceMonitor, a PodMonitor for the workers, the alerts and a NetworkPolicy', () => {
    const docs = documents(
      helmTemplate(
        [
          'syncjob-operator',
          CHART_DIR,
          '--namespace',
          'ops',
          '--set',
          'metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true,prometheusRule.enabled=true',
          '--set',
          'networkPolicy.enabled=true,metrics.serviceMonitor.labels.release=kps',
        ],
        kube.helm,
      ),
    );
    // biome-ignore lint/suspicious/noExplicitAny: rendered manifests, read by path
    const of = (kind: string) => docs.find((d) => d.kind === kind) as any;
    const service = of('Service');
    const monitor = of('ServiceMonitor');
    expect(monitor.metadata.labels.release).toBe('kps');
    // It selects the metrics Service by that Service's labels, at its port's name.
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels))
      expect(service.metadata.labels[k]).toBe(v);
    expect(monitor.spec.endpoints[0].port).toBe(service.spec.ports[0].name);
    // The PodMonitor selects the worker pods as the operator labels them.
    const worker = workerLabels('orders');
    for (const [k, v] of Object.entries(of('PodMonitor').spec.selector.matchLabels))
      expect(worker[k]).toBe(v);
    expect(of('PrometheusRule').spec).toEqual(
      parse(readFileSync(path.join(CHART_DIR, 'files/alerts.yaml'), 'utf8')),
    );
    expect(of('NetworkPolicy').spec.ingress).toEqual([{ ports: [{ port: 'metrics', protocol: 'TCP' }] }]);
    // Off by default: the default install needs no Prometheus Operator.
    const defaults = documents(helmTemplate(['syncjob-operator', CHART_DIR], kube.helm)).map((d) => d.kind);
    for (const kind of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'NetworkPolicy'])
      expect(defaults).not.toContain(kind);
  });

  it('the API server accepts the NetworkPolicy (server dry run, strict fields)', () => {
    const ns = uniqueName('sj-netpol');
    createNamespace(ns);
    const policy = documents(
      helmTemplate(
        ['syncjob-operator', CHART_DIR, '--namespace', ns, '--set', 'networkPolicy.enabled=true'],
        kube.helm,
      ),
    ).filter((d) => d.kind === 'NetworkPolicy');
    const out = kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], stringify(policy[0]));
    expect(out).toMatch(/networkpolicy\.networking\.k8s\.io\/syncjob-operator \w+ \(server dry run\)/);
  });

  it('renders crds/syncjob.yaml through a symlink, never a copy', () => {
    const link = path.join(CHART_DIR, 'crds', 'syncjob.yaml');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../../../crds/syncjob.yaml');
    const rendered = documents(helmTemplate(['syncjob-operator', CHART_DIR, '--include-crds'], kube.helm));
    const crds = rendered.filter((d) => d.kind === 'CustomResourceDefinition');
    expect(crds).toEqual([parse(readFileSync(CANONICAL_CRD, 'utf8'))]);
    // Without --include-crds (helm install's view of templates/) there is no second copy.
    expect(
      documents(helmTemplate(['syncjob-operator', CHART_DIR], kube.helm)).map((d) => d.kind),
    ).not.toContain('CustomResourceDefinition');
  });

  it('runs `syncjob operator` leader-elected, with probes, a /tmp volume and a hardened security context', () => {
    const docs = documents(readFileSync(DEPLOY_FILE, 'utf8'));
    expect(docs[0]).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEPLOY_NAMESPACE } });
    const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as {
      metadata: { namespace: string };
      spec: {
        replicas: number;
        template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
      };
    };
    expect(deployment.metadata.namespace).toBe(DEPLOY_NAMESPACE);
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    const image = 'ghcr.io/syncjob/syncjob-operator:0.1.0';
    expect(container).toMatchObject({
      image,
      args: [
        'operator',
        '--image',
        image,
        '--metrics-port',
        '8080',
        '--leader-election-namespace',
        '$(POD_NAMESPACE)',
        '--lease-name',
        'syncjob-operator',
        '--identity',
        '$(POD_NAME)',
        '--precheck-retry-seconds',
        '300',
      ],
      env: [
        // The heap ceiling (maxHeapMiB): without it Node grows the heap towards the memory limit.
        { name: 'NODE_OPTIONS', value: '--max-old-space-size=128' },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ],
      ports: [{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }],
      livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' } },
      readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' } },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65532,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    });
    expect(pod).toMatchObject({
      serviceAccountName: 'syncjob-operator',
      terminationGracePeriodSeconds: 30,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [{ name: 'tmp', emptyDir: {} }],
    });
  });

  it('watchNamespace adds --namespace and binds the ClusterRole in that namespace only', () => {
    const docs = documents(
      helmTemplate(
        ['syncjob-operator', CHART_DIR, '--namespace', 'ops', '--set', 'watchNamespace=shop'],
        kube.helm,
      ),
    );
    expect(docs.map((d) => d.kind)).not.toContain('ClusterRoleBinding');
    const bindings = docs
      .filter((d) => d.kind === 'RoleBinding')
      .map((d) => [d.metadata.namespace, d.roleRef]);
    expect(bindings).toHaveLength(2);
    expect(bindings).toEqual(
      expect.arrayContaining([
        ['shop', { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'syncjob-operator' }],
        [
          'ops',
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'syncjob-operator-leader-election' },
        ],
      ]),
    );
    const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(deployment.spec.template.spec.containers[0]!.args.slice(-2)).toEqual(['--namespace', 'shop']);
  });

  it('the API server accepts deploy/syncjob-operator.yaml (server dry run, strict fields)', () => {
    // Objects in a namespace need it to exist even in a dry run: the same file, in a fresh namespace.
    const ns = uniqueName('sj-deploy');
    createNamespace(ns);
    const manifest = readFileSync(DEPLOY_FILE, 'utf8').replaceAll(DEPLOY_NAMESPACE, ns);
    const out = kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], manifest);
    for (const expected of [
      'customresourcedefinition.apiextensions.k8s.io/syncjobs.syncjob.io',
      'clusterrole.rbac.authorization.k8s.io/syncjob-operator',
      'clusterrolebinding.rbac.authorization.k8s.io/syncjob-operator',
      'role.rbac.authorization.k8s.io/syncjob-operator-leader-election',
      'rolebinding.rbac.authorization.k8s.io/syncjob-operator-leader-election',
      'serviceaccount/syncjob-operator',
      'service/syncjob-operator-metrics',
      'deployment.apps/syncjob-operator',
    ]) {
      expect(out).toMatch(new RegExp(`${expected.replaceAll('.', '\\.')} \\w+ \\(server dry run\\)`));
    }
  });

  it('grants the operator exactly these rules, and no one else anything', () => {
    const docs = documents(helmTemplate(['syncjob-operator', CHART_DIR, '--namespace', 'ops'], kube.helm));
    // The worker pods mount no token; every binding names the operator's ServiceAccount only.
    for (const binding of docs.filter((d) => d.kind.endsWith('RoleBinding'))) {
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'syncjob-operator', namespace: 'ops' },
      ]);
    }
    const rules = (kind: string) => docs.find((d) => d.kind === kind)?.rules;
    expect(rules('ClusterRole')).toEqual([
      {
        apiGroups: ['syncjob.io'],
        resources: ['syncjobs'],
        verbs: ['get', 'list', 'watch', 'update', 'patch'],
      },
      { apiGroups: ['syncjob.io'], resources: ['syncjobs/status'], verbs: ['get', 'update', 'patch'] },
      { apiGroups: ['syncjob.io'], resources: ['syncjobs/finalizers'], verbs: ['update'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
      },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
    expect(rules('Role')).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['syncjob-operator'],
        verbs: ['get', 'update'],
      },
    ]);
  });

  it("lets the operator's ServiceAccount do its work in every namespace, and nothing more", async () => {
    const name = uniqueName('sj-rbac');
    const other = uniqueName('sj-other');
    createNamespace(name);
    createNamespace(other);
    installRbac(name, name);
    const can = await canI(name, name, [other]);
    const here = { ns: name };
    const there = { ns: other };
    type Where = { ns?: string; name?: string };
    const allowed = async (verb: string, resource: string, where: Where = there) =>
      expect(await can(verb, resource, where), `${verb} ${resource} in ${where.ns ?? 'all'}`).toBe(true);
    const denied = async (verb: string, resource: string, where: Where = there) =>
      expect(await can(verb, resource, where), `${verb} ${resource} in ${where.ns ?? 'all'}`).toBe(false);

    for (const verb of ['list', 'watch']) await allowed(verb, 'syncjobs.syncjob.io', {});
    for (const verb of ['get', 'update', 'patch']) await allowed(verb, 'syncjobs.syncjob.io');
    for (const verb of ['get', 'update', 'patch']) await allowed(verb, 'syncjobs.syncjob.io/status');
    await allowed('update', 'syncjobs.syncjob.io/finalizers');
    for (const verb of ['get', 'list', 'watch', 'create', 'delete']) await allowed(verb, 'pods');
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'delete'])
      await allowed(verb, 'configmaps');
    for (const verb of ['get', 'list', 'watch']) await allowed(verb, 'secrets');
    for (const verb of ['create', 'patch']) await allowed(verb, 'events');
    for (const verb of ['create', 'patch']) await allowed(verb, 'events.events.k8s.io');
    await allowed('create', 'leases.coordination.k8s.io', here);
    for (const verb of ['get', 'update'])
      await allowed(verb, 'leases.coordination.k8s.io', { ...here, name });

    for (const verb of ['create', 'update', 'patch', 'delete']) await denied(verb, 'secrets');
    for (const verb of ['create', 'delete']) await denied(verb, 'syncjobs.syncjob.io');
    for (const verb of ['update', 'patch']) await denied(verb, 'pods');
    await denied('create', 'pods/exec');
    await denied('get', 'pods/log');
    await denied('create', 'deployments.apps');
    await denied('create', 'deployments.apps', here);
    await denied('list', 'nodes', {});
    await denied('create', 'clusterroles.rbac.authorization.k8s.io', {});
    await denied('update', 'customresourcedefinitions.apiextensions.k8s.io', {});
    // Leases: only its own, only in its own namespace.
    await denied('update', 'leases.coordination.k8s.io', { ns: other, name });
    await denied('create', 'leases.coordination.k8s.io', there);
    await denied('update', 'leases.coordination.k8s.io', { ...here, name: 'someone-else' });
    await denied('delete', 'leases.coordination.k8s.io', { ...here, name });
    await denied('list', 'leases.coordination.k8s.io', here);
  });

  it('with watchNamespace, reaches SyncJobs, pods and secrets of that namespace only', async () => {
    const name = uniqueName('sj-rbac');
    const watched = uniqueName('sj-watched');
    const other = uniqueName('sj-other');
    for (const ns of [name, watched, other]) createNamespace(ns);
    installRbac(name, name, ['--set', `watchNamespace=${watched}`]);
    const can = await canI(name, name, [watched]);

    expect(await can('watch', 'syncjobs.syncjob.io', { ns: watched })).toBe(true);
    expect(await can('update', 'syncjobs.syncjob.io/status', { ns: watched })).toBe(true);
    expect(await can('create', 'pods', { ns: watched })).toBe(true);
    expect(await can('get', 'secrets', { ns: watched })).toBe(true);
    expect(await can('update', 'leases.coordination.k8s.io', { ns: name, name })).toBe(true);

    expect(await can('watch', 'syncjobs.syncjob.io')).toBe(false);
    expect(await can('watch', 'syncjobs.syncjob.io', { ns: other })).toBe(false);
    expect(await can('create', 'pods', { ns: other })).toBe(false);
    expect(await can('get', 'secrets', { ns: other })).toBe(false);
    expect(await can('get', 'secrets', { ns: name })).toBe(false);
  });
});
