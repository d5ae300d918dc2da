/**
 * `work`'s value, or `fallback` once `ms` milliseconds pass first; the
 * timer is cleared either way. A bare `Promise.race` with a sleep leaves its
 * timer pending for the whole wait: at a poll every 15 ms with a step's
 * remaining time as the wait, that is hundreds of live timers, and a
 * process kept alive for a step timeout after its work is done.
 * `work` is not cancelled: it settles on its own, its rejection still
 * reaches the caller if it comes first.
 */
export async function raceTimeout<T, U>(work: Promise<T>, ms: number, fallback: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<U>((resolve) => {
    timer = setTimeout(() => {
      resolve(fallback);
    }, ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}
