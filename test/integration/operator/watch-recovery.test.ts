// The operator's connection to the API server breaks (a proxy between them drops every connection
// and refuses new ones for a while): its watches fail, restart with backoff, and a change made
// during the outage is acted on afterwards, without losing the Lease or the process.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, syncJobYaml, type Testbed, waitForPhase } from '../../support/operator-testbed.ts';
import { sourceSpec } from '../../support/sync-job.ts';
import { proxiedKubeconfig, type TcpProxy } from '../../support/tcp-proxy.ts';
import { testEnv, uniqueName } from '../../support/testenv.ts';

const env = testEnv();
const JOB = 'outage';

describe('the operator through an API server outage', () => {
  let bed: Testbed;
  let proxy: TcpProxy;
  let operator: ReturnType<Testbed['startOperator']>;

  beforeAll(async () => {
    bed = await startTestbed(env);
    const through = await proxiedKubeconfig(env.kube.kubeconfig);
    proxy = through.proxy;
    // A Lease long enough to outlast the outage: only the watches are under test here.
    operator = bed.startOperator('operator', { kubeconfig: through.kubeconfig, leaseSeconds: 30 });
  }, 180_000);

  afterAll(async () => {
    proxy?.cut(false);
    await bed?.stop();
    await proxy?.close();
  });

  it('restarts its watches and acts on a change made while it was cut off', {
    timeout: 120_000,
  }, async () => {
    const topic = uniqueName('outage-missing');
    const spec = {
      source: sourceSpec(env),
      target: { brokers: env.kafka.brokers, topic, version: '4.x' },
      objects: [{ database: 'mysql', tables: [{ name: 'user' }] }],
      state: 'paused',
    };
    await bed.kubectl(['apply', '-f', '-'], syncJobYaml(JOB, spec));
    await waitForPhase(bed, JOB, 'Paused');

    proxy.cut(true);
    await bed.kubectl(['apply', '-f', '-'], syncJobYaml(JOB, { ...spec, state: 'running' }));
    await new Promise((r) => setTimeout(r, 5_000));
    expect((await bed.getJob(JOB))?.status?.phase).toBe('Paused');
    proxy.cut(false);

    // Running now, its topic missing: the precheck fails, which shows the change was seen.
    const job = await waitForPhase(bed, JOB, 'PrecheckFailed', 60_000);
    expect(job.status?.observedGeneration).toBe(job.metadata.generation);
    expect(operator.output()).toMatch(/The watch failed; restarting it/);
    expect(operator.child.exitCode).toBeNull();
    const lease = await bed.kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: bed.namespace, name: 'syncjob-operator' });
    expect(lease.spec?.holderIdentity).toBe('operator');
  });
});
