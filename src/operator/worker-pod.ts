// The worker pod and its ConfigMap, built as pure functions of the SyncJob. Same input, same
// objects: no timestamps, no random values, so an unchanged job never replaces its worker.
import { createHash } from 'node:crypto';
import type { V1ConfigMap, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { quantityBytes } from '../api/v1alpha1/quantity.ts';
import { API_VERSION, KIND, type SyncJobSpec } from '../api/v1alpha1/syncjob-spec.ts';
import { TERMINATION_MESSAGE_PATH } from '../termination-message.ts';
import { WORKER_NODE_FLAGS } from '../worker/node-flags.ts';
import { DEFAULT_SECRETS_DIR } from '../worker/secrets.ts';

/** The SyncJob as the builders need it; the uid is required for the owner reference. */
export interface WorkerJob {
  metadata: { name: string; namespace?: string; uid: string };
  spec: SyncJobSpec;
}

export interface WorkerPodOptions {
  /** The operator image, used when spec.worker.image is absent. */
  image: string;
  /** Times the worker was replaced after failing (operator-side restarts); shown as an annotation. */
  attempt?: number;
  /** The job's RETRY_ANNOTATION value this pod starts for, if any. */
  retry?: string;
  serviceAccountName?: string;
}

export const CONFIG_HASH_ANNOTATION = 'syncjob.io/config-hash';
export const ATTEMPT_ANNOTATION = 'syncjob.io/attempt';
/**
 * `kubectl annotate sj NAME syncjob.io/retry=$(date +%s) --overwrite` restarts a Failed job (or one
 * waiting out a restart backoff) once its cause is fixed outside the spec; the worker pod carries
 * the value it was started for, so each new value retries once.
 */
export const RETRY_ANNOTATION = 'syncjob.io/retry';
export const JOB_LABEL = 'syncjob.io/job';
export const CONFIG_DIR = '/etc/syncjob';
export const CONFIG_FILE = 'job.yaml';
export const SECRETS_DIR = DEFAULT_SECRETS_DIR;
// Bump when the pod template changes in a way running workers must pick up.
const TEMPLATE_VERSION = 2;
const MAX_NAME = 63;
const SUFFIX = '-worker';
// A numeric non-root user: runAsNonRoot cannot verify a named USER of the image.
const WORKER_UID = 65532;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Object names and label values must fit 63 characters; longer ones keep a prefix and a hash. */
function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = sha256(name).slice(0, 8);
  const prefix = name.slice(0, max - hash.length - 1).replace(/[-.]+$/, '');
  return `${prefix}-${hash}`;
}

/** `<job>-worker`, or a truncated job name plus a hash of the full one when that exceeds 63. */
export const workerName = (jobName: string): string =>
  `${fitName(jobName, MAX_NAME - SUFFIX.length)}${SUFFIX}`;

export const workerLabels = (jobName: string): Record<string, string> => ({
  'app.kubernetes.io/name': 'syncjob-worker',
  'app.kubernetes.io/instance': fitName(jobName, MAX_NAME),
  'app.kubernetes.io/managed-by': 'syncjob-operator',
  [JOB_LABEL]: fitName(jobName, MAX_NAME),
});

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export const workerImage = (job: WorkerJob, opts: Pick<WorkerPodOptions, 'image'>): string =>
  job.spec.worker.image ?? opts.image;

/** Hash of what the pod runs: the spec and the image (and the template version), nothing else. */
export const configHash = (job: WorkerJob, opts: Pick<WorkerPodOptions, 'image'>): string =>
  sha256(canonicalJson({ template: TEMPLATE_VERSION, image: workerImage(job, opts), spec: job.spec }));

const ownerReferences = (job: WorkerJob) => [
  {
    apiVersion: API_VERSION,
    kind: KIND,
    name: job.metadata.name,
    uid: job.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  },
];

/** The manifest the worker reads: the spec and the identity it needs, references to secrets only. */
export function workerConfigMap(job: WorkerJob): V1ConfigMap {
  const manifest = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: job.metadata.name,
      ...(job.metadata.namespace === undefined ? {} : { namespace: job.metadata.namespace }),
      // The worker derives its transactional id and default server id from the uid.
      uid: job.metadata.uid,
    },
    spec: job.spec,
  };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: workerName(job.metadata.name),
      ...(job.metadata.namespace === undefined ? {} : { namespace: job.metadata.namespace }),
      labels: workerLabels(job.metadata.name),
      ownerReferences: ownerReferences(job),
    },
    data: { [CONFIG_FILE]: stringify(manifest, { sortMapEntries: true }) },
  };
}

