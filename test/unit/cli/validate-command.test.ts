import { expect } from 'chai';
import { recordingIo } from '../../support/recording-io.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCommand } from '../../../src/cli/validate-command.js';

const good = `apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: ok}
spec: {schedule: '@daily', task: {taskDefinition: t}}
`;

describe('ecs-scheduler validate', () => {
  it('accepts every example under examples/', async () => {
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand(['examples'], io), io.err).to.equal(0);
    expect(io.err).to.match(/[1-9]\d* EcsScheduledTask document\(s\) checked, 0 error\(s\)/);
  });

  it('reports file:document: field: problem for each error in a multi-document file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-'));
    const file = join(dir, 'jobs.yaml');
    await writeFile(
      file,
      `${good}---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
---
apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: bad}
spec: {schedule: '0 0 31 2 *', taskCount: 0, task: {}}
`,
    );
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand([dir], io)).to.equal(1);
    expect(io.err).to.contain(`${file}:3: spec.taskCount: must be >= 1`);
    expect(io.err).to.contain(`${file}:3: spec.task.taskDefinition: required field is missing`);
    expect(io.err).not.to.contain(`${file}:1:`);
  });

  it('reports a schedule that never fires and a YAML syntax error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-'));
    await writeFile(join(dir, 'a.yaml'), good.replace("'@daily'", "'0 0 31 2 *'"));
    await writeFile(join(dir, 'b.yml'), 'kind: [unclosed\n');
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand([dir], io)).to.equal(1);
    expect(io.err).to.match(/a\.yaml:1: spec\.schedule: .+/);
    expect(io.err).to.match(/b\.yml:1: \(yaml\): .+/);
  });

  it('exits 2 with usage when given nothing, and on a missing path', async () => {
    expect(await validateCommand([], recordingIo(new Date('2026-11-26T00:00:00Z')))).to.equal(2);
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand(['/nonexistent/path'], io)).to.equal(2);
    expect(io.err).to.contain('/nonexistent/path');
  });
});
