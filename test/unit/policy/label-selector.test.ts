import { expect } from 'chai';
import type { NamespaceSelector } from '../../../src/api/policy-types.js';
import { selectorMatches } from '../../../src/policy/label-selector.js';

describe('selectorMatches (namespaceSelector)', () => {
  const labels = { team: 'data', env: 'prod', 'kubernetes.io/metadata.name': 'team-data' };
  const cases: { name: string; selector: NamespaceSelector; matches: boolean }[] = [
    { name: 'an empty selector selects every namespace', selector: {}, matches: true },
    {
      name: 'matchLabels, all present',
      selector: { matchLabels: { team: 'data', env: 'prod' } },
      matches: true,
    },
    {
      name: 'matchLabels, one differs',
      selector: { matchLabels: { team: 'data', env: 'dev' } },
      matches: false,
    },
    { name: 'matchLabels, one absent', selector: { matchLabels: { owner: 'x' } }, matches: false },
    {
      name: 'by name through kubernetes.io/metadata.name',
      selector: { matchLabels: { 'kubernetes.io/metadata.name': 'team-data' } },
      matches: true,
    },
    {
      name: 'In, value listed',
      selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] },
      matches: true,
    },
    {
      name: 'In, value not listed',
      selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] },
      matches: false,
    },
    {
      name: 'In, label absent',
      selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['x'] }] },
      matches: false,
    },
    {
      name: 'NotIn, value listed',
      selector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
      matches: false,
    },
    {
      name: 'NotIn, label absent',
      selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['x'] }] },
      matches: true,
    },
    {
      name: 'Exists, present',
      selector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] },
      matches: true,
    },
    {
      name: 'Exists, absent',
      selector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      matches: false,
    },
    {
      name: 'DoesNotExist, absent',
      selector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] },
      matches: true,
    },
    {
      name: 'DoesNotExist, present',
      selector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] },
      matches: false,
    },
    {
      name: 'labels and expressions must all hold',
      selector: {
        matchLabels: { team: 'data' },
        matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }],
      },
      matches: false,
    },
    {
      name: 'an unknown operator selects nothing',
      selector: { matchExpressions: [{ key: 'team', operator: 'Matches' }] },
      matches: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(selectorMatches(c.selector, labels)).to.equal(c.matches));
  }
});
