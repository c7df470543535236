// Keeps the Helm chart's copies in step with their sources: the CRDs (generated from the schema,
// as crds/ is), the alerts of manifests/components/prometheus, the sharding component's admission
// policy, the Grafana dashboard of
// manifests/monitoring, and the chart's README (scripts/chart-readme.ts, from the values schema). With --check it writes nothing and fails on a difference (CI, and a unit
// test, run it that way), so the chart can never ship an older CRD or other alerts than kustomize.
//
//   node --import tsx scripts/sync-chart.ts [--check]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { backfillCrdYaml, calendarCrdYaml, crdYaml, policyCrdYaml } from '../src/api/crd-yaml.js';
import { chartReadme } from './chart-readme.js';
import { driftOf, writeOrCheck, type GeneratedFile } from './generated-files.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CHART = 'charts/ecs-scheduler';

export type ChartFile = GeneratedFile;

/**
 * The kustomize alerts name the kustomize install (namespace ecs-scheduler-system, PodMonitor job
 * ecs-scheduler-system/ecs-scheduler, Lease ecs-scheduler-leader); the chart's template puts its
 * release's values where these placeholders are.
 */
export function chartRules(ruleYaml: string): string {
  const rule = parse(ruleYaml) as { spec: unknown };
  return stringify(rule.spec, { lineWidth: 0 })
    .replaceAll('ecs-scheduler-system/ecs-scheduler-leader', '__NAMESPACE__/__LEASE_NAME__')
    .replace(/ecs-scheduler-system\/ecs-scheduler(?![\w-])/g, '__PROMETHEUS_JOB__')
    .replaceAll('ecs-scheduler-leader', '__LEASE_NAME__')
    .replaceAll('ecs-scheduler-system', '__NAMESPACE__');
}

/** The kustomize install's controller, as the shard-labels policy names it. */
export const KUSTOMIZE_CONTROLLER_USER = 'system:serviceaccount:ecs-scheduler-system:ecs-scheduler';

/**
 * The spec of the sharding component's ValidatingAdmissionPolicy (its first document), with a
 * placeholder where the chart's template puts its release's service account.
 */
export function chartShardLabelsPolicy(policyYaml: string): string {
  const [policy] = parseAllDocuments(policyYaml).map((d) => d.toJSON() as { spec: unknown });
  return stringify(policy!.spec, { lineWidth: 0 }).replaceAll(
    KUSTOMIZE_CONTROLLER_USER,
    '__CONTROLLER_USER__',
  );
}

export function chartFiles(root = ROOT): ChartFile[] {
  const read = (path: string) => readFileSync(join(root, path), 'utf8');
  const rules = 'manifests/components/prometheus/prometheus-rule.yaml';
  const dashboard = 'manifests/monitoring/grafana-dashboard.json';
  const shardPolicy = 'manifests/components/sharding/shard-labels-only-policy.yaml';
  return [
    { target: `${CHART}/crds/ecsscheduledtasks.yaml`, source: 'src/api/schema.ts', content: crdYaml() },
    {
      target: `${CHART}/crds/ecsschedulerpolicies.yaml`,
      source: 'src/api/policy-schema.ts',
      content: policyCrdYaml(),
    },
    {
      target: `${CHART}/crds/ecstaskbackfills.yaml`,
      source: 'src/api/backfill-schema.ts',
      content: backfillCrdYaml(),
    },
    {
      target: `${CHART}/crds/ecsschedulecalendars.yaml`,
      source: 'src/api/calendar-schema.ts',
      content: calendarCrdYaml(),
    },
    { target: `${CHART}/files/prometheus-rules.yaml`, source: rules, content: chartRules(read(rules)) },
    { target: `${CHART}/files/grafana-dashboard.json`, source: dashboard, content: read(dashboard) },
    {
      target: `${CHART}/files/shard-labels-only-policy.yaml`,
      source: shardPolicy,
      content: chartShardLabelsPolicy(read(shardPolicy)),
    },
    {
      target: `${CHART}/README.md`,
      source: `${CHART}/values.schema.json and values.yaml`,
      content: chartReadme(
        read(`${CHART}/Chart.yaml`),
        read(`${CHART}/values.schema.json`),
        read(`${CHART}/values.yaml`),
      ),
    },
  ];
}

/** The chart files that differ from what their sources give. */
export function chartDrift(root = ROOT): ChartFile[] {
  return driftOf(chartFiles(root), root);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const check = process.argv.includes('--check');
  process.exit(writeOrCheck(chartDrift(), { root: ROOT, check, regenerate: 'npm run chart:sync' }));
}
