// SyncJob status conditions (Kubernetes conventions) and the phase shown in `kubectl get`. Every
// condition type and the operator's own reasons live here; the terminal reasons a worker raises
// come from src/reasons.ts.
import type { SyncJobSpec } from '../api/v1alpha1/syncjob-spec.ts';
import { Phase } from '../api/v1alpha1/syncjob-status.ts';
import { TERMINAL_REASONS as TERMINAL_REGISTRY } from '../reasons.ts';

export const ConditionType = {
  Ready: 'Ready',
  PrecheckSucceeded: 'PrecheckSucceeded',
  Initialized: 'Initialized',
  Streaming: 'Streaming',
  Stalled: 'Stalled',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** The order conditions are written in: fixed, so an unchanged status compares equal. */
export const CONDITION_TYPES: readonly ConditionType[] = [
  ConditionType.Ready,
  ConditionType.PrecheckSucceeded,
  ConditionType.Initialized,
  ConditionType.Streaming,
  ConditionType.Stalled,
];

export const Reason = {
  // Ready / lifecycle
  Pending: 'Pending',
  Prechecking: 'Prechecking',
  PrecheckPassed: 'PrecheckPassed',
  PrecheckFailed: 'PrecheckFailed',
  Paused: 'Paused',
  Deleting: 'Deleting',
  WorkerStarting: 'WorkerStarting',
  WorkerRestarting: 'WorkerRestarting',
  WorkerOutOfMemory: 'WorkerOutOfMemory',
  WorkerUpdating: 'WorkerUpdating',
  Initializing: 'Initializing',
  InitializationComplete: 'InitializationComplete',
  StreamRunning: 'StreamRunning',
  StreamNotRunning: 'StreamNotRunning',
  Syncing: 'Syncing',
  NoTerminalError: 'NoTerminalError',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Worker reasons after which retrying cannot help: the job stops until the spec or the source changes. */
export const TERMINAL_REASONS: ReadonlySet<string> = new Set(Object.keys(TERMINAL_REGISTRY));

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  /** RFC 3339, seconds precision (metav1.Time). */
  lastTransitionTime: string;
  observedGeneration: number;
}

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export { Phase };

export const kubeTime = (now: Date): string => now.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Returns the list with `update` applied. lastTransitionTime moves only when the status flips, so
 * a new message or reason does not look like a transition. The input is not modified; the result
 * is in CONDITION_TYPES order (other types after, by name) so equal statuses compare deep-equal.
 */
export function setCondition(
  list: readonly Condition[],
  update: ConditionUpdate,
  now: Date,
  observedGeneration: number,
): Condition[] {
  const previous = list.find((c) => c.type === update.type);
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message,
    lastTransitionTime:
      previous !== undefined && previous.status === update.status
        ? previous.lastTransitionTime
        : kubeTime(now),
    observedGeneration,
  };
  return sortConditions([...list.filter((c) => c.type !== update.type), next]);
}

function sortConditions(list: Condition[]): Condition[] {
  const rank = (type: string) => {
    const i = (CONDITION_TYPES as readonly string[]).indexOf(type);
    return i === -1 ? CONDITION_TYPES.length : i;
  };
  return list.sort((a, b) => rank(a.type) - rank(b.type) || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

export const findCondition = (list: readonly Condition[], type: string): Condition | undefined =>
  list.find((c) => c.type === type);

const isTrue = (list: readonly Condition[], type: string) => findCondition(list, type)?.status === 'True';

/**
 * The phase for `kubectl get`, a summary of the conditions and spec.state. It is output only:
 * nothing reads it back to decide. Once initialized the phase stays Syncing while the stream
 * reconnects (Ready and Streaming say so), so it does not flap back to Initializing.
 */
export function phaseOf(conditions: readonly Condition[], spec: Pick<SyncJobSpec, 'state'>): Phase {
  if (spec.state === 'paused') return Phase.Paused;
  if (isTrue(conditions, ConditionType.Stalled)) return Phase.Failed;
  const precheck = findCondition(conditions, ConditionType.PrecheckSucceeded);
  if (precheck === undefined) return Phase.Pending;
  if (precheck.status === 'False') return Phase.PrecheckFailed;
  if (precheck.status === 'Unknown') return Phase.Prechecking;
  return isTrue(conditions, ConditionType.Initialized) ? Phase.Syncing : Phase.Initializing;
}
