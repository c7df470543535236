// The Deployment's probes and grace period agree with the process's own crash-only bounds.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config.js';

interface Probe {
  httpGet?: { path?: string; port?: string };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface Deployment {
  spec: {
    template: {
      spec: {
        terminationGracePeriodSeconds: number;
        containers: { args: string[]; livenessProbe?: Probe; startupProbe?: Probe; readinessProbe?: Probe }[];
      };
    };
  };
}

describe('manifests/deployment.yaml probes', () => {
  const deployment = parse(readFileSync('manifests/deployment.yaml', 'utf8')) as Deployment;
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  const config = loadConfig(container.args.slice(1), {});

  it('SIGTERM ends the process before the kubelet would SIGKILL it', () => {
    expect(config.shutdownTimeoutSeconds).to.be.below(pod.terminationGracePeriodSeconds);
  });

  it('liveness and startup probes ask /healthz on the health port', () => {
    for (const probe of [container.livenessProbe, container.startupProbe]) {
      expect(probe?.httpGet).to.deep.equal({ path: '/healthz', port: 'health' });
    }
    expect(container.readinessProbe?.httpGet?.path).to.equal('/readyz');
  });
});
