import type { Static } from '@sinclair/typebox';
import type { EcsSchedulerPolicy, EcsSchedulerPolicySpec } from './policy-schema.js';

export type EcsSchedulerPolicyResource = Static<typeof EcsSchedulerPolicy>;
export type PolicySpec = Static<typeof EcsSchedulerPolicySpec>;
export type NamespaceSelector = PolicySpec['namespaceSelector'];
