// Offline validation of an EcsTaskBackfill with the schema its CRD is generated from, plus the CEL
// rules' offline twins: the controller's guard for an object that slipped past the API server
// (written before the CRD was installed or upgraded).
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { API_VERSION, BACKFILL_KIND } from './constants.js';
import { EcsTaskBackfill, backfillSpecRules } from './backfill-schema.js';
import type { EcsTaskBackfillResource } from './backfill-types.js';
import { closeObjects, messageOf, pathOf, type ValidationIssue } from './validation.js';

// ajv-formats ships CommonJS; its default export arrives wrapped under NodeNext.
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin);

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    ajv.addKeyword('x-kubernetes-validations');
    ajv.addKeyword('x-kubernetes-list-type');
    ajv.addKeyword('x-kubernetes-list-map-keys');
    validator = ajv.compile(
      closeObjects(JSON.parse(JSON.stringify(EcsTaskBackfill)) as Record<string, unknown>),
    );
  }
  return validator;
}

/** Every problem with the object, or an empty list when it is a valid EcsTaskBackfill. */
export function validateBackfill(backfill: unknown): ValidationIssue[] {
  const validate = schemaValidator();
  if (!validate(backfill)) {
    const seen = new Set<string>();
    return (validate.errors ?? [])
      .map((e) => ({ path: pathOf(e), message: messageOf(e) }))
      .filter((i) => !seen.has(`${i.path}:${i.message}`) && Boolean(seen.add(`${i.path}:${i.message}`)));
  }
  const b = backfill as EcsTaskBackfillResource;
  const issues: ValidationIssue[] = [];
  if (b.apiVersion !== API_VERSION) issues.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (b.kind !== BACKFILL_KIND) issues.push({ path: 'kind', message: `must be ${BACKFILL_KIND}` });
  for (const rule of backfillSpecRules)
    if (!rule.check(b.spec)) issues.push({ path: rule.path, message: rule.message });
  return issues;
}
