import type { Static } from '@sinclair/typebox';
import type {
  EcsTaskBackfill,
  EcsTaskBackfillSpec,
  EcsTaskBackfillStatus,
  RERUN_MODES,
} from './backfill-schema.js';

export type EcsTaskBackfillResource = Static<typeof EcsTaskBackfill>;
export type BackfillSpec = Static<typeof EcsTaskBackfillSpec>;
export type BackfillStatus = Static<typeof EcsTaskBackfillStatus>;
export type BackfillActiveRun = NonNullable<BackfillStatus['active']>[number];
export type RerunMode = (typeof RERUN_MODES)[number];
