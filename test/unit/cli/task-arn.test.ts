import { expect } from 'chai';
import { parseTaskArn, taskConsoleUrl } from '../../../src/cli/task-arn.js';

describe('task ARN and console link', () => {
  const cases = [
    {
      name: 'a task ARN with its cluster',
      arn: 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      fallback: undefined,
      url: 'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    },
    {
      name: 'an old-format ARN takes the cluster from the spec',
      arn: 'arn:aws:ecs:us-east-1:123456789012:task/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      fallback: 'batch',
      url: 'https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/batch/tasks/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    },
    {
      name: 'a spec cluster given as an ARN is reduced to its name',
      arn: 'arn:aws:ecs:us-east-1:123456789012:task/abc',
      fallback: 'arn:aws:ecs:us-east-1:123456789012:cluster/batch',
      url: 'https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/batch/tasks/abc',
    },
    {
      name: 'the China partition',
      arn: 'arn:aws-cn:ecs:cn-north-1:123456789012:task/prod/abc',
      fallback: undefined,
      url: 'https://cn-north-1.console.amazonaws.cn/ecs/v2/clusters/prod/tasks/abc',
    },
    {
      name: 'an old-format ARN without a cluster anywhere',
      arn: 'arn:aws:ecs:us-east-1:123456789012:task/abc',
      fallback: undefined,
      url: undefined,
    },
    {
      name: 'not a task ARN',
      arn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
      fallback: 'prod',
      url: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(taskConsoleUrl(c.arn, c.fallback)).to.equal(c.url));
  }

  it('parses the parts', () => {
    expect(parseTaskArn('arn:aws:ecs:eu-west-1:123456789012:task/prod/abc')).to.deep.equal({
      partition: 'aws',
      region: 'eu-west-1',
      account: '123456789012',
      cluster: 'prod',
      taskId: 'abc',
    });
  });
});
