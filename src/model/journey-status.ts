import type { Failure } from './reasons.js';
import type { RunRecord } from './run-record.js';
import { runHeading, type RunHeading } from './run-record.js';

/**
 * Where one journey stands against one target, as the console's overview,
 * journey page and badge say it: a state and the facts behind it. Pure: the
 * inputs are the journey's config, what the run history says (the store's
 * journeyHistory()), its pause, and the time; the rules are the alert
 * rules' (alerts/golden-path.rules.yml), so the page and the pager agree.
 */

/**
 * - `passing`: the last verdict on the target was a pass.
 * - `failing`: failed runs in a row since the last pass, fewer than the journey pages after.
 * - `paging`: the streak has reached `pageAfterFailures` (GoldenPathDown), or one
 *   security/isolation failure (GoldenPathSecurityFailure, which pages at once).
 * - `erroring`: no failure streak, and the last run was the monitor's own error (no verdict on the target).
 * - `stale`: no finished run for more than STALE_INTERVALS × its interval (GoldenPathMonitorStale).
 * - `paused`: an operator paused it (planned work): not scheduled, never pages.
 * - `disabled`: switched off in the config.
 * - `no-runs`: enabled, and no run yet.
 */
export type JourneyState = 'passing' | 'failing' | 'paging' | 'erroring' | 'stale' | 'paused' | 'disabled' | 'no-runs';

/** The state in words, as the console and the badge print it. */
export const STATE_LABELS: Readonly<Record<JourneyState, string>> = {
  passing: 'passing',
  failing: 'failing',
  paging: 'paging',
  erroring: 'erroring',
  stale: 'stale',
  paused: 'paused',
  disabled: 'disabled',
  'no-runs': 'no run yet',
};

/** The states from the worst to the best: the overview's tally, the badge of a journey's worst target, `gpmon status`. */
export const STATE_SEVERITY: readonly JourneyState[] = ['paging', 'failing', 'stale', 'erroring', 'paused', 'no-runs', 'passing', 'disabled'];

/** A configured journey's facts the status is judged by (the shape of config/resolve.ts's ConfiguredJourney, which holds more). */
export function journeyFactsOf(journey: { readonly definition: { readonly name: string }; readonly enabled: boolean; readonly schedule: string; readonly intervalSeconds: number; readonly pageAfterFailures: number }): JourneyFacts {
  return { name: journey.definition.name, enabled: journey.enabled, schedule: journey.schedule, intervalSeconds: journey.intervalSeconds, pageAfterFailures: journey.pageAfterFailures };
}

/** After a resume, the time GoldenPathMonitorStale adds to its 3 intervals before a journey with no run since is stale (alerts/golden-path.rules.yml). */
export const RESUME_GRACE_MS = 2 * 60 * 1000;

/** Schedule intervals without a finished run before a journey is stale: GoldenPathMonitorStale's `3 * synthetic_journey_interval_seconds`. */
export const STALE_INTERVALS = 3;

/** Runs the overview's strip and the journey page's table show. */
export const RECENT_RUNS = 50;

/** Failure reasons that page on one run (GoldenPathSecurityFailure): no flake produces them. */
const PAGE_AT_ONCE: ReadonlySet<string> = new Set(['security', 'isolation']);

/** One run as a strip cell or a table row shows it: the record without its marks, events and artifacts. */
export interface RunSummary extends RunHeading {
  readonly failure?: Pick<Failure, 'step' | 'reason' | 'message'>;
  readonly revision: string | null;
  /** Closed as `error` at a start after the monitor died mid-run: it did not run. */
  readonly recovered: boolean;
}

/** A run record as a RunSummary. */
export function summarise(record: RunRecord): RunSummary {
  return {
    ...runHeading(record),
    ...(record.failure !== undefined ? { failure: { step: record.failure.step, reason: record.failure.reason, message: record.failure.message } } : {}),
    revision: record.targetInfo.revision,
    recovered: record.marks.recovered === true,
  };
}

export interface OutcomeCounts {
  readonly passed: number;
  readonly failed: number;
  readonly error: number;
}

/** What the run history says of one journey against one target (RunStore.journeyHistory gives it). */
export interface JourneyHistory {
  /** The last runs, newest first (at most RECENT_RUNS). */
  readonly recent: readonly RunSummary[];
  /**
   * Failed runs since the last pass, by finish time (STREAKS_SQL's rule: a
   * monitor error neither counts nor breaks it), with the first and the
   * latest of them; 0 and neither when the last verdict was a pass.
   */
  readonly streak: { readonly failures: number; readonly first?: RunSummary; readonly latest?: RunSummary };
  /** When the last run that ran (not one closed at a restart) finished: what staleness is measured from. */
  readonly lastFinishedAt?: string;
  /** Runs started in the last 24 hours and 7 days, by outcome. */
  readonly day: OutcomeCounts;
  readonly week: OutcomeCounts;
}

/** The config facts the state needs (a ConfiguredJourney has them all). */
export interface JourneyFacts {
  readonly name: string;
  readonly enabled: boolean;
  /** Cron, seconds allowed. */
  readonly schedule: string;
  /** The longest gap expected between two finished runs, s. */
  readonly intervalSeconds: number;
  readonly pageAfterFailures: number;
}

/** A pause in force (src/monitor/pauses.ts's PauseInfo, as data). */
export interface PauseFacts {
  readonly since: string;
  readonly reason?: string;
  readonly by: string;
}

