import Database from 'better-sqlite3';
import type { RevisionExpectation } from '../model/revision.js';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JourneyStanding, Outcome, RunRecord, RunStart, Trigger } from '../model/run-record.js';
import type { FailureReason } from '../model/reasons.js';
import { RECENT_RUNS, type JourneyHistory, type OutcomeCounts, type RevisionFacts, type RunSummary } from '../model/journey-status.js';

/** A kept pause (src/monitor/pauses.ts's PauseInfo: the store reads it as data, it imports nothing of monitor/). */
export interface StoredPause {
  readonly journey: string;
  readonly target: string;
  readonly since: string;
  readonly reason?: string;
  readonly by: 'console' | 'api';
}

/** The run history: one SQLite file (WAL), the only module that touches it. Artifacts live in a folder per run. */

export interface RetentionPolicy {
  readonly maxAgeDays: number;
  readonly maxRuns: number;
  readonly failedMaxAgeDays: number;
  readonly failedMaxRuns: number;
}

/** A history query: every field narrows it; newest first. */
export interface RunQuery {
  readonly journey?: string;
  readonly target?: string;
  /** One outcome, or any of several (`['failed', 'error']`: the runs that did not pass). */
  readonly outcome?: Outcome | readonly Outcome[];
  /** ISO time: runs started at or after it. */
  readonly since?: string;
  /** 1 to 1000 (clamped); default 50. */
  readonly limit?: number;
}

const OPEN_BUSY_TIMEOUT_MS = 5_000;

/** True for SQLite's "another connection holds the lock" answers (SQLITE_BUSY, SQLITE_LOCKED and their extended codes). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

interface Row {
  id: string;
  state: 'running' | 'done';
  record: string;
}

/**
 * Per journey and target, the failed runs since the last pass, with the latest one's step and reason. SQLite takes
 * the bare columns from the row holding MAX(finished_at): the latest failure.
 */
export const STREAKS_SQL = `SELECT journey, target, COUNT(*) AS failures, MAX(finished_at) AS latest, json_extract(record, '$.failure.step') AS step, json_extract(record, '$.failure.reason') AS reason
  FROM runs r WHERE state = 'done' AND outcome = 'failed'
    AND finished_at > COALESCE((SELECT MAX(finished_at) FROM runs p WHERE p.journey = r.journey AND p.target = r.target AND p.state = 'done' AND p.outcome = 'passed'), '')
  GROUP BY journey, target`;

export class RunStore {
  private readonly db: Database.Database;

