// metav1.LabelSelector semantics over a namespace's labels: every matchLabels pair and every
// matchExpressions requirement must hold; an empty selector selects everything.
import type { NamespaceSelector } from '../api/policy-types.js';

export function selectorMatches(
  selector: NamespaceSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    switch (operator) {
      case 'In':
        if (!has || !values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // An operator the schema did not know (an object from a newer CRD): select nothing.
        return false;
    }
  }
  return true;
}
