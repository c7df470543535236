// The PrometheusRule and the Grafana dashboard query only metrics (and labels) that the controller
// really exports: the names are checked against the registry that src/metrics/metrics.ts builds,
// not against a list copied into this test.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { RUN_RESULTS } from '../../../src/api/schema.js';
import { createMetrics } from '../../../src/metrics/metrics.js';
import { REPO_ROOT } from '../../integration/support/env.js';

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
    series = await exportedSeries(createMetrics({ leaseName }).registry);
  });

  function checkExpr(where: string, expr: string): string[] {
    const used = selectors(expr);
    expect(used.length, `${where}: no metric found in ${expr}`).to.be.above(0);
    for (const { metric, matchers } of used) {
      expect(series.has(metric), `${where}: ${metric} is not exported by src/metrics/metrics.ts`).to.equal(
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

    it('is a PrometheusRule with the four alerts: run failed, schedule missed, launch delay high, not leading', () => {
      expect(doc.kind).to.equal('PrometheusRule');
      const alerts = rules.map((r) => r.alert);
      expect(alerts).to.have.length(4);
      expect(alerts.find((a) => /RunFailed/.test(a ?? ''))).to.be.a('string');
      expect(alerts.find((a) => /ScheduleMissed|Missed/.test(a ?? ''))).to.be.a('string');
      expect(alerts.find((a) => /LaunchDelay/.test(a ?? ''))).to.be.a('string');
      expect(alerts.find((a) => /NotLeading|NoLeader/.test(a ?? ''))).to.be.a('string');
      for (const r of rules) {
        expect(r.labels?.severity, `${r.alert}: severity`).to.be.oneOf(['info', 'warning', 'critical']);
        expect(r.annotations?.summary, `${r.alert}: summary`).to.be.a('string');
      }
    });

    it('every alert uses only exported metrics and labels', () => {
      const used = new Set(rules.flatMap((r) => checkExpr(r.alert ?? '(record)', r.expr)));
      expect([...used]).to.include.members([
        'ecs_scheduler_runs_total',
        'ecs_scheduler_launch_delay_seconds_bucket',
        'leader_election_master_status',
      ]);
    });

    it('the failed-run and missed alerts select the run results the controller records', () => {
      const byName = (re: RegExp) => rules.find((r) => re.test(r.alert ?? ''))!.expr;
      expect(byName(/RunFailed/))
        .to.match(/Failed/)
        .and.match(/LaunchFailed/);
      expect(byName(/Missed/)).to.contain('Missed');
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
      expect([...used]).to.include.members(['ecs_scheduler_runs_total', 'leader_election_master_status']);
    });
  });
});