  private constructor(
    path: string,
    private readonly runsDir: string,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    // Opening (and the recovery after it) may wait for a lock: nothing is served yet.
    this.db = new Database(path, { timeout: OPEN_BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        journey TEXT NOT NULL,
        target TEXT NOT NULL,
        trigger TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT,
        state TEXT NOT NULL CHECK (state IN ('running', 'done')),
        record TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS runs_by_journey ON runs (journey, target, started_at DESC);
      CREATE INDEX IF NOT EXISTS runs_by_time ON runs (started_at DESC);
      -- standings(): the last pass of a journey and target is a seek here, not a scan of its runs per failed run
      -- (it runs at start-up, before anything is served; the store holds up to 10,000 runs by default).
      CREATE INDEX IF NOT EXISTS runs_standing ON runs (journey, target, state, outcome, finished_at);
      -- What CI last said it deployed to each target (src/monitor/deploy-expectations.ts), kept across restarts.
      CREATE TABLE IF NOT EXISTS expected_revisions (
        target TEXT PRIMARY KEY,
        expectation TEXT NOT NULL
      );
    `);
    this.db.exec(PAUSES_TABLE);
  }

  static open(path: string, runsDir: string): RunStore {
    return new RunStore(path, runsDir);
  }

  /**
   * From now on a locked database answers at once (SQLITE_BUSY) instead of
   * blocking the event loop until the lock goes: the daemon's writes go
   * through a HistoryWriter that tries again later, and HTTP reads answer 503.
   */
  neverWait(): void {
    this.db.pragma('busy_timeout = 0');
  }

  /** At shutdown, when nothing else is served: the last writes may wait `ms` for a lock. */
  waitForLocks(ms: number): void {
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(ms))}`);
  }

  /** Keeps what CI said it deployed to a target (the last one per target), for the next start. */
  saveExpectation(expectation: RevisionExpectation): void {
    this.db.prepare('INSERT OR REPLACE INTO expected_revisions (target, expectation) VALUES (?, ?)').run(expectation.target, JSON.stringify(expectation));
  }

  /** Every target's kept expectation. */
  expectations(): RevisionExpectation[] {
    const rows = this.db.prepare('SELECT expectation FROM expected_revisions ORDER BY target').all() as { expectation: string }[];
    return rows.map((row) => JSON.parse(row.expectation) as RevisionExpectation);
  }

  /** A run in flight: if the process dies now, the next start closes it as `error`. */
  runStarted(start: RunStart): void {
    this.db
      .prepare(`INSERT OR REPLACE INTO runs (id, journey, target, trigger, started_at, state, record) VALUES (?, ?, ?, ?, ?, 'running', ?)`)
      .run(start.id, start.journey, start.target, start.trigger, start.startedAt, JSON.stringify(start));
  }

  runFinished(record: RunRecord): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, journey, target, trigger, started_at, finished_at, outcome, state, record) VALUES (?, ?, ?, ?, ?, ?, ?, 'done', ?)
         ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at, outcome = excluded.outcome, state = 'done', record = excluded.record`,
      )
      .run(record.id, record.journey, record.target, record.trigger, record.startedAt, record.finishedAt, record.outcome, JSON.stringify(record));
  }

  /** Closes every run left in flight by a crash as `error`, and returns the records it wrote. */
  recoverInterrupted(now: Date): RunRecord[] {
    const rows = this.db.prepare(`SELECT id, state, record FROM runs WHERE state = 'running'`).all() as Row[];
    const records = rows.map((row) => {
      const start = JSON.parse(row.record) as RunStart;
      const record: RunRecord = {
        id: start.id,
        journey: start.journey,
        target: start.target,
        trigger: start.trigger,
        ...(start.replayOf !== undefined ? { replayOf: start.replayOf } : {}),
        startedAt: start.startedAt,
        finishedAt: now.toISOString(),
        durationMs: Math.max(0, now.getTime() - Date.parse(start.startedAt)),
        outcome: 'error',
        failure: { step: 'journey', reason: 'monitor_error', message: 'the monitor stopped while this run was in flight', evidence: {} },
        steps: start.steps.map((name) => ({ name, status: 'skipped' as const })),
        events: [],
        // Not a run that finished: the last-run time (what "stale" is measured from) must not move.
        marks: { recovered: true },
        targetInfo: { version: null, revision: null },
        artifacts: [],
        inputs: start.inputs,
      };
      this.runFinished(record);
      return record;
    });
    return records;
  }

  get(id: string): RunRecord | undefined {
    const row = this.db.prepare(`SELECT id, state, record FROM runs WHERE id = ? AND state = 'done'`).get(id) as Row | undefined;
    return row === undefined ? undefined : (JSON.parse(row.record) as RunRecord);
  }

  /** The run's id if it is in flight. */
  isRunning(id: string): boolean {
    return this.db.prepare(`SELECT 1 FROM runs WHERE id = ? AND state = 'running'`).get(id) !== undefined;
  }

  list(query: RunQuery = {}): RunRecord[] {
    const { where, params } = runFilter(query);
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
    const rows = this.db.prepare(`SELECT id, state, record FROM runs WHERE ${where} ORDER BY started_at DESC LIMIT ?`).all(...params, limit) as Row[];
    return rows.map((row) => JSON.parse(row.record) as RunRecord);
  }

  lastRun(journey: string, target: string): RunRecord | undefined {
    const row = this.db.prepare(`SELECT id, state, record FROM runs WHERE journey = ? AND target = ? AND state = 'done' ORDER BY started_at DESC LIMIT 1`).get(journey, target) as Row | undefined;
    return row === undefined ? undefined : (JSON.parse(row.record) as RunRecord);
  }

  // ── Read queries (the console's pages, src/http/console.ts; shapes from src/model/journey-status.ts) ──

  /**
   * One journey against one target as the console's state reads it (journeyStatus()): its last `recent`
   * runs (newest first), the failure streak (STREAKS_SQL's rule, by finish time), when its last run that
   * ran finished (runs closed at a restart excluded, as for the last-run metric), and its runs started in
   * the 24 hours and 7 days before `now`, by outcome.
   */
  journeyHistory(journey: string, target: string, now: Date, recent: number = RECENT_RUNS): JourneyHistory {
    // The summaries' fields only, read by SQLite: the overview asks for 50 runs of every journey every few seconds.
    const summaries = (sql: string, ...params: (string | number)[]): RunSummary[] => (this.db.prepare(sql).all(...params) as SummaryRow[]).map(summaryOf);
    const mine = `journey = ? AND target = ? AND state = 'done'`;
    const latest = summaries(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE ${mine} ORDER BY started_at DESC LIMIT ?`, journey, target, Math.min(Math.max(recent, 1), 1000));
    const lastPass = (this.db.prepare(`SELECT MAX(finished_at) AS at FROM runs WHERE ${mine} AND outcome = 'passed'`).get(journey, target) as { at: string | null }).at ?? '';
    const inStreak = `${mine} AND outcome = 'failed' AND finished_at > ?`;
    const failures = (this.db.prepare(`SELECT COUNT(*) AS n FROM runs WHERE ${inStreak}`).get(journey, target, lastPass) as { n: number }).n;
    const [first] = failures === 0 ? [] : summaries(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE ${inStreak} ORDER BY finished_at ASC LIMIT 1`, journey, target, lastPass);
    const [last] = failures === 0 ? [] : summaries(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE ${inStreak} ORDER BY finished_at DESC LIMIT 1`, journey, target, lastPass);
    const lastFinished = this.db
      .prepare(`SELECT MAX(finished_at) AS at FROM runs WHERE ${mine} AND json_extract(record, '$.marks.recovered') IS NULL`)
      .get(journey, target) as { at: string | null };
    const counts = (sinceMs: number): OutcomeCounts => {
      const rows = this.db
        .prepare(`SELECT outcome, COUNT(*) AS n FROM runs WHERE ${mine} AND started_at >= ? GROUP BY outcome`)
        .all(journey, target, new Date(now.getTime() - sinceMs).toISOString()) as { outcome: Outcome; n: number }[];
      const of = (outcome: Outcome) => rows.find((row) => row.outcome === outcome)?.n ?? 0;
      return { passed: of('passed'), failed: of('failed'), error: of('error') };
    };
    const day = 24 * 60 * 60 * 1000;
    return {
      recent: latest,
      streak: { failures, ...(first !== undefined ? { first } : {}), ...(last !== undefined ? { latest: last } : {}) },
      ...(lastFinished.at !== null ? { lastFinishedAt: lastFinished.at } : {}),
      day: counts(day),
      week: counts(7 * day),
    };
  }

  /**
   * The revision the target reports now (the latest run of any journey that read one) and since when:
   * the first run that reported it after the last one that reported another. Undefined when no run
   * against the target ever read a revision.
   */
  targetRevision(target: string): RevisionFacts | undefined {
    const revisionOf = `json_extract(record, '$.targetInfo.revision')`;
    const current = this.db
      .prepare(`SELECT ${revisionOf} AS revision, json_extract(record, '$.targetInfo.version') AS version FROM runs WHERE target = ? AND state = 'done' AND ${revisionOf} IS NOT NULL ORDER BY finished_at DESC LIMIT 1`)
      .get(target) as { revision: string; version: string | null } | undefined;
    if (current === undefined) return undefined;
    const other = this.db
      .prepare(`SELECT MAX(finished_at) AS at FROM runs WHERE target = ? AND state = 'done' AND ${revisionOf} IS NOT NULL AND ${revisionOf} != ?`)
      .get(target, current.revision) as { at: string | null };
    const first = this.db
      .prepare(`SELECT MIN(finished_at) AS at FROM runs WHERE target = ? AND state = 'done' AND ${revisionOf} = ? AND finished_at > ?`)
      .get(target, current.revision, other.at ?? '') as { at: string };
    return { revision: current.revision, version: current.version, ...(other.at !== null ? { changedAt: first.at } : {}), firstSeenAt: first.at };
  }

  /**
   * One page of the history (newest first) for the console's /runs: `page` is 1-based and clamped to the
   * pages there are; `size` 1 to 1000. Resolves the runs and how many the query matches in all.
   */
  runPage(query: Omit<RunQuery, 'limit'>, page: number, size: number): { runs: RunRecord[]; total: number; page: number; pages: number } {
    const { where, params } = runFilter(query);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM runs WHERE ${where}`).get(...params) as { n: number }).n;
    const perPage = Math.min(Math.max(Math.floor(size), 1), 1000);
    const pages = Math.max(1, Math.ceil(total / perPage));
    const current = Math.min(Math.max(Math.floor(page) || 1, 1), pages);
    const rows = this.db
      .prepare(`SELECT record FROM runs WHERE ${where} ORDER BY started_at DESC LIMIT ? OFFSET ?`)
      .all(...params, perPage, (current - 1) * perPage) as { record: string }[];
    return { runs: rows.map((row) => JSON.parse(row.record) as RunRecord), total, page: current, pages };
  }

  /** The last passing run of every journey and target: restores the last-success metric after a restart. */
  /**
   * Per journey and target: the last run, the last success, and the failed runs since it
   * (monitor errors neither count nor break the streak) with the latest
   * failure's step and reason. The metrics restore these after a restart.
   */
  standings(): JourneyStanding[] {
    const lasts = this.db
      .prepare(
        `SELECT journey, target, MAX(CASE WHEN json_extract(record, '$.marks.recovered') IS NULL THEN finished_at END) AS lastRunAt,
                MAX(CASE WHEN outcome = 'passed' THEN finished_at END) AS lastSuccessAt
         FROM runs WHERE state = 'done' GROUP BY journey, target`,
      )
      .all() as { journey: string; target: string; lastRunAt: string | null; lastSuccessAt: string | null }[];
    const streaks = this.db
      .prepare(STREAKS_SQL)
      .all() as { journey: string; target: string; failures: number; step: string | null; reason: string | null }[];
    const standings = new Map<string, JourneyStanding>();
    const key = (journey: string, target: string) => `${journey}\u0000${target}`;
    for (const l of lasts) {
      standings.set(key(l.journey, l.target), {
        journey: l.journey,
        target: l.target,
        ...(l.lastRunAt !== null ? { lastRunAt: l.lastRunAt } : {}),
        ...(l.lastSuccessAt !== null ? { lastSuccessAt: l.lastSuccessAt } : {}),
        consecutiveFailures: 0,
      });
    }
    for (const f of streaks) {
      const before = standings.get(key(f.journey, f.target));
      standings.set(key(f.journey, f.target), {
        ...before,
        journey: f.journey,
        target: f.target,
        consecutiveFailures: f.failures,
        ...(f.step !== null && f.reason !== null ? { lastFailure: { step: f.step, reason: f.reason } } : {}),
      });
    }
    return [...standings.values()];
  }

  /**
   * Retention by age and count; failures (and errors) are kept longer than
   * passes. Deletes the rows, then their run folders (without blocking: a
   * folder holds traces); resolves with the ids removed.
   */
  async prune(policy: RetentionPolicy, now: Date): Promise<string[]> {
    const day = 24 * 60 * 60 * 1000;
    const select = (failed: boolean, maxAgeDays: number, maxRuns: number): string[] => {
      const outcomes = failed ? `outcome IN ('failed', 'error')` : `outcome = 'passed'`;
      const cutoff = new Date(now.getTime() - maxAgeDays * day).toISOString();
      const old = this.db.prepare(`SELECT id FROM runs WHERE state = 'done' AND ${outcomes} AND started_at < ?`).all(cutoff) as { id: string }[];
      const extra = this.db.prepare(`SELECT id FROM runs WHERE state = 'done' AND ${outcomes} ORDER BY started_at DESC LIMIT -1 OFFSET ?`).all(maxRuns) as { id: string }[];
      return [...new Set([...old, ...extra].map((row) => row.id))];
    };
    const ids = [...select(false, policy.maxAgeDays, policy.maxRuns), ...select(true, policy.failedMaxAgeDays, policy.failedMaxRuns)];
    const remove = this.db.prepare(`DELETE FROM runs WHERE id = ?`);
    this.db.transaction((list: string[]) => {
      for (const id of list) remove.run(id);
    })(ids);
    await Promise.all(ids.map((id) => rm(join(this.runsDir, id), { recursive: true, force: true })));
    return ids;
  }

  // ── Pauses (the console's pause/resume, src/monitor/pauses.ts): kept across restarts ──

  /** Keeps a pause in force (one per journey and target: a new one replaces it). */
  savePause(pause: StoredPause): void {
    this.db.prepare('INSERT OR REPLACE INTO pauses (journey, target, pause) VALUES (?, ?, ?)').run(pause.journey, pause.target, JSON.stringify(pause));
  }

  /** Forgets the pause of this journey and target (resumed); nothing when there was none. */
  deletePause(journey: string, target: string): void {
    this.db.prepare('DELETE FROM pauses WHERE journey = ? AND target = ?').run(journey, target);
  }

  /** Every kept pause, by journey then target. */
  pauses(): StoredPause[] {
    const rows = this.db.prepare('SELECT pause FROM pauses ORDER BY journey, target').all() as { pause: string }[];
    return rows.map((row) => JSON.parse(row.pause) as StoredPause);
  }

  close(): void {
    this.db.close();
  }
}

/** The columns of a RunSummary, read from the stored record by SQLite (json_extract) rather than parsed whole. */
const SUMMARY_COLUMNS = `id, journey, target, trigger, outcome, started_at AS startedAt, finished_at AS finishedAt,
  json_extract(record, '$.durationMs') AS durationMs, json_extract(record, '$.replayOf') AS replayOf,
  json_extract(record, '$.failure.step') AS step, json_extract(record, '$.failure.reason') AS reason, json_extract(record, '$.failure.message') AS message,
  json_extract(record, '$.targetInfo.revision') AS revision, json_extract(record, '$.marks.recovered') AS recovered`;

interface SummaryRow {
  id: string;
  journey: string;
  target: string;
  trigger: Trigger;
  outcome: Outcome;
  startedAt: string;
  finishedAt: string;
  durationMs: number | null;
  replayOf: string | null;
  step: string | null;
  reason: FailureReason | null;
  message: string | null;
  revision: string | null;
  /** SQLite's JSON true is 1. */
  recovered: number | null;
}

function summaryOf(row: SummaryRow): RunSummary {
  return {
    id: row.id,
    journey: row.journey,
    target: row.target,
    trigger: row.trigger,
    ...(row.replayOf !== null ? { replayOf: row.replayOf } : {}),
    outcome: row.outcome,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    durationMs: row.durationMs ?? 0,
    ...(row.step !== null && row.reason !== null ? { failure: { step: row.step, reason: row.reason, message: row.message ?? '' } } : {}),
    revision: row.revision,
    recovered: row.recovered === 1,
  };
}

/** A history query's WHERE clause and its parameters (finished runs only; `limit` is the caller's). */
function runFilter(query: Omit<RunQuery, 'limit'>): { where: string; params: string[] } {
  const where: string[] = [`state = 'done'`];
  const params: string[] = [];
  if (query.journey !== undefined) {
    where.push('journey = ?');
    params.push(query.journey);
  }
  if (query.target !== undefined) {
    where.push('target = ?');
    params.push(query.target);
  }
  if (query.outcome !== undefined) {
    const outcomes: readonly string[] = typeof query.outcome === 'string' ? [query.outcome] : query.outcome;
    // No outcome at all matches no run (SQLite refuses an empty IN list).
    where.push(outcomes.length === 0 ? '0' : `outcome IN (${outcomes.map(() => '?').join(', ')})`);
    params.push(...outcomes);
  }
  if (query.since !== undefined) {
    where.push('started_at >= ?');
    params.push(query.since);
  }
  return { where: where.join(' AND '), params };
}

/** The pauses in force, per journey and target (see the Pauses section of RunStore). */
const PAUSES_TABLE = `
  CREATE TABLE IF NOT EXISTS pauses (
    journey TEXT NOT NULL,
    target TEXT NOT NULL,
    pause TEXT NOT NULL,
    PRIMARY KEY (journey, target)
  );`;
