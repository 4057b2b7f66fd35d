// Whether a status the operator would write says what the stored one says. The API server returns
// keys in its own order and drops null fields of a structural schema, so text comparison would
// write every status on every reconcile (and each write is one more watch event and reconcile).
import { canonicalJson } from './worker-pod.ts';

const withoutNulls = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value ?? {}, (_key, v: unknown) => (v === null ? undefined : v)));

export const sameStatus = (desired: unknown, stored: unknown): boolean =>
  canonicalJson(withoutNulls(desired)) === canonicalJson(withoutNulls(stored));
