// Writes crds/ecsscheduledtasks.yaml (and the kustomize copy) from the schema; with --check, fails
// when the checked-in files differ, so CI catches a schema change whose CRD was not regenerated.
import { readFile, writeFile } from 'node:fs/promises';
import { crdYaml } from '../src/api/crd-yaml.js';

const targets = ['crds/ecsscheduledtasks.yaml', 'manifests/crd/ecsscheduledtasks.yaml'];
const check = process.argv.includes('--check');
const expected = crdYaml();
let drift = false;
for (const target of targets) {
  const actual = await readFile(target, 'utf8').catch(() => '');
  if (actual === expected) continue;
  if (check) {
    console.error(
      `${target} is out of date with src/api/schema.ts: run \`npm run crd:generate\` and commit it`,
    );
    drift = true;
  } else {
    await writeFile(target, expected);
    console.log(`wrote ${target}`);
  }
}
process.exit(drift ? 1 : 0);
