import { stringify } from 'yaml';
import { buildAdmissionPolicy } from './admission-policy.js';
import { buildBackfillCrd, buildCalendarCrd, buildCrd, buildPolicyCrd } from './crd.js';

const HEADER = '# Generated from src/api/schema.ts by `npm run crd:generate`. Do not edit by hand.\n';
const POLICY_HEADER =
  '# Generated from src/api/policy-schema.ts by `npm run crd:generate`. Do not edit by hand.\n';

/** The CRD as the YAML document that is checked in and that `ecs-scheduler crd` prints. */
export function crdYaml(): string {
  return HEADER + stringify(buildCrd(), { lineWidth: 0 });
}

/** The EcsSchedulerPolicy CRD, checked in beside the first. */
export function policyCrdYaml(): string {
  return POLICY_HEADER + stringify(buildPolicyCrd(), { lineWidth: 0 });
}

/** The EcsTaskBackfill CRD, checked in beside the others. */
export function backfillCrdYaml(): string {
  return (
    '# Generated from src/api/backfill-schema.ts by `npm run crd:generate`. Do not edit by hand.\n' +
    stringify(buildBackfillCrd(), { lineWidth: 0 })
  );
}

/** The EcsScheduleCalendar CRD, checked in beside the others. */
export function calendarCrdYaml(): string {
  return (
    '# Generated from src/api/calendar-schema.ts by `npm run crd:generate`. Do not edit by hand.\n' +
    stringify(buildCalendarCrd(), { lineWidth: 0 })
  );
}

/** The optional ValidatingAdmissionPolicy and its binding, as one YAML stream. */
export function admissionPolicyYaml(): string {
  return (
    '# Generated from src/api/admission-policy.ts by `npm run crd:generate`. Do not edit by hand.\n' +
    buildAdmissionPolicy()
      .map((doc) => stringify(doc, { lineWidth: 0 }))
      .join('---\n')
  );
}
