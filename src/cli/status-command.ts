import { Command } from 'commander';
import type { ConfiguredJourney, MonitorConfig } from '../config/resolve.js';
import { didYouMean } from '../model/did-you-mean.js';
import { duration, percent, relativeTime, scheduleInWords } from '../model/humanize.js';
import {
  journeyStatus,
  RECENT_RUNS,
  journeyFactsOf,
  STATE_SEVERITY,
  type JourneyHistory,
  type JourneyState,
  type JourneyStatus,
  type PauseFacts,
  type RevisionFacts,
  type SuccessRatio,
} from '../model/journey-status.js';
import type { RunStore, StoredPause } from '../store/run-store.js';
import { openHistory, readFailure, type HistoryReading } from './history-reader.js';
import { cut, terminalJson, terminalText } from './terminal-text.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';

/** What `gpmon status` takes, as commander parses it (values unchecked). */
export interface StatusOptions {
  readonly config?: string;
  readonly journey?: string;
  readonly target?: string;
  readonly json?: boolean;
}

/** The states that make `gpmon status` exit 1: the target fails the journey (what the pager is about, or will be). */
export const FAILING_STATES: ReadonlySet<JourneyState> = new Set(['failing', 'paging']);

/** The order the tally line counts states in: the worst first (the console's badge order). */
const TALLY_ORDER = STATE_SEVERITY;

/** A failure message longer than this is cut in the text view (--json and `gpmon show` have it whole). */
const MAX_MESSAGE_CHARS = 300;

/** The command's options and help, for program.ts to register. */
export function statusSpec(): Command {
  return new Command('status')
    .description("where each configured journey stands against each of its targets: what the console's overview shows")
    .option('--journey <name>', 'only this journey')
    .option('--target <name>', 'only this target')
    .option('--json', 'print the statuses as JSON (an array, one entry a journey × target)')
    .option('--config <file>', 'the config whose journeys and run history it reads (runs.database; default ./monitor.config.ts)')
    .addHelpText(
      'after',
      `
Each journey × target is passing, failing (N failed runs in a row), paging
(the streak reached the journey's pageAfterFailures, or a security failure),
erroring (the monitor's own error), stale (no finished run for 3 schedule
intervals), paused, disabled, or has no run yet: the console's rules
(src/model/journey-status.ts), read from the run history. It reads the
history only: it contacts no target and needs no running gpmon serve.

Exit: 0 printed, and none of those shown is failing or paging;
      1 printed, and at least one shown is failing or paging (for scripts:
        gpmon status --journey golden-path || echo down);
      2 bad usage (an unknown journey or target) or a history that cannot be read.`,
    );
}

/**
 * `gpmon status`: every configured journey against each of its targets as
 * the console's overview shows it, computed by the same function
 * (journeyStatus, src/model/journey-status.ts) from the same store queries
 * (journeyHistory, targetRevision) and the pauses kept in the store. Text
 * from the target (failure messages, revisions) goes through terminalText.
 *
 * --journey must name a configured journey (a journey only the history holds
 * has no schedule or pageAfterFailures to judge it by: `gpmon runs` lists its
 * runs), --target a configured target (of that journey, with --journey).
 * A history file not there yet is not an error: every journey has no run yet,
 * "no runs recorded in <path> yet", and nothing is created.
 * Exit 0 printed; 1 printed, and a journey shown is failing or paging; 2 a
 * bad flag or a history that cannot be read.
 */
