// The long tier (`npm run test:long`, not part of `npm test`): issue 20's end-to-end figures at
// full scale, by the same scenario code that CI runs scaled down in
// test/integration/controller-schedules-v2.test.ts. About ten minutes; each test prints its figures.
import { FULL_SCALE, schedulesV2Scenarios } from '../integration/support/schedules-v2-scenarios.js';

schedulesV2Scenarios(FULL_SCALE);
