// The operator talks to the API server over a few long-lived connections, not one TLS connection per
// request (client-node's default): counted by a proxy between them while it reconciles new jobs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, syncJobYaml, type Testbed, waitForPhase } from '../../support/operator-testbed.ts';
import { sourceSpec } from '../../support/sync-job.ts';
import { proxiedKubeconfig, type TcpProxy } from '../../support/tcp-proxy.ts';
import { testEnv } from '../../support/testenv.ts';

const env = testEnv();
const JOBS = 30;

describe('the operator’s connections to the API server', () => {
  let bed: Testbed;
  let proxy: TcpProxy;

  beforeAll(async () => {
    bed = await startTestbed(env);
    const through = await proxiedKubeconfig(env.kube.kubeconfig);
    proxy = through.proxy;
    bed.startOperator('operator', { kubeconfig: through.kubeconfig });
  }, 180_000);

  afterAll(async () => {
    await bed?.stop();
    await proxy?.close();
  });

  it(`reuses connections while it reconciles ${JOBS} new jobs`, { timeout: 120_000 }, async () => {
    const spec = {
      source: sourceSpec(env),
      target: { brokers: env.kafka.brokers, topic: 'never-written', version: '4.x' },
      objects: [{ database: 'mysql', tables: [{ name: 'user' }] }],
      state: 'paused',
    };
    await bed.kubectl(['apply', '-f', '-'], syncJobYaml('first', spec));
    await waitForPhase(bed, 'first', 'Paused');
    const before = proxy.accepted();
    const names = Array.from({ length: JOBS }, (_, i) => `job-${i}`);
    await bed.kubectl(['apply', '-f', '-'], names.map((n) => syncJobYaml(n, spec)).join('\n---\n'));
    for (const name of names) await waitForPhase(bed, name, 'Paused');
    // Each job took at least one status write; they share the connections already open (a few
    // more when writes overlap), instead of one new connection each.
    expect(proxy.accepted() - before).toBeLessThan(JOBS / 3);
  });
});
