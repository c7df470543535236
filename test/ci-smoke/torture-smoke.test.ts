// The torture smoke, run by .ci/run after `npm test` (about 5 minutes): smoke.yaml against the
// real API server, the ECS simulator with 30% of calls failing, 10 leader kills, 2 pauses past the
// lease and 1 API server restart.
import { describeTortureSmoke } from '../torture/smoke-suite.js';

describeTortureSmoke({
  title: 'torture smoke (10 kills, 2 pauses, 1 API server restart, 30% ECS faults)',
  file: 'test/torture/scenarios/smoke.yaml',
  specFile: 'test/ci-smoke/torture-smoke.test.ts',
  injected: { kills: 10, pauses: 2, apiserverRestarts: 1 },
});
