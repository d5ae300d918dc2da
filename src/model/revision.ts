import ms from 'ms';

/** A commit as CI names it: 7 to 40 hex digits (a short SHA or a full one). */
export const REVISION_PATTERN = /^[0-9a-f]{7,40}$/i;

/**
 * Whether a target that reports `observed` (its /api/system/info git_commit)
 * runs the commit CI named as `expected`: equal, or one a prefix of the other
 * (CI often names a short SHA, the backend the full one), case aside. An
 * absent observed value is never a match: it is unknown (contract §8).
 */
export function revisionMatches(expected: string, observed: string | null | undefined): boolean {
  if (observed === null || observed === undefined || observed === '') return false;
  const a = expected.toLowerCase();
  const b = observed.toLowerCase();
  return a.startsWith(b) || b.startsWith(a);
}

/**
 * A duration as an operator writes it (`90s`, `10m`, `1h`, `1500ms`; the
 * `ms` package's grammar) in ms, or an error that says what was expected.
 * Bounded to [min, max] ms.
 */
export function parseDuration(text: string, bounds: { min: number; max: number }): { ok: true; ms: number } | { ok: false; error: string } {
  const value = /^\d+$/.test(text.trim()) ? Number.NaN : ms(text.trim() as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, error: `"${text}" is not a duration (90s, 10m, 1h)` };
  if (value < bounds.min || value > bounds.max) return { ok: false, error: `"${text}" must be from ${ms(bounds.min, { long: true })} to ${ms(bounds.max, { long: true })}` };
  return { ok: true, ms: value };
}

/**
 * What CI said it deployed to a target, and whether the target runs it yet:
 * the daemon's side of "deployed but not effective" (issue 12). An
 * expectation is live once a run against the target reads a matching
 * revision at /api/system/info; past its deadline and not live, the alert
 * GoldenPathDeployNotEffective pages.
 */
export interface RevisionExpectation {
  readonly target: string;
  /** The commit CI deployed, as it named it (a short or a full SHA). */
  readonly revision: string;
  /** When CI said so, and by when it must be live (ISO 8601). */
  readonly expectedAt: string;
  readonly deadline: string;
  /** When a run first read it at the target; absent while not live. */
  readonly liveAt?: string;
  /** The revision the target reported last (null: never read, or not reported). */
  readonly observed: string | null;
}
