/**
 * Paused journeys: planned work on a target (a migration, a deploy window)
 * should neither run the journey on its schedule nor page. A pause is per
 * journey and target; run now and replay still work while it holds.
 */

/** Who paused it: a signed-in operator in the console, or a bearer-token API call. */
export type PausedBy = 'console' | 'api';

/** One pause in force. */
export interface PauseInfo {
  readonly journey: string;
  readonly target: string;
  /** When it was paused (ISO 8601). A second pause of a paused journey keeps this time. */
  readonly since: string;
  /** What the operator said, at most MAX_PAUSE_REASON characters. */
  readonly reason?: string;
  readonly by: PausedBy;
}

/** The longest reason kept (the HTTP API refuses a longer one). */
export const MAX_PAUSE_REASON = 200;

/**
 * What changed: `paused` holds the pause now in force, or is undefined when
 * the journey was resumed. The daemon keeps it in the store, sets the
 * `synthetic_journey_paused` gauge and logs it.
 */
export interface PauseChange {
  readonly journey: string;
  readonly target: string;
  readonly paused: PauseInfo | undefined;
}

/**
 * The pauses in force, in memory (the scheduler asks on every tick, the
 * console on every page). `onChange` gets each change as it happens; the
 * store that keeps them across restarts sits behind it, as for
 * DeployExpectations.
 */
export class Pauses {
  private readonly byKey = new Map<string, PauseInfo>();
  /** When each journey and target was last resumed by this process (ISO): the console gives it the stale rule's grace. */
  private readonly resumed = new Map<string, string>();

  constructor(
    private readonly onChange: (change: PauseChange) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Pauses kept from before a restart (the store gives them back); each is announced through onChange. */
  restore(pauses: readonly PauseInfo[]): void {
    for (const pause of pauses) {
      this.byKey.set(key(pause.journey, pause.target), pause);
      this.onChange({ journey: pause.journey, target: pause.target, paused: pause });
    }
  }

  /** The pause of this journey and target, if it is paused. */
  get(journey: string, target: string): PauseInfo | undefined {
    return this.byKey.get(key(journey, target));
  }

  /** Every pause in force, by journey then target. */
  list(): PauseInfo[] {
    return [...this.byKey.values()].sort((a, b) => a.journey.localeCompare(b.journey) || a.target.localeCompare(b.target));
  }

  /**
   * Pauses the journey against the target and returns the pause in force.
   * Pausing a paused journey keeps its `since` and takes the new reason and
   * author (the operator corrects why, the pause does not restart).
   * The reason is cut to MAX_PAUSE_REASON characters.
   */
  pause(journey: string, target: string, how: { readonly reason?: string | undefined; readonly by: PausedBy }): PauseInfo {
    const before = this.get(journey, target);
    const reason = how.reason?.trim().slice(0, MAX_PAUSE_REASON);
    const info: PauseInfo = {
      journey,
      target,
      since: before?.since ?? new Date(this.now()).toISOString(),
      ...(reason !== undefined && reason !== '' ? { reason } : {}),
      by: how.by,
    };
    this.byKey.set(key(journey, target), info);
    this.onChange({ journey, target, paused: info });
    return info;
  }

  /** When this process last resumed the journey against the target (ISO), if it did; not kept across restarts. */
  resumedAt(journey: string, target: string): string | undefined {
    return this.resumed.get(key(journey, target));
  }

  /** Resumes the journey against the target; returns the pause that ended, or undefined when it was not paused (nothing changes). */
  resume(journey: string, target: string): PauseInfo | undefined {
    const before = this.get(journey, target);
    if (before === undefined) return undefined;
    this.byKey.delete(key(journey, target));
    this.resumed.set(key(journey, target), new Date(this.now()).toISOString());
    this.onChange({ journey, target, paused: undefined });
    return before;
  }
}

function key(journey: string, target: string): string {
  return `${journey}\u0000${target}`;
}