export async function statusCommand(options: StatusOptions, io: CliIo): Promise<ExitCode> {
  let reading: HistoryReading | undefined;
  try {
    for (const flag of ['journey', 'target'] as const) {
      if (options[flag] === '') throw new UsageError(`gpmon status: --${flag}: give a name`);
    }
    reading = await openHistory('status', options.config, io);
    const { config, store, place } = reading;
    const pairs = selectPairs(config, options, store);
    const now = Date.now();
    const entries = statusEntries(pairs, store, now);
    const note = store === undefined ? `no runs recorded in ${place.database} yet` : undefined;
    if (options.json === true) {
      io.out(terminalJson(entries.map(statusJson)));
      if (note !== undefined) io.err(note);
    } else {
      if (note !== undefined) io.out(note);
      for (const line of statusLines(entries, now)) io.out(line);
    }
    return entries.some((e) => FAILING_STATES.has(e.status.state)) ? 1 : 0;
  } catch (error) {
    return readFailure('status', error, reading?.place, io);
  } finally {
    reading?.store?.close();
  }
}

/** One journey × target the command reports on. */
export interface StatusPair {
  readonly journey: ConfiguredJourney;
  readonly target: string;
}

/**
 * The journey × target pairs the flags select, in the config's order (the
 * overview's): each journey against each of its targets. A UsageError names
 * an unknown journey or target, with the nearest configured name.
 */
export function selectPairs(config: MonitorConfig, options: Pick<StatusOptions, 'journey' | 'target'>, store?: Pick<RunStore, 'standings'>): StatusPair[] {
  const journeyNames = config.journeys.map((j) => j.definition.name);
  const targetNames = config.targets === 'simulator' ? ['simulator'] : config.targets.map((t) => t.target.name);
  let journeys = config.journeys;
  if (options.journey !== undefined) {
    const name = options.journey;
    const found = config.journeys.find((j) => j.definition.name === name);
    if (found === undefined) {
      const inHistory = (store?.standings() ?? []).some((s) => s.journey === name);
      throw new UsageError(
        `gpmon status: --journey: unknown journey "${terminalText(name)}"${terminalText(didYouMean(name, journeyNames))}; configured: ${terminalText(journeyNames.join(', ') || 'none')}` +
          (inHistory ? `\n  "${terminalText(name)}" has runs in the history but is not configured now: gpmon runs --journey ${terminalText(name)} lists them` : ''),
      );
    }
    journeys = [found];
  }
  if (options.target !== undefined) {
    const name = options.target;
    if (!targetNames.includes(name)) {
      throw new UsageError(`gpmon status: --target: unknown target "${terminalText(name)}"${terminalText(didYouMean(name, targetNames))}; configured: ${terminalText(targetNames.join(', '))}`);
    }
    const [only] = journeys;
    if (options.journey !== undefined && only !== undefined && !only.targets.includes(name)) {
      throw new UsageError(`gpmon status: the journey ${terminalText(only.definition.name)} does not run against ${terminalText(name)}; its targets: ${terminalText(only.targets.join(', '))}`);
    }
  }
  return journeys.flatMap((journey) => journey.targets.filter((t) => options.target === undefined || t === options.target).map((target) => ({ journey, target })));
}

/** One journey × target's status with the facts the overview's card shows beside it. */
export interface StatusEntry {
  readonly status: JourneyStatus;
  /** The revision its target reports (undefined: no run read one). */
  readonly revision: RevisionFacts | undefined;
  /** Cron, as configured. */
  readonly schedule: string;
}

/** The history of a journey that has never run (no history file yet): journeyStatus judges it as it would an empty one. */
const NO_HISTORY: JourneyHistory = { recent: [], streak: { failures: 0 }, day: { passed: 0, failed: 0, error: 0 }, week: { passed: 0, failed: 0, error: 0 } };

/**
 * Each pair's status at `now` (epoch ms), as the console's overview computes
 * it: journeyStatus over the store's journeyHistory and the pause kept in the
 * store, and the store's targetRevision. No monitorStartedAt is given: the
 * CLI does not know when the daemon started, so a journey that never ran is
 * "no run yet", never stale (the console says stale once it has been up 3
 * intervals without running it). `store` undefined: no history file yet.
 */
