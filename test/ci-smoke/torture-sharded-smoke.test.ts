// The sharded torture smoke (about 5 minutes), run by .ci/run after `npm test` (which it would push
// past its 15 minutes): test/torture/scenarios/smoke-sharded.yaml, `run --sharding` with 3 replicas,
// kills and pauses of random replicas, 2 scale-ups and 2 scale-downs, 1 API server restart and 30%
// of ECS calls failing. `npm run test:ci-smoke` runs it on its own.
import { describeTortureSmoke } from '../torture/smoke-suite.js';

describeTortureSmoke({
  title: 'sharded torture smoke (3 replicas; 4 kills, 2 pauses, 2 scale-ups, 2 scale-downs, 30% ECS faults)',
  file: 'test/torture/scenarios/smoke-sharded.yaml',
  specFile: 'test/ci-smoke/torture-sharded-smoke.test.ts',
  injected: { kills: 4, pauses: 2, scaleUps: 2, scaleDowns: 2, apiserverRestarts: 1 },
});
