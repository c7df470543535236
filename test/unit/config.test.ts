import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('has defaults for every flag', () => {
    const c = loadConfig([], {}, false);
    expect(c).to.deep.include({
      mode: 'kubernetes',
      defaultCluster: 'default',
      metricsBindAddress: ':8080',
      healthProbeBindAddress: ':8081',
      leaderElect: false,
      sharding: false,
      maxConcurrentReconciles: 64,
      maxTasksPerRun: 100,
      adoptionLookupsPerSecond: 5,
      logLevel: 'info',
      logFormat: 'json',
      perResourceMetrics: true,
      dryRun: false,
      leaseDurationSeconds: 15,
      shutdownTimeoutSeconds: 25,
      cacheSyncTimeoutSeconds: 120,
      stuckReconcileSeconds: 600,
    });
  });

  it('reads each flag from ECS_SCHEDULER_* and lets the flag win', () => {
    const env = {
      ECS_SCHEDULER_DEFAULT_CLUSTER: 'from-env',
      ECS_SCHEDULER_LEADER_ELECT: 'true',
      ECS_SCHEDULER_NAMESPACE: 'a',
    };
    expect(loadConfig([], env)).to.deep.include({
      defaultCluster: 'from-env',
      leaderElect: true,
      namespace: 'a',
    });
    expect(loadConfig(['--default-cluster', 'flag'], env).defaultCluster).to.equal('flag');
    expect(loadConfig([], { ECS_SCHEDULER_MAX_TASKS_PER_RUN: '25' }).maxTasksPerRun).to.equal(25);
    expect(loadConfig(['--adoption-lookups-per-second', '2.5'], {}).adoptionLookupsPerSecond).to.equal(2.5);
    expect(() => loadConfig(['--adoption-lookups-per-second', '0'], {})).to.throw(
      ConfigError,
      /adoption-lookups-per-second/,
    );
    expect(loadConfig([], {}).ecsRateLimits).to.equal('aws');
    expect(loadConfig(['--ecs-rate-limits', 'off'], {}).ecsRateLimits).to.equal('off');
    expect(() => loadConfig(['--ecs-rate-limits', 'none'], {})).to.throw(ConfigError, /ecs-rate-limits/);
  });

  it('--task-events-queue takes an SQS queue URL (or ECS_SCHEDULER_TASK_EVENTS_QUEUE); none means polling', () => {
    const url = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-task-events';
    expect(loadConfig([], {}).taskEventsQueue).to.equal(undefined);
    expect(loadConfig(['--task-events-queue', url], {}).taskEventsQueue).to.equal(url);
    expect(loadConfig([], { ECS_SCHEDULER_TASK_EVENTS_QUEUE: url }).taskEventsQueue).to.equal(url);
    expect(() => loadConfig(['--task-events-queue', 'ecs-task-events'], {})).to.throw(
      ConfigError,
      /--task-events-queue: "ecs-task-events" is not a URL/,
    );
    expect(() => loadConfig(['--task-events-queue', 'file:///etc/passwd'], {})).to.throw(
      ConfigError,
      /http\(s\)/,
    );
  });

  it('--dead-letter-max-attempts and --dead-letter-max-age say when an unsendable dead letter is given up', () => {
    expect(loadConfig([], {})).to.deep.include({ deadLetterMaxAttempts: 8, deadLetterMaxAgeSeconds: 3600 });
    expect(
      loadConfig(['--dead-letter-max-attempts', '3'], { ECS_SCHEDULER_DEAD_LETTER_MAX_AGE: '10m' }),
    ).to.deep.include({ deadLetterMaxAttempts: 3, deadLetterMaxAgeSeconds: 600 });
    expect(() => loadConfig(['--dead-letter-max-attempts', '0'], {})).to.throw(
      ConfigError,
      /dead-letter-max-attempts/,
    );
    expect(() => loadConfig(['--dead-letter-max-age', '0s'], {})).to.throw(
      ConfigError,
      /dead-letter-max-age/,
    );
  });

  it('--sharding (or ECS_SCHEDULER_SHARDING) turns sharding on', () => {
    expect(loadConfig(['--sharding'], {}).sharding).to.equal(true);
    expect(loadConfig([], { ECS_SCHEDULER_SHARDING: 'true' }).sharding).to.equal(true);
  });

  it('--event-series-interval says how often repeats of an identical event are written (default 5 min)', () => {
    expect(loadConfig([], {}).eventSeriesIntervalSeconds).to.equal(300);
    expect(loadConfig(['--event-series-interval', '30s'], {}).eventSeriesIntervalSeconds).to.equal(30);
    expect(loadConfig([], { ECS_SCHEDULER_EVENT_SERIES_INTERVAL: '2m' }).eventSeriesIntervalSeconds).to.equal(
      120,
    );
    expect(() => loadConfig(['--event-series-interval', '0s'], {})).to.throw(
      ConfigError,
      /event-series-interval.*longer than zero/,
    );
  });

  it('--launch-write-delay: 10 s by default, 0 writes launches at once, a negative value is refused', () => {
    expect(loadConfig([], {}).launchWriteDelaySeconds).to.equal(10);
    expect(loadConfig(['--launch-write-delay', '0'], {}).launchWriteDelaySeconds).to.equal(0);
    expect(loadConfig([], { ECS_SCHEDULER_LAUNCH_WRITE_DELAY: '2500ms' }).launchWriteDelaySeconds).to.equal(
      2.5,
    );
    expect(() => loadConfig(['--launch-write-delay', '-1s'], {})).to.throw(ConfigError, /launch-write-delay/);
  });

  it('switches to standalone mode with --manifests', () => {
    const c = loadConfig(['--manifests', 'examples', '--dry-run', '--state', 's.json'], {});
    expect(c).to.deep.include({
      mode: 'standalone',
      manifestsDir: 'examples',
      dryRun: true,
      stateFile: 's.json',
    });
  });

  it('reads --policies (standalone policies folder) and names the lock host from $HOSTNAME', () => {
    const c = loadConfig(['--manifests', 'jobs', '--policies', 'policies'], { HOSTNAME: 'pod-7' });
    expect(c).to.deep.include({ policiesDir: 'policies', host: 'pod-7' });
    expect(loadConfig([], { ECS_SCHEDULER_POLICIES: '/etc/p' }).policiesDir).to.equal('/etc/p');
    expect(loadConfig([], {}).host).to.be.a('string').and.not.equal('');
    expect(() => loadConfig(['--manifests', 'jobs', '--policies', './jobs/'], {})).to.throw(
      /--policies: must be a folder apart from --manifests/,
    );
  });

  const bad: [string, string[], Record<string, string>, RegExp][] = [
    ['an unknown flag', ['--frobnicate'], {}, /frobnicate/],
    ['a non-integer concurrency', ['--max-concurrent-reconciles', 'two'], {}, /max-concurrent-reconciles/],
    ['a zero task cap', ['--max-tasks-per-run', '0'], {}, /max-tasks-per-run/],
    ['a non-integer task cap', [], { ECS_SCHEDULER_MAX_TASKS_PER_RUN: '1e9x' }, /max-tasks-per-run/],
    ['a bad duration', ['--lease-duration', 'soon'], {}, /lease-duration/],
    ['a bad log level', ['--log-level', 'loud'], {}, /log-level/],
    ['a zero shutdown timeout', ['--shutdown-timeout', '0s'], {}, /shutdown-timeout.*longer than zero/],
    ['a bad cache sync timeout', [], { ECS_SCHEDULER_CACHE_SYNC_TIMEOUT: 'never' }, /cache-sync-timeout/],
    ['a zero stuck-reconcile timeout', ['--stuck-reconcile-timeout', '0'], {}, /stuck-reconcile-timeout/],
    ['a bad boolean in the environment', [], { ECS_SCHEDULER_DRY_RUN: 'maybe' }, /ECS_SCHEDULER_DRY_RUN/],
    [
      '--sharding in standalone mode',
      ['--sharding', '--manifests', 'jobs'],
      {},
      /--sharding: only in Kubernetes/,
    ],
    [
      "--sharding with a task events queue (each replica would delete the others' events)",
      ['--sharding', '--task-events-queue', 'https://sqs.eu-west-1.amazonaws.com/1/q'],
      {},
      /--sharding: not yet with --task-events-queue/,
    ],
  ];
  for (const [name, args, env, message] of bad) {
    it(`rejects ${name} with the flag named`, () => {
      expect(() => loadConfig(args, env)).to.throw(ConfigError, message);
    });
  }

  const logFormats: {
    name: string;
    args: string[];
    env: Record<string, string>;
    tty: boolean;
    format: string;
  }[] = [
    { name: 'auto on a terminal is text', args: [], env: {}, tty: true, format: 'text' },
    { name: 'auto on a pipe is json', args: [], env: {}, tty: false, format: 'json' },
    {
      name: '--log-format json wins on a terminal',
      args: ['--log-format', 'json'],
      env: {},
      tty: true,
      format: 'json',
    },
    {
      name: '--log-format text wins on a pipe',
      args: ['--log-format', 'text'],
      env: {},
      tty: false,
      format: 'text',
    },
    {
      name: 'ECS_SCHEDULER_LOG_FORMAT=json',
      args: [],
      env: { ECS_SCHEDULER_LOG_FORMAT: 'json' },
      tty: true,
      format: 'json',
    },
  ];
  for (const c of logFormats) {
    it(`log format: ${c.name}`, () => {
      expect(loadConfig(c.args, c.env, c.tty).logFormat).to.equal(c.format);
    });
  }

  const perResource: { name: string; args: string[]; env: Record<string, string>; value: boolean }[] = [
    { name: '--per-resource-metrics=false', args: ['--per-resource-metrics=false'], env: {}, value: false },
    { name: '--per-resource-metrics true', args: ['--per-resource-metrics', 'true'], env: {}, value: true },
    {
      name: 'ECS_SCHEDULER_PER_RESOURCE_METRICS=0',
      args: [],
      env: { ECS_SCHEDULER_PER_RESOURCE_METRICS: '0' },
      value: false,
    },
  ];
  for (const c of perResource) {
    it(`per-resource metrics: ${c.name}`, () => {
      expect(loadConfig(c.args, c.env, false).perResourceMetrics).to.equal(c.value);
    });
  }

  it('rejects a per-resource-metrics value that is not a boolean, naming the flag', () => {
    expect(() => loadConfig(['--per-resource-metrics=maybe'], {}, false)).to.throw(
      ConfigError,
      /--per-resource-metrics: "maybe" must be true or false/,
    );
  });

  it('--sts-session-tags: on by default; false (or ECS_SCHEDULER_STS_SESSION_TAGS=false) turns it off', () => {
    expect(loadConfig([], {}, false).stsSessionTags).to.equal(true);
    expect(loadConfig(['--sts-session-tags=false'], {}, false).stsSessionTags).to.equal(false);
    expect(loadConfig([], { ECS_SCHEDULER_STS_SESSION_TAGS: 'false' }, false).stsSessionTags).to.equal(false);
    expect(() => loadConfig(['--sts-session-tags=maybe'], {}, false)).to.throw(
      ConfigError,
      /--sts-session-tags: "maybe" must be true or false/,
    );
  });
});