export function statusEntries(pairs: readonly StatusPair[], store: Pick<RunStore, 'journeyHistory' | 'targetRevision' | 'pauses'> | undefined, now: number): StatusEntry[] {
  const pauses = new Map<string, StoredPause>((store?.pauses() ?? []).map((p) => [`${p.journey}\u0000${p.target}`, p]));
  const revisions = new Map<string, RevisionFacts | undefined>();
  return pairs.map(({ journey, target }) => {
    const name = journey.definition.name;
    if (!revisions.has(target)) revisions.set(target, store?.targetRevision(target));
    const kept = pauses.get(`${name}\u0000${target}`);
    const pause: PauseFacts | undefined = kept === undefined ? undefined : { since: kept.since, by: kept.by, ...(kept.reason !== undefined ? { reason: kept.reason } : {}) };
    const status = journeyStatus({
      journey: journeyFactsOf(journey),
      target,
      history: store?.journeyHistory(name, target, new Date(now), RECENT_RUNS) ?? NO_HISTORY,
      pause,
      now,
    });
    return { status, revision: revisions.get(target), schedule: journey.schedule };
  });
}

/**
 * An entry as `--json` prints it: the JourneyStatus (src/model/journey-status.ts)
 * without its strip of recent runs (`gpmon runs --json` lists runs), with
 * `revision` (RevisionFacts, or null when no run read one) and `schedule`.
 */
export function statusJson(entry: StatusEntry): object {
  const { strip: _strip, ...status } = entry.status;
  return { ...status, schedule: entry.schedule, revision: entry.revision ?? null };
}

/** `iso` as "3 minutes ago (2026-01-01T10:00:00Z)": relative to `now` (epoch ms), and to the second in UTC. */
function when(iso: string, now: number): string {
  return `${relativeTime(iso, now)} (${iso.replace(/\.\d+Z$/, 'Z')})`;
}

function inARow(n: number): string {
  return `${n} failed run${n === 1 ? '' : 's'} in a row`;
}

function ratioText(r: SuccessRatio): string {
  if (r.value === null) return 'no runs';
  const errors = r.error > 0 ? `; ${r.error} monitor error${r.error === 1 ? '' : 's'} left out` : '';
  return `${percent(r.value)} (${r.passed} of ${r.passed + r.failed}${errors})`;
}

/** The state line's words after the label: the card's (src/http/views/partials/card.eta), in a sentence. */
function stateWords(s: JourneyStatus, now: number): string {
  switch (s.state) {
    case 'failing':
    case 'paging': {
      const f = s.failing;
      if (f === undefined) return '';
      const pages =
        s.state === 'paging'
          ? ` (${f.pagedBy === 'GoldenPathSecurityFailure' ? 'a security failure pages at once' : `pages at ${f.pageAfter}`}; ${f.pagedBy ?? ''} fires)`
          : ` (pages at ${f.pageAfter})`;
      return `since ${when(f.since, now)}: ${inARow(f.failures)}${pages}`;
    }
    case 'paused': {
      const p = s.paused;
      if (p === undefined) return '';
      return `since ${when(p.since, now)}, from the ${p.by === 'api' ? 'API' : 'console'}${p.reason !== undefined ? `: "${p.reason}"` : ''}. Not scheduled; its alerts are quiet.`;
    }
    case 'stale': {
      const st = s.stale;
      if (st === undefined) return '';
      return `no finished run for ${duration(st.silentMs)}: over 3 schedule intervals (${duration(st.limitMs)}). The monitor is not watching it.`;
    }
    case 'erroring':
      return "the last run was the monitor's own error: no verdict on the target.";
    case 'passing':
      return 'the last verdict was a pass.';
    case 'no-runs':
      return 'it has not run yet.';
    case 'disabled':
      return 'switched off in the config: not scheduled.';
  }
}

/**
 * The entries as text, the overview's cards in a terminal: a tally line,
 * then per journey × target its state (with the streak, pause or silence
 * behind it), the failing step's reason and message, the last run, the
 * success ratios over 24 h and 7 days, the deployed revision and the
 * schedule. A disabled journey (the overview lists those apart) is one line
 * at the end, unless it is all there is to show. Every value passes through
 * terminalText. `now` is epoch ms.
 */
