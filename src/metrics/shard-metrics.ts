// The prom-client side of ShardMetrics (src/shard/shard-metrics-port.ts), in the same registry as
// the rest. The sharder's view (resources per shard, live shards, handovers) is exported by the
// replica that runs the sharder; every replica exports its own share.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ShardMetrics } from '../shard/shard-metrics-port.js';

// A drain handover takes a watch round trip and the end of an in-flight pass (seconds); one past
// an expired Lease takes the Lease duration (15 s by default) and more under load.
const HANDOVER_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120];

export function createShardMetrics(registry: Registry): ShardMetrics {
  const registers = [registry];
  const sharder = new Gauge({
    name: 'ecs_scheduler_shard_sharder',
    help: 'Whether this replica runs the sharder (holds the leader-election Lease)',
    registers,
  });
  const perShard = new Gauge({
    name: 'ecs_scheduler_shard_resources',
    help: "Resources assigned to each live shard, in the sharder's view",
    labelNames: ['shard'] as const,
    registers,
  });
  const unassigned = new Gauge({
    name: 'ecs_scheduler_shard_unassigned_resources',
    help: "Resources with no live shard to go to, in the sharder's view (alert when above 0 for long)",
    registers,
  });
  const moving = new Gauge({
    name: 'ecs_scheduler_shard_moving_resources',
    help: "Resources not with their shard yet (unlabelled, draining, or with another owner), in the sharder's view",
    registers,
  });
  const live = new Gauge({
    name: 'ecs_scheduler_shard_live_shards',
    help: "Live shards of the ring, in the sharder's view",
    registers,
  });
  const handovers = new Counter({
    name: 'ecs_scheduler_shard_handovers_total',
    help: 'Resources labelled with a new owner, by why the old one let them go (drained | owner-gone)',
    labelNames: ['reason'] as const,
    registers,
  });
  const handoverSeconds = new Histogram({
    name: 'ecs_scheduler_shard_handover_duration_seconds',
    help: 'From the drain request, or from the old owner leaving the ring, to the new owner label',
    labelNames: ['reason'] as const,
    buckets: HANDOVER_BUCKETS,
    registers,
  });
  const owned = new Gauge({
    name: 'ecs_scheduler_shard_owned_resources',
    help: 'Resources labelled with this replica as their owner (its informer holds only these)',
    registers,
  });
  const drained = new Counter({
    name: 'ecs_scheduler_shard_drains_total',
    help: 'Resources this replica let go after a drain request',
    registers,
  });
  return {
    setSharder: (active) => {
      sharder.set(active ? 1 : 0);
      // Only the sharder's view counts: a former sharder's figures would double every sum.
      if (!active) {
        perShard.reset();
        unassigned.set(0);
        moving.set(0);
        live.set(0);
      }
    },
    setResourcesPerShard: (counts, none, notThereYet) => {
      perShard.reset();
      for (const [shard, n] of counts) perShard.set({ shard }, n);
      unassigned.set(none);
      moving.set(notThereYet);
    },
    setLiveShards: (n) => live.set(n),
    handedOver: (reason, seconds) => {
      handovers.inc({ reason });
      if (seconds !== undefined) handoverSeconds.observe({ reason }, seconds);
    },
    setOwned: (n) => owned.set(n),
    drained: () => drained.inc(),
  };
}
