// The /metrics page is rendered in chunks with the event loop let go between them, and reads the
// same as prom-client's registry.metrics().
import { expect } from 'chai';
import { Gauge, Registry } from 'prom-client';
import { startHttpServer } from '../../../src/metrics/health-server.js';
import { renderMetricsPage } from '../../../src/metrics/metrics-page.js';
import { createMetrics } from '../../../src/metrics/index.js';

function populated(resources: number) {
  const m = createMetrics({ defaultMetrics: false });
  m.leader.setLeader(true);
  const at = new Date('2026-01-01T00:00:00Z');
  for (let i = 0; i < resources; i++) {
    // Label values that need escaping: a backslash, a quote and a newline.
    const key = `team-${i % 3}/report-${i}${i === 1 ? '\\"\n' : ''}`;
    m.controller.scheduleTimes(key, at, at);
    m.controller.lastRun!(key, 'Succeeded', at);
    m.controller.runRecorded('Succeeded', key);
    m.controller.runRetried!(key, 'NonZeroExit');
  }
  m.controller.reconciled('success', 0.02);
  m.controller.launchDelay(900); // past the last bucket: only le="+Inf" counts it
  m.workQueue.queueDuration(0.5);
  return m;
}

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

describe('renderMetricsPage', () => {
  it('reads the same as registry.metrics(): histograms, escaping, +Inf, empty families', async () => {
    const m = populated(50);
    const chunks = await collect(renderMetricsPage(m.registry, { linesPerChunk: 7 }));
    expect(chunks.join('')).to.equal(await m.registry.metrics());
  });

  it('lets the event loop run between chunks of at most linesPerChunk samples', async () => {
    const m = populated(1000);
    let yields = 0;
    const chunks = await collect(
      renderMetricsPage(m.registry, {
        linesPerChunk: 100,
        yieldToLoop: async () => void yields++,
      }),
    );
    expect(chunks.length).to.be.above(40);
    expect(yields).to.equal(chunks.length - 1);
    for (const chunk of chunks) {
      const samples = chunk.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
      expect(samples.length).to.be.at.most(100);
    }
  });
});

describe('/metrics serves the page without holding the event loop', () => {
  it('a callback queued when rendering starts runs before the last family is read', async () => {
    // first: read first, queues a callback; big: 20,000 series; last: read last, sees whether
    // the callback ran. registry.metrics() reads every family and formats the page in one go.
    const registry = new Registry();
    let queuedRan = false;
    let ranBeforeLast: boolean | undefined;
    new Gauge({
      name: 'first',
      help: 'read first',
      registers: [registry],
      collect() {
        setImmediate(() => (queuedRan = true));
      },
    });
    const big = new Gauge({ name: 'big', help: 'many series', labelNames: ['i'], registers: [registry] });
    for (let i = 0; i < 20_000; i++) big.set({ i: String(i) }, i);
    new Gauge({
      name: 'last',
      help: 'read last',
      registers: [registry],
      collect() {
        ranBeforeLast = queuedRan;
      },
    });
    const http = await startHttpServer({
      metricsAddress: '127.0.0.1:0',
      healthAddress: '0',
      registry,
      readiness: () => ({ ready: true }),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${http.metricsPort}/metrics`);
      const body = await res.text();
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal(registry.contentType);
      expect(body).to.contain('big{i="19999"} 19999\n');
      expect(body.endsWith('# TYPE last gauge\nlast 0\n')).to.equal(true);
      expect(ranBeforeLast).to.equal(true);
    } finally {
      await http.close();
    }
  });
});
