// When the operator runs the precheck again. A result stays valid while what it checked is the same:
// the spec (apart from spec.state: pausing and resuming changes nothing the precheck looks at), the
// referenced Secrets' versions and the recheck annotation. A failed result is retried on a slow
// timer too, since most fixes (a my.cnf change, a GRANT, a created topic) are invisible to the API.
import { createHash } from 'node:crypto';
import type { SyncJobSpec } from '../api/v1alpha1/syncjob-spec.ts';
import { SyncError } from '../errors.ts';
import type { SecretResolver } from '../worker/secrets.ts';
import type { OperatorApi } from './kube-api.ts';
import type { PrecheckResult } from './plan.ts';
import { canonicalJson } from './worker-pod.ts';

/** `kubectl annotate sj NAME syncjob.io/recheck=$(date +%s) --overwrite` runs the precheck again. */
export const RECHECK_ANNOTATION = 'syncjob.io/recheck';

/** The result as it is kept in status.precheck, with what it was computed from. */
export interface StoredPrecheck extends PrecheckResult {
  fingerprint: string;
  /** RFC 3339. */
  checkedAt: string;
}

export function precheckFingerprint(
  spec: SyncJobSpec,
  secretVersions: Readonly<Record<string, string>>,
  recheck: string | undefined,
): string {
  const { state: _state, ...checked } = spec;
  return createHash('sha256')
    .update(canonicalJson({ spec: checked, secrets: secretVersions, recheck: recheck ?? '' }))
    .digest('hex')
    .slice(0, 16);
}

export function precheckDue(
  previous: StoredPrecheck | undefined,
  fingerprint: string,
  now: Date,
  retryFailedMs: number,
): boolean {
  if (previous === undefined || previous.fingerprint !== fingerprint) return true;
  if (!previous.items.some((i) => i.result === 'Failed')) return false;
  return now.getTime() - new Date(previous.checkedAt).getTime() >= retryFailedMs;
}

/** status.precheck as this operator wrote it, or undefined when absent or of another shape. */
export function storedPrecheck(status: Record<string, unknown> | undefined): StoredPrecheck | undefined {
  const p = status?.precheck as Partial<StoredPrecheck> | null | undefined;
  if (!p || typeof p.fingerprint !== 'string' || typeof p.checkedAt !== 'string' || !Array.isArray(p.items))
    return undefined;
  return p as StoredPrecheck;
}

/** Resolves secret references of a job through the API, as the worker reads them from its volume. */
export function apiSecretResolver(api: OperatorApi, namespace: string): SecretResolver {
  return async (ref) => {
    const secret = await api.getSecret(namespace, ref.name);
    const encoded = secret?.data?.[ref.key];
    if (encoded === undefined)
      throw new SyncError(
        `secret ${namespace}/${ref.name} ${secret ? `has no key ${ref.key}` : 'does not exist'}`,
        {
          retriable: false,
          reason: 'SecretNotFound',
          fix: `create it: kubectl -n ${namespace} create secret generic ${ref.name} --from-literal=${ref.key}=...`,
        },
      );
    return Buffer.from(encoded, 'base64').toString('utf8');
  };
}
