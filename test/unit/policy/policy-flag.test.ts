import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('--policy', () => {
  const cases: { name: string; args: string[]; env?: Record<string, string>; policy: string }[] = [
    { name: 'enforces by default', args: [], policy: 'enforce' },
    { name: 'off by flag', args: ['--policy', 'off'], policy: 'off' },
    { name: 'off from the environment', args: [], env: { ECS_SCHEDULER_POLICY: 'off' }, policy: 'off' },
    {
      name: 'the flag wins over the environment',
      args: ['--policy', 'enforce'],
      env: { ECS_SCHEDULER_POLICY: 'off' },
      policy: 'enforce',
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(loadConfig(c.args, c.env ?? {}).policy).to.equal(c.policy));
  }

  it('rejects anything else, naming the flag', () => {
    expect(() => loadConfig(['--policy', 'audit'], {})).to.throw(
      ConfigError,
      /--policy: "audit" must be one of enforce, off/,
    );
  });
});