export interface StatusInput {
  readonly journey: JourneyFacts;
  readonly target: string;
  readonly history: JourneyHistory;
  readonly pause?: PauseFacts | undefined;
  /**
   * When this monitor started (ISO): a journey that has never run is stale once
   * the monitor has been up for STALE_INTERVALS intervals without running it
   * (the alert cannot see that case: the series it reads does not exist yet).
   */
  readonly monitorStartedAt?: string;
  /**
   * When the journey was last resumed (ISO), if known: it is not stale until
   * STALE_INTERVALS intervals and RESUME_GRACE_MS after that, as
   * GoldenPathMonitorStale waits after a resume.
   */
  readonly resumedAt?: string | undefined;
  /** Epoch ms. */
  readonly now: number;
}

/** passed / (passed + failed); monitor errors excluded (they are no verdict on the target). null when neither. */
export interface SuccessRatio extends OutcomeCounts {
  readonly value: number | null;
}

export interface FailingFacts {
  /** When the first failed run of the streak finished. */
  readonly since: string;
  readonly failures: number;
  readonly pageAfter: number;
  /** The alert that pages for it now, if any. */
  readonly pagedBy?: 'GoldenPathDown' | 'GoldenPathSecurityFailure';
  /** The latest failed run: its step, reason and message. */
  readonly latest: RunSummary;
}

export interface StaleFacts {
  /** The last finished run, or undefined when there has been none (since the monitor's start). */
  readonly lastRunAt?: string;
  /** Time since then (or since the monitor's start), ms. */
  readonly silentMs: number;
  /** STALE_INTERVALS × the interval, ms. */
  readonly limitMs: number;
}

export interface JourneyStatus {
  readonly journey: string;
  readonly target: string;
  readonly state: JourneyState;
  readonly label: string;
  /** The failure streak, when there is one: kept under `paused`, `stale` and `disabled` too. */
  readonly failing?: FailingFacts;
  readonly stale?: StaleFacts;
  readonly paused?: PauseFacts;
  readonly lastRun?: RunSummary;
  /** The last run was the monitor's own error (shown beside any state). */
  readonly lastRunErrored: boolean;
  readonly ratio: { readonly day: SuccessRatio; readonly week: SuccessRatio };
  /** The recent runs, oldest to newest (left to right). */
  readonly strip: readonly RunSummary[];
}

/** The success ratio of a window's counts. */
export function successRatio(counts: OutcomeCounts): SuccessRatio {
  const judged = counts.passed + counts.failed;
  return { ...counts, value: judged === 0 ? null : counts.passed / judged };
}

/** The state of one journey against one target (see JourneyState for the rules, in the order they apply). */
export function journeyStatus(input: StatusInput): JourneyStatus {
  const { journey, history, pause, now } = input;
  const lastRun = history.recent[0];
  const failing = failingFacts(journey, history);
  const stale = staleFacts(journey, history, input.monitorStartedAt, input.resumedAt, now);
  let state: JourneyState;
  if (!journey.enabled) state = 'disabled';
  else if (pause !== undefined) state = 'paused';
  else if (stale !== undefined) state = 'stale';
  else if (failing?.pagedBy !== undefined) state = 'paging';
  else if (failing !== undefined) state = 'failing';
  else if (lastRun?.outcome === 'error') state = 'erroring';
  else if (lastRun === undefined) state = 'no-runs';
  else state = 'passing';
  return {
    journey: journey.name,
    target: input.target,
    state,
    label: STATE_LABELS[state],
    ...(failing !== undefined ? { failing } : {}),
    ...(stale !== undefined && journey.enabled && pause === undefined ? { stale } : {}),
    ...(pause !== undefined ? { paused: pause } : {}),
    ...(lastRun !== undefined ? { lastRun } : {}),
    lastRunErrored: lastRun?.outcome === 'error',
    ratio: { day: successRatio(history.day), week: successRatio(history.week) },
    strip: [...history.recent].reverse(),
  };
}

function failingFacts(journey: JourneyFacts, history: JourneyHistory): FailingFacts | undefined {
  const { failures, first, latest } = history.streak;
  if (failures < 1 || first === undefined || latest === undefined) return undefined;
  const pagedBy =
    latest.failure !== undefined && PAGE_AT_ONCE.has(latest.failure.reason)
      ? 'GoldenPathSecurityFailure'
      : failures >= journey.pageAfterFailures
        ? 'GoldenPathDown'
        : undefined;
  return { since: first.finishedAt, failures, pageAfter: journey.pageAfterFailures, ...(pagedBy !== undefined ? { pagedBy } : {}), latest };
}

function staleFacts(journey: JourneyFacts, history: JourneyHistory, monitorStartedAt: string | undefined, resumedAt: string | undefined, now: number): StaleFacts | undefined {
  const limitMs = STALE_INTERVALS * journey.intervalSeconds * 1000;
  // Just resumed, with no run since: the rule's grace (its scheduled runs have only just started again).
  if (resumedAt !== undefined && (history.lastFinishedAt === undefined || history.lastFinishedAt < resumedAt) && now - Date.parse(resumedAt) <= limitMs + RESUME_GRACE_MS) return undefined;
  const from = history.lastFinishedAt ?? monitorStartedAt;
  if (from === undefined) return undefined;
  const silentMs = now - Date.parse(from);
  // The alert's `>`: at exactly the limit it is not stale yet.
  if (!(silentMs > limitMs)) return undefined;
  return { ...(history.lastFinishedAt !== undefined ? { lastRunAt: history.lastFinishedAt } : {}), silentMs, limitMs };
}

/** The revision a target reports (targetInfo.revision of its runs) and since when (RunStore.targetRevision gives it). */
export interface RevisionFacts {
  readonly revision: string;
  readonly version: string | null;
  /** When the first run that reported it finished, after a run that reported another; absent when no run ever reported another. */
  readonly changedAt?: string;
  /** The earliest run in the history that reported it. */
  readonly firstSeenAt: string;
}
