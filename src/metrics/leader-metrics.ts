// Whether this process leads, as controller-runtime's leader_election_master_status.
import { Gauge } from 'prom-client';
import type { LeaderMetrics } from '../kube/metrics-port.js';
import type { MetricScope } from './metric-scope.js';

/**
 * `leaseLabel`: the `name` label. `onLeadership`: told after each change, so that the series only
 * a leader may export follow it.
 */
export function leaderMetrics(
  scope: MetricScope,
  leaseLabel: string,
  onLeadership: (isLeader: boolean) => void,
): LeaderMetrics {
  const leaderStatus = new Gauge({
    name: 'leader_election_master_status',
    help: 'Gauge of whether this process is the leader (1) or not (0)',
    labelNames: ['name'] as const,
    registers: scope.registers,
  });
  leaderStatus.set({ name: leaseLabel }, 0);
  return {
    setLeader: (isLeader) => {
      leaderStatus.set({ name: leaseLabel }, isLeader ? 1 : 0);
      onLeadership(isLeader);
    },
  };
}
