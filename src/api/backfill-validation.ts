// Offline validation of an EcsTaskBackfill with the schema its CRD is generated from, plus the CEL
// rules' offline twins: the controller's guard for an object that slipped past the API server
// (written before the CRD was installed or upgraded).
import { API_VERSION, BACKFILL_KIND } from './constants.js';
import { EcsTaskBackfill, backfillSpecRules } from './backfill-schema.js';
import type { EcsTaskBackfillResource } from './backfill-types.js';
import { schemaChecker, type ValidationIssue } from './validation.js';

const checkSchema = schemaChecker(EcsTaskBackfill);

/** Every problem with the object, or an empty list when it is a valid EcsTaskBackfill. */
export function validateBackfill(backfill: unknown): ValidationIssue[] {
  const shape = checkSchema(backfill);
  if (shape.length > 0) return shape;
  const b = backfill as EcsTaskBackfillResource;
  const issues: ValidationIssue[] = [];
  if (b.apiVersion !== API_VERSION) issues.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (b.kind !== BACKFILL_KIND) issues.push({ path: 'kind', message: `must be ${BACKFILL_KIND}` });
  for (const rule of backfillSpecRules)
    if (!rule.check(b.spec)) issues.push({ path: rule.path, message: rule.message });
  return issues;
}