export function statusLines(entries: readonly StatusEntry[], now: number): string[] {
  if (entries.length === 0) return ['no journey is configured'];
  const lines: string[] = [];
  const t = terminalText;
  const shownWhole = entries.every((e) => e.status.state === 'disabled');
  const cards = shownWhole ? entries : entries.filter((e) => e.status.state !== 'disabled');
  const off = shownWhole ? [] : entries.filter((e) => e.status.state === 'disabled');
  const counts = new Map<JourneyState, number>();
  for (const e of cards) counts.set(e.status.state, (counts.get(e.status.state) ?? 0) + 1);
  const tally = TALLY_ORDER.filter((s) => counts.has(s)).map((s) => `${counts.get(s) ?? 0} ${s === 'no-runs' ? 'without a run yet' : s}`);
  lines.push(`${cards.length} journey × target${cards.length === 1 ? '' : 's'} at ${new Date(now).toISOString().replace(/\.\d+Z$/, 'Z')}: ${tally.join(', ')}`);
  for (const { status: s, revision, schedule } of cards) {
    lines.push('');
    // "FAILING since …", "PAUSED since …"; the others read as "PASSING: the last verdict was a pass."
    const joint = s.state === 'failing' || s.state === 'paging' || s.state === 'paused' ? ' ' : ': ';
    lines.push(t(`${s.journey} on ${s.target}: ${s.label.toUpperCase()}${joint}${stateWords(s, now)}`));
    if (s.failing !== undefined && s.state !== 'failing' && s.state !== 'paging') {
      lines.push(t(`  failing since ${when(s.failing.since, now)}: ${inARow(s.failing.failures)} (pages at ${s.failing.pageAfter})`));
    }
    const failure = s.failing?.latest.failure ?? (s.state === 'erroring' ? s.lastRun?.failure : undefined);
    if (failure !== undefined) {
      lines.push(t(`  step ${failure.step} failed with ${failure.reason}: ${cut(failure.message, MAX_MESSAGE_CHARS)}`));
    }
    const failedRun = s.failing?.latest;
    if (failedRun !== undefined && failedRun.id !== s.lastRun?.id) lines.push(t(`  last failed run  ${failedRun.id}, ${relativeTime(failedRun.finishedAt, now)}`));
    if (s.lastRunErrored && s.state !== 'erroring') lines.push("  the last run was the monitor's own error (gpmon show <last run> says why)");
    const last = s.lastRun;
    lines.push(
      t(
        `  last run         ${last === undefined ? 'none yet' : `${last.outcome} ${relativeTime(last.finishedAt, now)}, took ${duration(last.durationMs)}${last.recovered ? ' (the monitor stopped mid-run)' : ''}: ${last.id}`}`,
      ),
    );
    if (last !== undefined) {
      lines.push(t(`  success 24 h     ${ratioText(s.ratio.day)}`));
      lines.push(t(`  success 7 days   ${ratioText(s.ratio.week)}`));
    }
    const rev =
      revision === undefined
        ? 'not reported'
        : `${revision.revision.slice(0, 12)}${revision.version !== null ? ` (version ${revision.version})` : ''}, ${revision.changedAt !== undefined ? `changed ${relativeTime(revision.changedAt, now)}` : `seen since ${relativeTime(revision.firstSeenAt, now)}`}`;
    lines.push(t(`  revision         ${rev}`));
    lines.push(t(`  schedule         ${scheduleInWords(schedule)} (${schedule})`));
  }
  if (off.length > 0) {
    lines.push('');
    const names = [...new Set(off.map((e) => e.status.journey))];
    lines.push(t(`switched off in the config: ${names.join(', ')}`));
  }
  lines.push('');
  lines.push('gpmon show <run id> shows a run: its steps, failure, evidence and artifacts');
  return lines;
}
