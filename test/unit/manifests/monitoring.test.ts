// The PrometheusRule and the Grafana dashboard query only metrics (and labels) that the controller
// really exports: the names are checked against the registry that src/metrics/index.ts builds,
// not against a list copied into this test.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { RUN_RESULTS } from '../../../src/api/schema.js';
import { createMetrics } from '../../../src/metrics/index.js';
import { createShardMetrics } from '../../../src/metrics/shard-metrics.js';
import { REPO_ROOT } from '../../integration/support/env.js';
import { anchorOf, headingAnchors } from '../../support/markdown.js';

// Series Prometheus itself adds for every scrape target (an alert on the controller being absent
// needs one), with the target labels the Prometheus Operator sets on a PodMonitor's targets.
const PROMETHEUS_SERIES: [string, string[]][] = [
  ['up', ['job', 'instance', 'namespace', 'pod', 'container']],
];

const RUNBOOKS = 'docs/operating/runbooks.md';
const RUNBOOK_ANCHORS = headingAnchors(readFileSync(join(REPO_ROOT, RUNBOOKS), 'utf8'));

/** Every series name the registry can expose, with its label names (histograms: the 3 series). */
async function exportedSeries(registry: Registry): Promise<Map<string, string[]>> {
  const series = new Map<string, string[]>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const declared = (registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] })
      .labelNames;
    const labels = [...(declared ?? []), ...metric.values.flatMap((v) => Object.keys(v.labels))];
    if (String(metric.type) === 'histogram') {
      series.set(`${metric.name}_bucket`, [...labels, 'le']);
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
    } else {
      series.set(metric.name, labels);
    }
  }
  return series;
}

// PromQL functions, aggregations and keywords that can appear as bare identifiers.
const PROMQL_WORDS = new Set([
  'abs', 'absent', 'absent_over_time', 'and', 'avg', 'avg_over_time', 'bool', 'by', 'ceil', 'changes',
  'clamp_max', 'clamp_min', 'count', 'count_over_time', 'delta', 'deriv', 'floor', 'group_left',
  'group_right', 'histogram_quantile', 'idelta', 'ignoring', 'increase', 'irate', 'label_replace',
  'max', 'max_over_time', 'min', 'min_over_time', 'offset', 'on', 'or', 'quantile', 'rate',
  'resets', 'round', 'scalar', 'sort', 'sort_desc', 'stddev', 'sum', 'sum_over_time', 'time',
  'timestamp', 'topk', 'bottomk', 'unless', 'vector', 'without',
]); // prettier-ignore

interface Selector {
  readonly metric: string;
  readonly matchers: { label: string; op: string; value: string }[];
}

