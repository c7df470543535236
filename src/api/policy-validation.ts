// Offline validation of an EcsSchedulerPolicy with the schema its CRD is generated from, plus the
// CEL rules' offline twins. Used by standalone mode (policies are documents in the manifests
// folder) and by `validate`.
import { API_VERSION, POLICY_KIND } from './constants.js';
import { EcsSchedulerPolicy, policySpecRules } from './policy-schema.js';
import type { EcsSchedulerPolicyResource } from './policy-types.js';
import { schemaChecker, type ValidationIssue } from './validation.js';

const checkSchema = schemaChecker(EcsSchedulerPolicy);

/** Every problem with the object, or an empty list when it is a valid EcsSchedulerPolicy. */
export function validatePolicy(policy: unknown): ValidationIssue[] {
  const shape = checkSchema(policy);
  if (shape.length > 0) return shape;
  const p = policy as EcsSchedulerPolicyResource;
  const issues: ValidationIssue[] = [];
  if (p.apiVersion !== API_VERSION) issues.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (p.kind !== POLICY_KIND) issues.push({ path: 'kind', message: `must be ${POLICY_KIND}` });
  if (!p.metadata.name) issues.push({ path: 'metadata.name', message: 'required field is missing' });
  for (const rule of policySpecRules)
    if (!rule.check(p.spec)) issues.push({ path: rule.path, message: rule.message });
  for (const [i, req] of (p.spec.namespaceSelector.matchExpressions ?? []).entries()) {
    const needsValues = req.operator === 'In' || req.operator === 'NotIn';
    if (needsValues !== (req.values?.length ?? 0) > 0)
      issues.push({
        path: `spec.namespaceSelector.matchExpressions[${i}].values`,
        message: needsValues
          ? `must not be empty for operator ${req.operator}`
          : `must be empty for operator ${req.operator}`,
      });
  }
  return issues;
}
