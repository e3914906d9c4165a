// metav1.Condition lists: set one condition, keeping lastTransitionTime when the status did not
// change (so a status write happens only when something a user can see changed).
import type { Condition } from '../core/kube-objects.js';

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

export function setCondition(list: readonly Condition[] | undefined, want: ConditionInput, now: string): Condition[] {
  const others = (list ?? []).filter((c) => c.type !== want.type);
  const prev = (list ?? []).find((c) => c.type === want.type);
  const lastTransitionTime = prev && prev.status === want.status ? prev.lastTransitionTime : now;
  const next: Condition = { ...want, lastTransitionTime };
  if (want.observedGeneration === undefined) delete next.observedGeneration;
  const merged = [...others, next];
  // Keep the order the list already had, so an unchanged list compares equal.
  const order = (list ?? []).map((c) => c.type);
  return merged.sort((a, b) => rank(order, a.type) - rank(order, b.type));
}

function rank(order: string[], type: string): number {
  const i = order.indexOf(type);
  return i < 0 ? order.length : i;
}

export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}
