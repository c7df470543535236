import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('has defaults for every flag', () => {
    const c = loadConfig([], {});
    expect(c).to.deep.include({
      mode: 'kubernetes',
      defaultCluster: 'default',
      metricsBindAddress: ':8080',
      healthProbeBindAddress: ':8081',
      leaderElect: false,
      maxConcurrentReconciles: 64,
      maxTasksPerRun: 100,
      logLevel: 'info',
      logFormat: 'json',
      dryRun: false,
      leaseDurationSeconds: 15,
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

  const bad: [string, string[], Record<string, string>, RegExp][] = [
    ['an unknown flag', ['--frobnicate'], {}, /frobnicate/],
    ['a non-integer concurrency', ['--max-concurrent-reconciles', 'two'], {}, /max-concurrent-reconciles/],
    ['a zero task cap', ['--max-tasks-per-run', '0'], {}, /max-tasks-per-run/],
    ['a non-integer task cap', [], { ECS_SCHEDULER_MAX_TASKS_PER_RUN: '1e9x' }, /max-tasks-per-run/],
    ['a bad duration', ['--lease-duration', 'soon'], {}, /lease-duration/],
    ['a bad log level', ['--log-level', 'loud'], {}, /log-level/],
    ['a bad boolean in the environment', [], { ECS_SCHEDULER_DRY_RUN: 'maybe' }, /ECS_SCHEDULER_DRY_RUN/],
  ];
  for (const [name, args, env, message] of bad) {
    it(`rejects ${name} with the flag named`, () => {
      expect(() => loadConfig(args, env)).to.throw(ConfigError, message);
    });
  }
});
