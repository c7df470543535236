// The Helm chart carries copies (CRDs, alerts, dashboard) that scripts/sync-chart.ts derives from
// their sources, and its README generated from the values schema; this fails when one was changed
// without `npm run chart:sync`.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  chartDrift,
  chartFiles,
  chartRules,
  chartShardLabelsPolicy,
  KUSTOMIZE_CONTROLLER_USER,
} from '../../../scripts/sync-chart.js';

describe('Helm chart copies (scripts/sync-chart.ts)', () => {
  it('are in step with the CRDs, the alerts, the sharding policy and the dashboard', () => {
    expect(chartFiles().map((f) => f.target)).to.have.length(8);
    expect(
      chartDrift().map((f) => `${f.target} is out of date with ${f.source}: run npm run chart:sync`),
    ).to.deep.equal([]);
  });

  const placeholders: { name: string; input: string; output: string }[] = [
    {
      name: 'the PodMonitor job',
      input: 'absent(up{job="ecs-scheduler-system/ecs-scheduler"} == 1)',
      output: 'absent(up{job="__PROMETHEUS_JOB__"} == 1)',
    },
    {
      name: 'the Lease, qualified by its namespace (not mistaken for the job)',
      input: 'Check the Lease ecs-scheduler-system/ecs-scheduler-leader now',
      output: 'Check the Lease __NAMESPACE__/__LEASE_NAME__ now',
    },
    {
      name: 'the Lease name in a selector',
      input: 'max(leader_election_master_status{name="ecs-scheduler-leader"}) < 1',
      output: 'max(leader_election_master_status{name="__LEASE_NAME__"}) < 1',
    },
    {
      name: 'a runbook URL is left alone',
      input: 'https://github.com/ecs-scheduler/ecs-scheduler/blob/main/README.md#x',
      output: 'https://github.com/ecs-scheduler/ecs-scheduler/blob/main/README.md#x',
    },
  ];
  for (const c of placeholders) {
    it(`puts the release's value placeholder for ${c.name}`, () => {
      const rule = `kind: PrometheusRule\nspec:\n  text: '${c.input}'\n`;
      expect((parse(chartRules(rule)) as { text: string }).text).to.equal(c.output);
    });
  }

  it("gives the chart the sharding policy's spec, with the release's controller in place of kustomize's", () => {
    const spec = chartShardLabelsPolicy(
      readFileSync('manifests/components/sharding/shard-labels-only-policy.yaml', 'utf8'),
    );
    expect(spec).to.not.include(KUSTOMIZE_CONTROLLER_USER);
    expect(spec).to.include("request.userInfo.username == '__CONTROLLER_USER__'");
    expect(parse(spec)).to.include.keys('validations', 'matchConstraints', 'variables');
  });
});
