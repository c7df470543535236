/**
 * The only way time enters the controller. The reconciler reads `now()` once per pass; the work
 * queue uses `setTimer` for delayed adds. Tests substitute a fake clock that moves by hand.
 */
export interface Clock {
  now(): Date;
  /** Runs `fn` once after `delayMs`; the returned function cancels it. */
  setTimer(fn: () => void, delayMs: number): () => void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer: (fn, delayMs) => {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    handle.unref?.();
    return () => clearTimeout(handle);
  },
};
