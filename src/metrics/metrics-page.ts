// The /metrics page, rendered a few hundred lines at a time with the event loop let go between
// chunks. prom-client's registry.metrics() builds the whole page in one synchronous stretch: at
// 10,000 resources with per-resource series that is 7 MB and 170 ms in which no launch timer, watch
// event or Lease renewal can run (bench/metrics-scrape.bench.ts). The text is the same as
// registry.metrics() gives, in the Prometheus text format 0.0.4.
import type { Registry } from 'prom-client';

export interface MetricsPageOptions {
  /** Sample lines per chunk; between chunks the event loop runs. Default 500 (under 1 ms each). */
  readonly linesPerChunk?: number;
  /** Lets the event loop run. Default: setImmediate, so timers and I/O due meanwhile go first. */
  readonly yieldToLoop?: () => Promise<void>;
}

type Labels = Readonly<Record<string, string | number | undefined>>;

interface Sample {
  readonly metricName?: string;
  readonly labels?: Labels;
  /** A histogram's series labels; `labels` then holds only `le`, written first. */
  readonly sharedLabels?: Labels;
  readonly value: number;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly values: readonly Sample[];
}

/** prom-client's histograms have a cheaper form for the text page, which its registry uses. */
interface MetricSource {
  get(): Promise<Family> | Family;
  getForPromString?(): Promise<Family>;
}

const escapeText = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (value: string | number | undefined) =>
  typeof value === 'string' ? escapeText(value).replace(/"/g, '\\"') : String(value);

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan'; // sic: prom-client's spelling, which Prometheus accepts
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}

function formatSample(family: string, sample: Sample): string {
  let labels = '';
  const shared = sample.sharedLabels;
  for (const [name, value] of Object.entries(sample.labels ?? {})) {
    if (shared !== undefined && Object.hasOwn(shared, name)) continue;
    labels += `${labels === '' ? '' : ','}${name}="${escapeLabel(value)}"`;
  }
  for (const [name, value] of Object.entries(shared ?? {})) {
    labels += `${labels === '' ? '' : ','}${name}="${escapeLabel(value)}"`;
  }
  return `${sample.metricName ?? family}${labels === '' ? '' : `{${labels}}`} ${formatValue(sample.value)}`;
}

const setImmediateYield = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The page as chunks of text. Each family is read (metric.get()) when its turn comes, so a scrape
 * sees each family as it was at that moment, as a client of any Prometheus library does. Default
 * registry labels and the OpenMetrics format are not supported: our registry uses neither.
 */
export async function* renderMetricsPage(
  registry: Registry,
  options: MetricsPageOptions = {},
): AsyncGenerator<string, void, undefined> {
  const linesPerChunk = options.linesPerChunk ?? 250;
  const yieldToLoop = options.yieldToLoop ?? setImmediateYield;
  let chunk: string[] = [];
  let first = true;
  for (const metric of registry.getMetricsAsArray() as unknown as MetricSource[]) {
    const family = await (metric.getForPromString?.() ?? metric.get());
    const name = escapeText(family.name);
    chunk.push(
      `${first ? '' : '\n'}# HELP ${name} ${escapeText(family.help)}`,
      `# TYPE ${name} ${family.type}`,
    );
    first = false;
    for (const sample of family.values) {
      chunk.push(formatSample(name, sample));
      if (chunk.length >= linesPerChunk) {
        yield `${chunk.join('\n')}\n`;
        chunk = [];
        await yieldToLoop();
      }
    }
  }
  if (chunk.length > 0) yield `${chunk.join('\n')}\n`;
}
