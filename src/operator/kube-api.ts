// The operator's side effects on the API server, behind one small interface so the reconcile shell
// reads as a sequence of decisions and the calls stay in one place.
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1ObjectMeta,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import { type API_VERSION, GROUP, KIND, type SyncJobSpec, VERSION } from '../api/v1alpha1/syncjob-spec.ts';
import { SyncError } from '../errors.ts';

export const PLURAL = 'syncjobs';

export interface SyncJobObject {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: V1ObjectMeta & { name: string; namespace: string; uid: string; generation: number };
  spec: SyncJobSpec;
  status?: Record<string, unknown>;
}

export interface OperatorApi {
  getJob(namespace: string, name: string): Promise<SyncJobObject | null>;
  /**
   * Replaces the status and returns the job as stored; fails with a retriable Conflict when the
   * job changed since it was read.
   */
  replaceStatus(job: SyncJobObject, status: Record<string, unknown>): Promise<SyncJobObject>;
  /** Sets metadata.finalizers, guarded by the resourceVersion read; returns the job as stored. */
  setFinalizers(job: SyncJobObject, finalizers: string[]): Promise<SyncJobObject>;
  getPod(namespace: string, name: string): Promise<V1Pod | null>;
  createPod(pod: V1Pod): Promise<void>;
  deletePod(namespace: string, name: string): Promise<void>;
  /** Creates the ConfigMap, or replaces its data when it differs. */
  applyConfigMap(configMap: V1ConfigMap): Promise<void>;
  deleteConfigMap(namespace: string, name: string): Promise<void>;
  getSecret(namespace: string, name: string): Promise<V1Secret | null>;
  recordEvent(job: SyncJobObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

const status = (err: unknown): number | undefined => (err instanceof ApiException ? err.code : undefined);

/** null for 404; anything else is raised. */
async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (err) {
    if (status(err) === 404) return null;
    throw err;
  }
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  await orNull(call);
}

/**
 * 409 (or `changedCodes`): someone wrote the object after it was read; reading it again and
 * retrying is the fix.
 */
function conflict(err: unknown, what: string, changedCodes: readonly number[] = [409]): never {
  if (changedCodes.includes(status(err) ?? 0))
    throw new SyncError(`${what}: the object changed since it was read`, {
      retriable: true,
      reason: 'Conflict',
      cause: err,
    });
  throw err;
}

export function kubeOperatorApi(kc: KubeConfig, component = 'syncjob-operator'): OperatorApi {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ref = (namespace: string, name: string) => ({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    name,
  });
  return {
    getJob: (namespace, name) =>
      orNull(custom.getNamespacedCustomObject(ref(namespace, name)) as Promise<SyncJobObject>),

    replaceStatus(job, newStatus) {
      const body = { ...job, status: newStatus };
      return (
        custom.replaceNamespacedCustomObjectStatus({
          ...ref(job.metadata.namespace, job.metadata.name),
          body,
        }) as Promise<SyncJobObject>
      ).catch((err: unknown) =>
        conflict(err, `status of SyncJob ${job.metadata.namespace}/${job.metadata.name}`),
      );
    },

    setFinalizers(job, finalizers) {
      const patch = [
        { op: 'test', path: '/metadata/resourceVersion', value: job.metadata.resourceVersion },
        { op: 'add', path: '/metadata/finalizers', value: finalizers },
      ];
      return (
        (
          custom.patchNamespacedCustomObject(
            { ...ref(job.metadata.namespace, job.metadata.name), body: patch },
            setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
          ) as Promise<SyncJobObject>
        )
          // A failed `test` op answers 422: the resourceVersion moved, as a 409 says.
          .catch((err: unknown) =>
            conflict(err, `finalizers of SyncJob ${job.metadata.namespace}/${job.metadata.name}`, [409, 422]),
          )
      );
    },

    getPod: (namespace, name) => orNull(core.readNamespacedPod({ namespace, name })),
    async createPod(pod) {
      const namespace = pod.metadata?.namespace ?? 'default';
      // 409: the pod exists, and the cache the decision was made from had not seen it yet.
      await core
        .createNamespacedPod({ namespace, body: pod })
        .catch((err: unknown) => conflict(err, `Pod ${namespace}/${pod.metadata?.name ?? ''}`));
    },
    deletePod: (namespace, name) => ignoreNotFound(core.deleteNamespacedPod({ namespace, name })),

    async applyConfigMap(configMap) {
      const namespace = configMap.metadata?.namespace ?? 'default';
      const name = configMap.metadata?.name ?? '';
      const current = await orNull(core.readNamespacedConfigMap({ namespace, name }));
      if (current === null) {
        await core.createNamespacedConfigMap({ namespace, body: configMap });
        return;
      }
      if (JSON.stringify(current.data ?? {}) === JSON.stringify(configMap.data ?? {})) return;
      await core
        .replaceNamespacedConfigMap({
          namespace,
          name,
          body: {
            ...configMap,
            metadata: { ...configMap.metadata, resourceVersion: current.metadata?.resourceVersion },
          },
        })
        .catch((err: unknown) => conflict(err, `ConfigMap ${namespace}/${name}`));
    },
    deleteConfigMap: (namespace, name) => ignoreNotFound(core.deleteNamespacedConfigMap({ namespace, name })),

    getSecret: (namespace, name) => orNull(core.readNamespacedSecret({ namespace, name })),

    async recordEvent(job, type, reason, message) {
      const now = new Date();
      const { namespace, name, uid } = job.metadata;
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: {
            apiVersion: job.apiVersion,
            kind: KIND,
            name,
            namespace,
            uid,
            resourceVersion: job.metadata.resourceVersion,
          },
          type,
          reason,
          // The API server limits an event message to 1 KiB.
          message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
          source: { component },
          reportingComponent: component,
          reportingInstance: component,
          firstTimestamp: now,
          lastTimestamp: now,
          eventTime: undefined,
          count: 1,
        },
      });
    },
  };
}
