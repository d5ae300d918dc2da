/**
 * The time left (whole ms, never below 1: Playwright reads a timeout of 0 as none, and
 * `AbortSignal.timeout` takes only integers) of a step that began now and may take
 * `ms`. A step's waits share it, so a step with several waits (open the
 * socket, then wait for the welcome) still ends at its step timeout, not at
 * a multiple of it, and always before the run's deadline.
 */
export function stepBudget(ms: number): () => number {
  const ends = performance.now() + ms;
  return () => Math.max(1, Math.floor(ends - performance.now()));
}
