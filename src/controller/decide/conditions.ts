// kstatus-style conditions (Ready, Stalled, Reconciling), set with apimachinery's
// setStatusCondition semantics: lastTransitionTime moves only when the status changes, so tools
// that watch conditions (Flux, Argo CD, kubectl wait) see real transitions, not every pass.
import type { Condition } from '../../api/types.js';

export const ConditionType = {
  Ready: 'Ready',
  Stalled: 'Stalled',
  Reconciling: 'Reconciling',
  /** True or False after the newest run that ran (or was missed), its result as the reason. */
  LastRunSucceeded: 'LastRunSucceeded',
} as const;

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ConditionUpdate {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** A new list with `update` applied; the input is left untouched. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === update.type);
  const existing = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message,
    lastTransitionTime:
      existing && existing.status === update.status ? existing.lastTransitionTime : now.toISOString(),
    ...(update.observedGeneration !== undefined ? { observedGeneration: update.observedGeneration } : {}),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

/** Applies several updates in order. */
export function setConditions(
  conditions: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  now: Date,
): Condition[] {
  return updates.reduce<Condition[]>((list, u) => setCondition(list, u, now), [...(conditions ?? [])]);
}