/** The metric selectors of a PromQL expression (a small parser: enough for our expressions). */
function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  // Grafana variables ($__rate_interval, $job) and range/offset durations are not identifiers.
  let rest = expr.replace(/\$\w+/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  // `by (a, b)` and friends list labels, not metrics.
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const selectorRe = /([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g;
  rest = rest.replace(selectorRe, (_all, metric: string | undefined, body: string) => {
    const matchers = [...body.matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((m) => ({
      label: m[1]!,
      op: m[2]!,
      value: m[3]!,
    }));
    if (!metric) throw new Error(`a selector without a metric name in ${expr}`);
    found.push({ metric, matchers });
    return ' ';
  });
  for (const [word] of rest.replace(/"[^"]*"/g, ' ').matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    if (PROMQL_WORDS.has(word) || /^\d/.test(word) || /^(e|Inf|NaN)$/.test(word)) continue;
    found.push({ metric: word, matchers: [] });
  }
  return found;
}

interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('monitoring manifests', () => {
  let series: Map<string, string[]>;
  let leaseName: string;
  before(async () => {
    // The lease label the controller uses by default (config: --leader-election-id).
    leaseName = 'ecs-scheduler-leader';
    const { registry } = createMetrics({ leaseName });
    createShardMetrics(registry);
    series = await exportedSeries(registry);
    for (const [name, labels] of PROMETHEUS_SERIES) series.set(name, labels);
  });

  function checkExpr(where: string, expr: string): string[] {
    const used = selectors(expr);
    expect(used.length, `${where}: no metric found in ${expr}`).to.be.above(0);
    for (const { metric, matchers } of used) {
      expect(series.has(metric), `${where}: ${metric} is not exported by src/metrics/index.ts`).to.equal(
        true,
      );
      for (const m of matchers) {
        expect(series.get(metric), `${where}: ${metric} has no label ${m.label}`).to.include(m.label);
        if (m.label === 'result' && metric === 'ecs_scheduler_runs_total') {
          for (const v of m.value.split('|')) expect(RUN_RESULTS, `${where}: result ${v}`).to.include(v);
        }
        if (m.label === 'name' && metric === 'leader_election_master_status' && m.op === '=') {
          expect(m.value, `${where}: the lease label`).to.equal(leaseName);
        }
      }
    }
    return used.map((s) => s.metric);
  }

  it('the selector parser finds metrics and their label matchers', () => {
    expect(
      selectors('max(leader_election_master_status{name="x"}) < 1 or absent(leader_election_master_status)'),
    ).to.deep.equal([
      { metric: 'leader_election_master_status', matchers: [{ label: 'name', op: '=', value: 'x' }] },
      { metric: 'leader_election_master_status', matchers: [] },
    ]);
    expect(
      selectors('histogram_quantile(0.99, sum by (le) (rate(a_bucket[$__rate_interval]))) * 1000'),
    ).to.deep.equal([{ metric: 'a_bucket', matchers: [] }]);
  });

  describe('PrometheusRule (components/prometheus/prometheus-rule.yaml)', () => {
    const doc = parseYaml(
      readFileSync(join(REPO_ROOT, 'manifests/components/prometheus/prometheus-rule.yaml'), 'utf8'),
    ) as { kind: string; spec: { groups: { name: string; rules: Rule[] }[] } };
    const rules = doc.spec.groups.flatMap((g) => g.rules);

    it('is a PrometheusRule with the alerts: last run failed, run failed, missed, policy denied, launch delay, not leading, the shards (unassigned, handover stuck, unbalanced), absent', () => {
      expect(doc.kind).to.equal('PrometheusRule');
      expect(rules.map((r) => r.alert)).to.deep.equal([
        'EcsScheduledTaskLastRunFailed',
        'EcsScheduledTaskRunFailed',
        'EcsScheduledTaskScheduleMissed',
        'EcsScheduledTaskPolicyDenied',
        'EcsSchedulerLaunchDelayHigh',
        'EcsSchedulerNotLeading',
        'EcsSchedulerShardUnassigned',
        'EcsSchedulerShardHandoverStuck',
        'EcsSchedulerShardsUnbalanced',
        'EcsSchedulerAbsent',
      ]);
      for (const r of rules) {
        expect(r.labels?.severity, `${r.alert}: severity`).to.be.oneOf(['info', 'warning', 'critical']);
        expect(r.annotations?.summary, `${r.alert}: summary`).to.be.a('string');
        expect(r.annotations?.description, `${r.alert}: description`).to.be.a('string');
      }
    });

    it("every alert's runbook_url points at a heading of the runbooks page, named after the alert", () => {
      for (const r of rules) {
        const url = r.annotations?.runbook_url;
        expect(url, `${r.alert}: runbook_url`).to.match(
          /^https:\/\/github\.com\/.+\/docs\/operating\/runbooks\.md#[a-z0-9-]+$/,
        );
        const anchor = url!.split('#')[1]!;
        expect(anchor, `${r.alert}: the anchor is the alert's name`).to.equal(anchorOf(r.alert!));
        expect(RUNBOOK_ANCHORS.has(anchor), `${r.alert}: ${RUNBOOKS} has no heading for #${anchor}`).to.equal(
          true,
        );
      }
    });

    it('alerts about a resource keep namespace and name and say them in the summary', () => {
      const perResource = rules.filter((r) => /ecs_scheduler_(runs_total|last_run_result)/.test(r.expr));
      expect(perResource.length).to.be.at.least(3);
      for (const r of perResource) {
        expect(r.expr, `${r.alert}: aggregates by namespace and name`).to.match(/by \(namespace, name\b/);
        expect(r.annotations!.summary, `${r.alert}: summary`)
          .to.contain('{{ $labels.namespace }}')
          .and.contain('{{ $labels.name }}');
      }
      const denied = rules.find((r) => r.alert === 'EcsScheduledTaskPolicyDenied')!;
      expect(denied.expr).to.match(/by \(namespace, field\)/);
      expect(denied.annotations!.summary).to.contain('{{ $labels.namespace }}');
    });

    it('fires when the controller is absent: no scrape target of its PodMonitor is up', () => {
      const absent = rules.find((r) => r.alert === 'EcsSchedulerAbsent')!;
      const podMonitor = parseYaml(
        readFileSync(join(REPO_ROOT, 'manifests/components/prometheus/pod-monitor.yaml'), 'utf8'),
      ) as { metadata: { name: string; namespace: string } };
      // The Prometheus Operator names a PodMonitor's job "<namespace>/<name>".
      const job = `${podMonitor.metadata.namespace}/${podMonitor.metadata.name}`;
      expect(absent.expr).to.equal(`absent(up{job="${job}"} == 1)`);
      expect(absent.labels?.severity).to.equal('critical');
    });

    it('every alert uses only exported metrics and labels', () => {
      const used = new Set(rules.flatMap((r) => checkExpr(r.alert ?? '(record)', r.expr)));
      expect([...used]).to.include.members([
        'ecs_scheduler_runs_total',
        'ecs_scheduler_last_run_result',
        'ecs_scheduler_policy_denials_total',
        'ecs_scheduler_launch_delay_seconds_bucket',
        'leader_election_master_status',
        'ecs_scheduler_shard_unassigned_resources',
        'ecs_scheduler_shard_moving_resources',
        'ecs_scheduler_shard_resources',
        'up',
      ]);
    });

    it('the failed-run and missed alerts select the run results the controller records', () => {
      const byName = (name: string) => rules.find((r) => r.alert === name)!.expr;
      for (const name of ['EcsScheduledTaskRunFailed', 'EcsScheduledTaskLastRunFailed'])
        expect(byName(name)).to.contain('result=~"Failed|LaunchFailed"');
      expect(byName('EcsScheduledTaskScheduleMissed')).to.contain('result="Missed"');
    });
  });

  describe('Grafana dashboard (monitoring/grafana-dashboard.json)', () => {
    interface Panel {
      title?: string;
      type?: string;
      targets?: { expr?: string }[];
      panels?: Panel[];
    }
    const text = readFileSync(join(REPO_ROOT, 'manifests/monitoring/grafana-dashboard.json'), 'utf8');

    it('parses, and every query uses only exported metrics and labels', () => {
      const dashboard = JSON.parse(text) as { title?: string; panels?: Panel[] };
      expect(dashboard.title).to.be.a('string');
      const panels: Panel[] = [];
      const walk = (list: Panel[] | undefined) =>
        list?.forEach((p) => {
          panels.push(p);
          walk(p.panels);
        });
      walk(dashboard.panels);
      const queries = panels.flatMap((p) =>
        (p.targets ?? [])
          .filter((t) => t.expr)
          .map((t) => ({ where: p.title ?? '(untitled)', expr: t.expr! })),
      );
      expect(queries.length).to.be.at.least(5);
      const used = new Set(queries.flatMap((q) => checkExpr(`panel "${q.where}"`, q.expr)));
      expect([...used]).to.include.members([
        'ecs_scheduler_runs_total',
        'ecs_scheduler_last_run_result',
        'ecs_scheduler_last_success_time',
        'leader_election_master_status',
      ]);
    });

    interface Variable {
      name: string;
      type: string;
      query?: { query?: string } | string;
      includeAll?: boolean;
    }
    const dashboard = JSON.parse(text) as { panels: Panel[]; templating: { list: Variable[] } };
    const variable = (name: string) => dashboard.templating.list.find((v) => v.name === name);
    const queryOf = (v: Variable | undefined) => (typeof v?.query === 'string' ? v.query : v?.query?.query);

    it('has namespace and resource variables, the resource one scoped by the namespace one', () => {
      const namespace = variable('namespace');
      const resource = variable('resource');
      expect(namespace?.type).to.equal('query');
      expect(queryOf(namespace)).to.match(/^label_values\(ecs_scheduler_\w+, namespace\)$/);
      expect(resource?.type).to.equal('query');
      expect(queryOf(resource)).to.match(
        /^label_values\(ecs_scheduler_\w+\{namespace=~"\$namespace"\}, name\)$/,
      );
      expect(namespace?.includeAll && resource?.includeAll, 'an "All" option').to.equal(true);
      for (const v of [namespace, resource])
        checkExpr(`variable ${v!.name}`, queryOf(v)!.replace(/^label_values\((.*), \w+\)$/, '$1'));
    });

    it('filters every per-resource query by both variables', () => {
      const exprs = dashboard.panels.flatMap((p) =>
        (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr ?? '' })),
      );
      const perResource = exprs.filter((e) =>
        /ecs_scheduler_(runs_total|last_run_result|last_success_time|next_schedule_time|last_schedule_time|trigger_queue_depth)/.test(
          e.expr,
        ),
      );
      expect(perResource.length).to.be.at.least(6);
      for (const e of perResource) {
        expect(e.expr, `panel "${e.title}"`)
          .to.contain('namespace=~"$namespace"')
          .and.contain('name=~"$resource"');
      }
    });

    it('ships as a ConfigMap labelled grafana_dashboard: "1" (manifests/monitoring component)', () => {
      const kustomization = parseYaml(
        readFileSync(join(REPO_ROOT, 'manifests/monitoring/kustomization.yaml'), 'utf8'),
      ) as {
        kind: string;
        configMapGenerator: {
          files: string[];
          options: { labels: Record<string, string>; disableNameSuffixHash?: boolean };
        }[];
      };
      expect(kustomization.kind).to.equal('Component');
      const [generator] = kustomization.configMapGenerator;
      expect(generator!.options.labels).to.deep.equal({ grafana_dashboard: '1' });
      expect(generator!.options.disableNameSuffixHash).to.equal(true);
      expect(generator!.files).to.deep.equal(['ecs-scheduler.json=grafana-dashboard.json']);
    });
  });
});
