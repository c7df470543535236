// Writes the CRDs (crds/ and the kustomize copies in manifests/crd/) and the optional admission
// policy (manifests/components/admission-policy/) from their TypeScript sources; with
// --check, fails when a checked-in file differs, so CI catches a schema change whose CRD was not
// regenerated.
import { readFile, writeFile } from 'node:fs/promises';
import {
  admissionPolicyYaml,
  backfillCrdYaml,
  calendarCrdYaml,
  crdYaml,
  policyCrdYaml,
} from '../src/api/crd-yaml.js';

const crds = [
  { source: 'src/api/schema.ts', file: 'ecsscheduledtasks.yaml', yaml: crdYaml() },
  { source: 'src/api/policy-schema.ts', file: 'ecsschedulerpolicies.yaml', yaml: policyCrdYaml() },
  { source: 'src/api/backfill-schema.ts', file: 'ecstaskbackfills.yaml', yaml: backfillCrdYaml() },
  { source: 'src/api/calendar-schema.ts', file: 'ecsschedulecalendars.yaml', yaml: calendarCrdYaml() },
];
const targets = [
  ...crds.flatMap(({ source, file, yaml }) => [
    { source, target: `crds/${file}`, yaml },
    { source, target: `manifests/crd/${file}`, yaml },
  ]),
  {
    source: 'src/api/admission-policy.ts',
    target: 'manifests/components/admission-policy/admission-policy.yaml',
    yaml: admissionPolicyYaml(),
  },
];
const check = process.argv.includes('--check');
let drift = false;
for (const { source, target, yaml: expected } of targets) {
  const actual = await readFile(target, 'utf8').catch(() => '');
  if (actual === expected) continue;
  if (check) {
    console.error(`${target} is out of date with ${source}: run \`npm run crd:generate\` and commit it`);
    drift = true;
  } else {
    await writeFile(target, expected);
    console.log(`wrote ${target}`);
  }
}
process.exit(drift ? 1 : 0);
