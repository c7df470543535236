// When each fault of a scenario strikes: a pure function of the scenario and a seeded random
// source, so a run can be replayed from its logged seed. Faults are spread over slots of equal
// length between the quiet margins (one fault per slot, at a random moment inside it, kinds in a
// random order), so that two faults rarely land on the same second while every moment can be hit.
import type { Scenario } from './scenario.js';

export type FaultKind =
  'kill' | 'pause' | 'apiserver-restart' | 'etcd-restart' | 'black-hole' | 'scale-up' | 'scale-down';

export interface PlannedFault {
  readonly kind: FaultKind;
  /** From the start of the load, in ms. */
  readonly atMs: number;
  /** How long it lasts (pause, black hole); 0 for the others, which last as long as recovery. */
  readonly durationMs: number;
}

export function planFaults(scenario: Scenario, random: () => number): PlannedFault[] {
  const f = scenario.faults;
  const kinds: FaultKind[] = [
    ...Array<FaultKind>(f.kills).fill('kill'),
    ...Array<FaultKind>(f.pauses).fill('pause'),
    ...Array<FaultKind>(f.apiserverRestarts).fill('apiserver-restart'),
    ...Array<FaultKind>(f.etcdRestarts).fill('etcd-restart'),
    ...Array<FaultKind>(f.blackHoles).fill('black-hole'),
    ...Array<FaultKind>(f.scaleUps).fill('scale-up'),
    ...Array<FaultKind>(f.scaleDowns).fill('scale-down'),
  ];
  // Fisher-Yates with the seeded source.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const from = scenario.quietSeconds * 1000;
  const to = (scenario.durationSeconds - scenario.quietSeconds) * 1000;
  const slot = kinds.length === 0 ? 0 : (to - from) / kinds.length;
  return kinds.map((kind, i) => ({
    kind,
    atMs: Math.round(from + slot * i + random() * slot * 0.8),
    durationMs:
      kind === 'pause' ? f.pauseSeconds * 1000 : kind === 'black-hole' ? f.blackHoleSeconds * 1000 : 0,
  }));
}
