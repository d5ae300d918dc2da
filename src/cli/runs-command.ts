import { didYouMean } from '../model/did-you-mean.js';
import { duration, relativeTime } from '../model/humanize.js';
import { parseDuration } from '../model/revision.js';
import type { Outcome, RunRecord } from '../model/run-record.js';
import type { RunQuery } from '../store/run-store.js';
import { openHistory, readFailure, type HistoryReading } from './history-reader.js';
import { columns, terminalJson, terminalText } from './terminal-text.js';
import { UsageError, type CliIo, type ExitCode } from './usage.js';

/** What `gpmon runs` takes, as commander parses it (values unchecked). */
export interface RunsOptions {
  readonly config?: string;
  readonly journey?: string;
  readonly target?: string;
  readonly failed?: boolean;
  readonly since?: string;
  readonly limit?: string;
  readonly json?: boolean;
}

/** Runs listed when --limit is not given. */
export const DEFAULT_RUNS_LIMIT = 20;
export const MAX_RUNS_LIMIT = 1000;
/** --since's bounds: a second, to a year (past any retention but a deliberately long one). */
const SINCE_BOUNDS = { min: 1000, max: 365 * 24 * 60 * 60 * 1000 };
const NOT_PASSED: readonly Outcome[] = ['failed', 'error'];

/**
 * `gpmon runs`: the run history, newest first, as a table (one row a run) or,
 * with --json, a JSON array of the stored run records (the shape of
 * `gpmon run --json` and GET /api/runs/:id), `[]` when none match.
 *
 * --journey and --target accept a name the config has now or one the history
 * holds: a journey removed from the config keeps its runs (retention keeps
 * failures for weeks), and they stay listable. A name in neither is exit 2,
 * with the nearest known name. A history file not there yet is not an error:
 * "no runs recorded in <path> yet", exit 0, and nothing is created.
 * Exit 0 listed (none too), 2 a bad value or a history that cannot be read.
 */
export async function runsCommand(options: RunsOptions, io: CliIo): Promise<ExitCode> {
  let reading: HistoryReading | undefined;
  try {
    const now = Date.now();
    const query = parseRunsOptions(options, now);
    reading = await openHistory('runs', options.config, io);
    const { store, place } = reading;
    checkNames(query, reading);
    if (store === undefined) {
      const note = `no runs recorded in ${place.database} yet`;
      // A script reading --json gets an empty list; the note is for the person.
      if (options.json === true) {
        io.out('[]');
        io.err(note);
      } else io.out(note);
      return 0;
    }
    const records = store.list(query);
    if (options.json === true) {
      io.out(terminalJson(records));
      return 0;
    }
    if (records.length === 0) {
      const filters = describeQuery(query, options.since);
      io.out(filters === '' ? `no runs recorded in ${place.database} yet` : `no runs match in ${place.database}: ${filters}`);
      return 0;
    }
    for (const line of runsTable(records, now)) io.out(line);
    const limit = query.limit;
    io.out('');
    io.out(records.length === limit ? `the newest ${limit} matching runs; --limit N (up to ${MAX_RUNS_LIMIT}) lists more` : `${records.length} run${records.length === 1 ? '' : 's'}`);
    io.out('gpmon show <run id> shows one run: its steps, failure, evidence and artifacts');
    return 0;
  } catch (error) {
    return readFailure('runs', error, reading?.place, io);
  } finally {
    reading?.store?.close();
  }
}

/**
 * The history query the flags ask for, checked: --since a duration from a
 * second to a year (ms's syntax: 90s, 30m, 1h, 7d), --limit a whole number
 * from 1 to 1000 (default 20), --failed the runs that failed or errored. A
 * UsageError names the flag and what is wrong. `now` is epoch ms.
 */
export function parseRunsOptions(options: RunsOptions, now: number): RunQuery & { limit: number } {
  let since: string | undefined;
  if (options.since !== undefined) {
    const parsed = parseDuration(options.since, SINCE_BOUNDS);
    if (!parsed.ok) throw new UsageError(`gpmon runs: --since: ${terminalText(parsed.error)}`);
    since = new Date(now - parsed.ms).toISOString();
  }
  let limit = DEFAULT_RUNS_LIMIT;
  if (options.limit !== undefined) {
    const n = /^\d{1,9}$/.test(options.limit) ? Number(options.limit) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > MAX_RUNS_LIMIT) {
      throw new UsageError(`gpmon runs: --limit: "${terminalText(options.limit)}" is not a whole number from 1 to ${MAX_RUNS_LIMIT}`);
    }
    limit = n;
  }
  for (const flag of ['journey', 'target'] as const) {
    if (options[flag] === '') throw new UsageError(`gpmon runs: --${flag}: give a name`);
  }
  return {
    ...(options.journey !== undefined ? { journey: options.journey } : {}),
    ...(options.target !== undefined ? { target: options.target } : {}),
    ...(options.failed === true ? { outcome: NOT_PASSED } : {}),
    ...(since !== undefined ? { since } : {}),
    limit,
  };
}

/** --journey and --target must name one the config has now or the history holds; UsageError with the nearest otherwise. */
function checkNames(query: RunQuery, { config, store }: HistoryReading): void {
  const standings = store?.standings() ?? [];
  const journeys = new Set([...config.journeys.map((j) => j.definition.name), ...standings.map((s) => s.journey)]);
  const targets = new Set([...(config.targets === 'simulator' ? ['simulator'] : config.targets.map((t) => t.target.name)), ...standings.map((s) => s.target)]);
  const check = (flag: string, name: string | undefined, known: ReadonlySet<string>) => {
    if (name === undefined || known.has(name)) return;
    const names = [...known].sort();
    throw new UsageError(
      `gpmon runs: --${flag}: unknown ${flag} "${terminalText(name)}"${terminalText(didYouMean(name, names))}; known (configured, or in the history): ${names.length === 0 ? 'none' : terminalText(names.join(', '))}`,
    );
  };
  check('journey', query.journey, journeys);
  check('target', query.target, targets);
}

/** The filters of a query in words, for "no runs match": '' when there are none. */
function describeQuery(query: RunQuery, sinceText: string | undefined): string {
  const parts: string[] = [];
  if (query.journey !== undefined) parts.push(`journey ${query.journey}`);
  if (query.target !== undefined) parts.push(`target ${query.target}`);
  if (query.outcome !== undefined) parts.push('failed or error');
  if (query.since !== undefined) parts.push(`started in the last ${sinceText ?? ''} (since ${query.since})`);
  return terminalText(parts.join(', '));
}

/**
 * The runs as a table, in the order given (newest first): when each started
 * (relative to `now`, epoch ms, and as ISO time to the second), journey,
 * target, trigger, outcome, duration, the failing step and reason, and the
 * run id (last, whole, to copy). Every value passes through terminalText.
 */
export function runsTable(records: readonly RunRecord[], now: number): string[] {
  const rows = records.map((r) => [
    relativeTime(r.startedAt, now),
    r.startedAt.replace(/\.\d+Z$/, 'Z'),
    r.journey,
    r.target,
    r.trigger,
    r.outcome,
    duration(r.durationMs).padStart(8),
    r.failure === undefined ? '-' : `${r.failure.step}: ${r.failure.reason}`,
    r.id,
  ]);
  return columns([['STARTED', 'AT (UTC)', 'JOURNEY', 'TARGET', 'TRIGGER', 'OUTCOME', 'DURATION', 'FAILURE', 'RUN'], ...rows].map((row) => row.map(terminalText)));
}
