import { expect } from 'chai';
import { globMatch } from '../../../src/policy/glob.js';

describe('globMatch', () => {
  const cases: { name: string; pattern: string; value: string; matches: boolean }[] = [
    { name: 'an exact value', pattern: 'prod', value: 'prod', matches: true },
    { name: 'a different value', pattern: 'prod', value: 'prod2', matches: false },
    { name: 'a prefix is not enough', pattern: 'prod', value: 'pro', matches: false },
    { name: 'a lone star matches anything', pattern: '*', value: 'arn:aws:ecs:x:1:cluster/a', matches: true },
    { name: 'a lone star matches the empty string', pattern: '*', value: '', matches: true },
    { name: 'a trailing star', pattern: 'report-*', value: 'report-daily', matches: true },
    { name: 'a trailing star needs the prefix', pattern: 'report-*', value: 'reports', matches: false },
    { name: 'a leading star', pattern: '*-spot', value: 'fargate-spot', matches: true },
    { name: 'a star in the middle', pattern: 'a*z', value: 'abcz', matches: true },
    { name: 'a star in the middle, wrong end', pattern: 'a*z', value: 'abcy', matches: false },
    {
      name: 'a star crosses / and :',
      pattern: 'arn:aws:ecs:*:cluster/batch-*',
      value: 'arn:aws:ecs:eu-west-1:123456789012:cluster/batch-1',
      matches: true,
    },
    { name: 'two stars that need backtracking', pattern: '*ab*ab', value: 'xabyabab', matches: true },
    { name: 'regex characters are literal', pattern: 'a.c', value: 'abc', matches: false },
    { name: 'a question mark is literal', pattern: 'a?c', value: 'abc', matches: false },
    { name: 'empty pattern, empty value', pattern: '', value: '', matches: true },
    { name: 'empty pattern, some value', pattern: '', value: 'x', matches: false },
  ];
  for (const c of cases) {
    it(`${c.name}: ${JSON.stringify(c.pattern)} vs ${JSON.stringify(c.value)} -> ${c.matches}`, () => {
      expect(globMatch(c.pattern, c.value)).to.equal(c.matches);
    });
  }

  it('a many-star pattern against a long non-matching value finishes (no exponential backtracking)', () => {
    const pattern = `${'*a'.repeat(500)}b`;
    const value = 'a'.repeat(2000);
    expect(globMatch(pattern, value)).to.equal(false);
  });
});