/** Every Secret the spec references, by name, with the keys the worker reads from it. */
export function referencedSecrets(spec: SyncJobSpec): Map<string, string[]> {
  const refs: [string, string][] = [[spec.source.passwordSecretRef.name, spec.source.passwordSecretRef.key]];
  for (const tls of [spec.source.tls, spec.target.tls]) {
    if (tls.caSecretRef) refs.push([tls.caSecretRef.name, tls.caSecretRef.key]);
    const cert = tls.clientCertSecretRef;
    if (cert) refs.push([cert.name, cert.certKey], [cert.name, cert.keyKey]);
  }
  const sasl = spec.target.sasl?.secretRef;
  if (sasl) refs.push([sasl.name, sasl.usernameKey], [sasl.name, sasl.passwordKey]);
  const byName = new Map<string, Set<string>>();
  for (const [name, key] of refs) byName.set(name, (byName.get(name) ?? new Set()).add(key));
  return new Map(
    [...byName.keys()]
      .sort()
      .map((name) => [name, [...(byName.get(name) ?? [])].sort()] as [string, string[]]),
  );
}

/** V8's heap at 75 % of the container limit, leaving room for buffers and code outside the heap. */
export function maxOldSpaceMiB(memoryLimit: string | number | undefined): number | undefined {
  if (memoryLimit === undefined) return undefined;
  const bytes = quantityBytes(memoryLimit);
  if (bytes === undefined) return undefined;
  const mib = Math.floor((bytes * 0.75) / 2 ** 20);
  return mib >= 1 ? mib : undefined;
}

const asStrings = (r: Record<string, string | number> | undefined) =>
  r === undefined ? undefined : Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]));

// DNS-label volume names, stable for a Secret whatever other Secrets are referenced.
const secretVolumeName = (secret: string) => `secret-${sha256(secret).slice(0, 12)}`;

export function workerPod(job: WorkerJob, opts: WorkerPodOptions): V1Pod {
  const { spec } = job;
  const name = workerName(job.metadata.name);
  const secrets = referencedSecrets(spec);
  const volumes: V1Volume[] = [
    { name: 'config', configMap: { name, items: [{ key: CONFIG_FILE, path: CONFIG_FILE }] } },
    // readOnlyRootFilesystem: Node and its libraries may still want a scratch directory.
    { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
  ];
  const mounts: V1VolumeMount[] = [
    { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  for (const [secret, keys] of secrets) {
    // Only the referenced keys, read by the worker's SecretResolver as <dir>/<name>/<key>.
    volumes.push({
      name: secretVolumeName(secret),
      secret: { secretName: secret, items: keys.map((key) => ({ key, path: key })), defaultMode: 0o440 },
    });
    mounts.push({ name: secretVolumeName(secret), mountPath: `${SECRETS_DIR}/${secret}`, readOnly: true });
  }
  const resources = spec.worker.resources;
  const heapMiB = maxOldSpaceMiB(resources?.limits?.memory);
  const requests = asStrings(resources?.requests);
  const limits = asStrings(resources?.limits);
  const probe = (path: string) => ({
    httpGet: { path, port: 'metrics' },
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      ...(job.metadata.namespace === undefined ? {} : { namespace: job.metadata.namespace }),
      labels: workerLabels(job.metadata.name),
      annotations: {
        [CONFIG_HASH_ANNOTATION]: configHash(job, opts),
        [ATTEMPT_ANNOTATION]: String(opts.attempt ?? 0),
        ...(opts.retry === undefined ? {} : { [RETRY_ANNOTATION]: opts.retry }),
      },
      ownerReferences: ownerReferences(job),
    },
    spec: {
      // The operator replaces a failed worker itself, with backoff, and sees why it stopped.
      restartPolicy: 'Never',
      // The worker never calls the API server.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(opts.serviceAccountName === undefined ? {} : { serviceAccountName: opts.serviceAccountName }),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: WORKER_UID,
        runAsGroup: WORKER_UID,
        fsGroup: WORKER_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'worker',
          image: workerImage(job, opts),
          command: [
            'node',
            ...WORKER_NODE_FLAGS,
            'dist/cli/main.js',
            'worker',
            '-f',
            `${CONFIG_DIR}/${CONFIG_FILE}`,
            '--secrets-dir',
            SECRETS_DIR,
            '--termination-log',
            TERMINATION_MESSAGE_PATH,
          ],
          ...(heapMiB === undefined
            ? {}
            : { env: [{ name: 'NODE_OPTIONS', value: `--max-old-space-size=${heapMiB}` }] }),
          ports: [{ name: 'metrics', containerPort: spec.worker.metricsPort, protocol: 'TCP' }],
          readinessProbe: probe('/readyz'),
          livenessProbe: probe('/healthz'),
          ...(requests === undefined && limits === undefined
            ? {}
            : {
                resources: {
                  ...(requests === undefined ? {} : { requests }),
                  ...(limits === undefined ? {} : { limits }),
                },
              }),
          securityContext: {
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          // A terminal error leaves its reason, message and fix there as JSON (the operator reads
          // it); a crash without one (heap exhaustion) leaves the last log lines for `kubectl describe`.
          terminationMessagePath: TERMINATION_MESSAGE_PATH,
          terminationMessagePolicy: 'FallbackToLogsOnError',
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
  };
}
