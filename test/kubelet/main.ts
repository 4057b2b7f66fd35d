// The kubelet stand-in as a process, for running an operator by hand against the test API server:
//   npx node test/kubelet/main.ts --image-root DIR --log-dir DIR [--namespace NS] [--node-name NAME]
// KUBECONFIG comes from the environment. SIGTERM or SIGINT ends every pod process, then the harness.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { startPodRunner } from './pod-runner.ts';

const { values } = parseArgs({
  options: {
    'image-root': { type: 'string' },
    'log-dir': { type: 'string' },
    namespace: { type: 'string' },
    'node-name': { type: 'string' },
  },
});
const imageRoot = values['image-root'];
const logDir = values['log-dir'];
if (!imageRoot || !logDir) {
  console.error('usage: main.ts --image-root DIR --log-dir DIR [--namespace NS] [--node-name NAME]');
  process.exit(2);
}

const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const runner = await startPodRunner({
  kubeConfig,
  imageRoot: path.resolve(imageRoot),
  logDir: path.resolve(logDir),
  namespace: values.namespace,
  nodeName: values['node-name'],
  logger: (line) => console.log(line),
});
console.log(`Watching pods in ${values.namespace ?? 'all namespaces'}`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void runner.stop().then(() => {
      console.log('Stopped');
      // The informer's HTTP agent may keep sockets open; every pod process is gone by now.
      process.exit(0);
    });
  });
}
