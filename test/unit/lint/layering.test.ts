// The layering lint (eslint.config.js, no-restricted-imports): imports that would run back up or
// sideways between the AWS base, its adapters and the core fail `npm run lint`, and the ones the
// code makes today pass. Linted as text under a path in the tree; nothing is written.
import { expect } from 'chai';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('../../..', import.meta.url).pathname });

async function layeringErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = [x];\n`, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const refused: [string, string, RegExp][] = [
  // What ecs/task-state-events.ts did when it took the SQS client from trigger/.
  [
    'src/aws/ecs/task-state-events.ts',
    "import { x } from '../sqs/sqs-client.js';",
    /may not import another one/,
  ],
  ['src/aws/sqs/task-state-events.ts', "import { x } from '../trigger/sqs-queue-depth.js';", /another one/],
  ['src/aws/aws-client-pool.ts', "import type { x } from './ecs/ports.js';", /below the adapters/],
  ['src/aws/sqs/sqs-queue-depth.ts', "import { x } from '../../controller/reconciler.js';", /only the ports/],
  ['src/aws/sqs/x.ts', "import { x } from '../../controller/decide/run-plan.js';", /only the ports/],
  ['src/aws/ecs/x.ts', "import { x } from '../../cli/main.js';", /CLI, the app/],
  ['src/aws/aws-region.ts', "import { x } from '../app.js';", /CLI, the app/],
  ['src/aws/sqs/x.ts', "import { x } from '../../app/lifecycle.js';", /CLI, the app/],
  ['src/aws/logs/x.ts', "import { x } from '../../kube/client.js';", /another side/],
  [
    'src/controller/reconciler.ts',
    "import { x } from '../aws/sqs/sqs-queue-depth.js';",
    /core imports no adapter/,
  ],
  ['src/schedule/x.ts', "import { x } from '../aws/aws-errors.js';", /core imports no adapter/],
];

const allowed: [string, string][] = [
  ['src/aws/sqs/task-state-events.ts', "import { x } from './sqs-client.js';"],
  ['src/aws/sqs/x.ts', "import { x } from '../aws-call.js';"],
  ['src/aws/ecs/x.ts', "import { x } from '../../controller/errors.js';"],
  ['src/aws/ecs/x.ts', "import { x } from '../../controller/runtime/clock.js';"],
  ['src/aws/sqs/x.ts', "import type { x } from '../../controller/dead-letter.js';"],
  ['src/aws/ecs/x.ts', "import { x } from '../../flow/backoff.js';"],
  ['src/aws/aws-errors.ts', "import { x } from '../controller/errors.js';"],
  ['src/app.ts', "import { x } from './aws/ecs/aws-task-launcher.js';"],
  ['src/app/aws-adapters.ts', "import { x } from '../aws/ecs/aws-task-launcher.js';"],
];

describe('layering lint (no-restricted-imports in eslint.config.js)', function () {
  // Loading the TypeScript parser once takes a moment on a busy machine.
  this.timeout(60_000);

  for (const [file, source, message] of refused) {
    it(`refuses in ${file}: ${source}`, async () => {
      const errors = await layeringErrors(file, source);
      expect(errors.join('\n')).to.match(message);
    });
  }
  for (const [file, source] of allowed) {
    it(`allows in ${file}: ${source}`, async () => {
      expect(await layeringErrors(file, source)).to.deep.equal([]);
    });
  }
});
