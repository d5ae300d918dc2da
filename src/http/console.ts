import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { readFile, stat } from 'node:fs/promises';
import { makeBadge } from 'badge-maker';
import type { Logger } from 'pino';
import type { ConfiguredJourney } from '../config/resolve.js';
import type { RunService } from '../monitor/run-service.js';
import type { Pauses } from '../monitor/pauses.js';
import type { DeployExpectations } from '../monitor/deploy-expectations.js';
import type { RunStore } from '../store/run-store.js';
import type { Outcome } from '../model/run-record.js';
import type { RevisionExpectation } from '../model/revision.js';
import { journeyFactsOf, journeyStatus, RECENT_RUNS, STATE_SEVERITY, type JourneyState, type JourneyStatus, type RevisionFacts, type RunSummary } from '../model/journey-status.js';
import { runView, transcriptPage, type ArtifactView, type TranscriptPage } from '../model/run-view.js';
import { duration, percent, relativeTime, scheduleInWords, size } from '../model/humanize.js';
import { realArtifactPath } from './artifact-path.js';
import { pageOf } from './session.js';
import type { Views } from './views.js';

/**
 * The console's read-only pages and badges (issue 13): the overview (`/`),
 * a journey's page, its last failure, the run history, the run view and the
 * badges. Every page is rendered by Eta with auto-escaping: whatever came from
 * the target (messages, evidence, frames, answers) is printed with `<%= %>`.
 * Actions (forms) post to the routes of src/http/actions.ts.
 */

export interface ConsoleDeps {
  readonly store: Pick<RunStore, 'get' | 'list' | 'isRunning' | 'journeyHistory' | 'targetRevision' | 'runPage'>;
  readonly runs: Pick<RunService, 'running' | 'progress'>;
  readonly journeys: readonly ConfiguredJourney[];
  readonly targets: readonly string[];
  readonly pauses: Pick<Pauses, 'get' | 'resumedAt'>;
  readonly deploys: Pick<DeployExpectations, 'list'>;
  readonly runsDir: string;
  readonly views: Views;
  readonly logger: Logger;
  /** The clock (epoch ms); tests may fix it. */
  readonly now?: () => number;
}

const RUN_ID = /^[A-Za-z0-9-]{1,64}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const OUTCOMES: readonly Outcome[] = ['passed', 'failed', 'error'];
/** Runs per page of /runs. */
const RUNS_PAGE_SIZE = 50;
/** A transcript larger than this is offered as a download only (the page would read it whole). */
const MAX_TRANSCRIPT_BYTES = 32 * 1024 * 1024;
/** A frame longer than this is cut on the page (the download has it whole). */
const MAX_FRAME_CHARS = 2000;
/** How often the overview and a journey's page refresh their live part, s. */
const REFRESH_SECONDS = 15;

/** The badge colour of each state: the console's own colours (white text on each meets AA). */
const BADGE_COLOURS: Readonly<Record<JourneyState, string>> = {
  passing: '#1a7f37',
  failing: '#b3261e',
  paging: '#b3261e',
  erroring: '#8a5a00',
  stale: '#6e40c9',
  paused: '#57606a',
  disabled: '#57606a',
  'no-runs': '#57606a',
};
/** Which of a journey's targets a badge without ?target= shows: the worst. */
const SEVERITY = STATE_SEVERITY;

/** A refusal with the status and the message the page shows. */
class ConsoleError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleError';
  }
}

/** One journey × target on the overview and its page. */
interface Card {
  readonly name: string;
  readonly target: string;
  readonly description: string;
  readonly schedule: string;
  readonly scheduleWords: string;
  readonly status: JourneyStatus;
  readonly revision: RevisionFacts | undefined;
  /** The run in flight, if any (its live page). */
  readonly running: string | undefined;
  readonly href: string;
  readonly headingId: string;
}

/** Text helpers the templates call: each returns text (escaped where printed), never HTML. */
function helpers(now: number) {
  return {
    ago: (iso: string) => relativeTime(iso, now),
    duration,
    percent,
    size,
    /** A journey page's address. */
    journeyHref: (name: string, target: string) => `/journeys/${encodeURIComponent(name)}?target=${encodeURIComponent(target)}`,
    runHref: (id: string) => `/runs/${encodeURIComponent(id)}`,
    /** A strip cell's or a row's words: outcome, when, and why it failed. */
    runWords: (run: RunSummary) =>
      `${run.outcome}, ${relativeTime(run.finishedAt, now)}${run.failure !== undefined ? `, ${run.failure.step}: ${run.failure.reason}` : ''}${run.recovered ? ' (the monitor stopped mid-run)' : ''}`,
  };
}

/** The console's pages and badges, as a Router mounted by createHttpApp. */
export function createConsoleRouter(deps: ConsoleDeps): Router {
  const router = Router();
  const clock = deps.now ?? Date.now;
  // A journey that never ran is stale once the monitor has been up for 3 intervals without running it.
  const monitorStartedAt = new Date(clock()).toISOString();

  const journeyNamed = (name: string): ConfiguredJourney => {
    const journey = deps.journeys.find((j) => j.definition.name === name);
    if (journey === undefined) throw new ConsoleError(404, `There is no journey “${name.slice(0, 64)}”. Known journeys: ${deps.journeys.map((j) => j.definition.name).join(', ')}.`);
    return journey;
  };
  /** The ?target= of a journey's page: one of its targets; absent is its only one, or undefined when it has several. */
  const targetOf = (journey: ConfiguredJourney, given: unknown): string | undefined => {
    if (given === undefined || given === '') return journey.targets.length === 1 ? journey.targets[0] : undefined;
    if (typeof given !== 'string') throw new ConsoleError(400, 'Give target once.');
    if (!journey.targets.includes(given)) throw new ConsoleError(404, `The journey ${journey.definition.name} does not run against “${given.slice(0, 64)}”. Its targets: ${journey.targets.join(', ')}.`);
    return given;
  };
  const card = (journey: ConfiguredJourney, target: string, now: number, revisions: Map<string, RevisionFacts | undefined>): Card => {
    const name = journey.definition.name;
    if (!revisions.has(target)) revisions.set(target, deps.store.targetRevision(target));
    const status = journeyStatus({
      journey: journeyFactsOf(journey),
      target,
      history: deps.store.journeyHistory(name, target, new Date(now), RECENT_RUNS),
      pause: deps.pauses.get(name, target),
      resumedAt: deps.pauses.resumedAt(name, target),
      monitorStartedAt,
      now,
    });
    return {
      name,
      target,
      description: journey.definition.description,
      schedule: journey.schedule,
      scheduleWords: scheduleInWords(journey.schedule),
      status,
      revision: revisions.get(target),
      running: deps.runs.running(name, target),
      href: helpers(now).journeyHref(name, target),
      headingId: `j-${name}-${target}`.replace(/[^A-Za-z0-9_-]/g, '-'),
    };
  };
  const render = (req: Request, res: Response, view: string, title: string, data: object, status = 200) => {
    res.status(status).type('html').send(deps.views.render(view, pageOf(req, res, title), data));
  };

  router.get('/', (req, res) => {
    const now = clock();
    const revisions = new Map<string, RevisionFacts | undefined>();
    const cards = deps.journeys.filter((j) => j.enabled).flatMap((j) => j.targets.map((target) => card(j, target, now, revisions)));
    const disabled = deps.journeys.filter((j) => !j.enabled).map((j) => ({ name: j.definition.name, description: j.definition.description, targets: j.targets }));
    const counts = new Map<JourneyState, number>();
    for (const c of cards) counts.set(c.status.state, (counts.get(c.status.state) ?? 0) + 1);
    render(req, res, 'overview', 'Overview', {
      cards,
      disabled,
      tally: SEVERITY.filter((s) => counts.has(s)).map((s) => ({ state: s, count: counts.get(s) ?? 0 })),
      deploys: deps.deploys.list().map((d) => ({ ...d, state: deployState(d, now) })),
      nowIso: new Date(now).toISOString(),
      refreshSeconds: REFRESH_SECONDS,
      h: helpers(now),
    });
  });

  router.get('/journeys/:name', (req, res) => {
    const now = clock();
    const journey = journeyNamed(param(req, 'name'));
    const target = targetOf(journey, req.query.target);
    const revisions = new Map<string, RevisionFacts | undefined>();
    const name = journey.definition.name;
    if (target === undefined) {
      // Several targets and none chosen: each one's card, to pick from.
      render(req, res, 'journey', name, { journey: journeyFacts(journey), choose: journey.targets.map((t) => card(journey, t, now, revisions)), refreshSeconds: REFRESH_SECONDS, nowIso: new Date(now).toISOString(), h: helpers(now) });
      return;
    }
    const c = card(journey, target, now, revisions);
    const origin = `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    const badgePath = `/badge/${encodeURIComponent(name)}.svg?target=${encodeURIComponent(target)}`;
    const lastRun = c.status.lastRun;
    const lastRecord = lastRun === undefined ? undefined : deps.store.get(lastRun.id);
    render(req, res, 'journey', `${name} on ${target}`, {
      journey: journeyFacts(journey),
      card: c,
      steps: journey.definition.steps.map((step) => {
        const recorded = lastRecord?.steps.find((s) => s.name === step);
        return { name: step, sloMs: journey.slo[step], last: recorded };
      }),
      runs: [...c.status.strip].reverse(),
      otherTargets: journey.targets.filter((t) => t !== target),
      badge: { path: badgePath, markdown: `[![${name} on ${target}](${origin}${badgePath})](${origin}${c.href})` },
      historyHref: `/runs?journey=${encodeURIComponent(name)}&target=${encodeURIComponent(target)}`,
      refreshSeconds: REFRESH_SECONDS,
      nowIso: new Date(now).toISOString(),
      h: helpers(now),
    });
  });

  // Alert annotations (run_url) link here: the latest failed run, wherever the history has got to since.
  router.get('/journeys/:name/last-failure', (req, res) => {
    const journey = journeyNamed(param(req, 'name'));
    const given = req.query.target;
    const target = given === undefined || given === '' ? undefined : targetOf(journey, given);
    const [latest] = deps.store.list({ journey: journey.definition.name, ...(target !== undefined ? { target } : {}), outcome: 'failed', limit: 1 });
    if (latest === undefined) throw new ConsoleError(404, `${journey.definition.name}${target !== undefined ? ` against ${target}` : ''} has no failed run in the history.`);
    res.redirect(303, `/runs/${encodeURIComponent(latest.id)}`);
  });

  router.get('/runs', (req, res) => {
    const now = clock();
    const journey = optionalName(req.query.journey, 'journey');
    const target = optionalName(req.query.target, 'target');
    const outcomes = outcomesOf(req.query.outcome);
    const page = pageNumber(req.query.page);
    const result = deps.store.runPage({ ...(journey !== undefined ? { journey } : {}), ...(target !== undefined ? { target } : {}), ...(outcomes.length > 0 ? { outcome: outcomes } : {}) }, page, RUNS_PAGE_SIZE);
    const query = (p: number) => {
      const q = new URLSearchParams();
      if (journey !== undefined) q.set('journey', journey);
      if (target !== undefined) q.set('target', target);
      for (const o of outcomes) q.append('outcome', o);
      if (p > 1) q.set('page', String(p));
      const text = q.toString();
      return text === '' ? '/runs' : `/runs?${text}`;
    };
    const filtered = journey !== undefined || target !== undefined || outcomes.length > 0;
    render(req, res, 'runs', filtered ? 'Runs (filtered)' : 'Runs', {
      runs: result.runs.map((r) => ({ ...r, revision: r.targetInfo.revision })),
      total: result.total,
      // Not `page`: that is the page context every template gets (views.ts).
      current: result.page,
      pages: result.pages,
      newer: result.page > 1 ? query(result.page - 1) : undefined,
      older: result.page < result.pages ? query(result.page + 1) : undefined,
      filter: { journey, target, outcomes },
      journeys: [...new Set([...deps.journeys.map((j) => j.definition.name), ...(journey !== undefined ? [journey] : [])])],
      targets: [...new Set([...deps.targets, ...(target !== undefined ? [target] : [])])],
      outcomeChoices: OUTCOMES,
      h: helpers(now),
    });
  });

  router.get('/runs/:id', async (req, res) => {
    const now = clock();
    const id = param(req, 'id');
    if (!RUN_ID.test(id)) throw new ConsoleError(400, 'A run id is letters, digits and dashes.');
    const record = deps.store.get(id);
    if (record === undefined) {
      if (deps.store.isRunning(id) || deps.runs.progress(id) !== undefined) {
        res.redirect(303, `/runs/${encodeURIComponent(id)}/live`);
        return;
      }
      throw new ConsoleError(404, `There is no run ${id} in the history (it may have been removed by retention).`);
    }
    const journey = deps.journeys.find((j) => j.definition.name === record.journey);
    const view = runView(record, journey?.slo ?? {});
    const page = pageNumber(req.query.page);
    const transcriptArtifact = view.artifacts.find((a) => a.kind === 'transcript');
    const transcript = transcriptArtifact === undefined ? undefined : await readTranscript(deps.runsDir, record.id, transcriptArtifact, page);
    const traces = await Promise.all(
      view.artifacts
        .filter((a) => a.kind === 'trace')
        .map(async (a) => ({ ...a, hostPath: await realArtifactPath(deps.runsDir, record.id, a.path) })),
    );
    const transcriptHref = (p: number) => `/runs/${encodeURIComponent(record.id)}?page=${p}#transcript`;
    render(req, res, 'run', `${record.journey} on ${record.target}: ${record.outcome}`, {
      run: view,
      journeyKnown: journey !== undefined,
      journeyHref: helpers(now).journeyHref(record.journey, record.target),
      screenshots: view.artifacts.filter((a) => a.kind === 'screenshot'),
      traces,
      others: view.artifacts.filter((a) => a.kind === 'other' || a.kind === 'transcript'),
      transcript:
        transcript === undefined
          ? undefined
          : {
              ...transcript,
              artifact: transcriptArtifact,
              lines: transcript.page === undefined ? [] : transcript.page.lines.map((l) => ({ ...l, ...cut(l.text) })),
              newer: transcript.page !== undefined && transcript.page.page > 1 ? transcriptHref(transcript.page.page - 1) : undefined,
              older: transcript.page !== undefined && transcript.page.page < transcript.page.pages ? transcriptHref(transcript.page.page + 1) : undefined,
            },
      waterfall: waterfall(view),
      h: helpers(now),
    });
  });

  // Public, like the JSON read API: a README or a wiki embeds it from anywhere.
  router.get('/badge/:file', (req, res) => {
    const now = clock();
    const file = param(req, 'file');
    const name = /^(.+)\.svg$/.exec(file)?.[1] ?? '';
    const journey = deps.journeys.find((j) => j.definition.name === name);
    const send = (status: number, label: string, message: string, color: string) => {
      res.status(status);
      res.set({ 'content-type': 'image/svg+xml; charset=utf-8', 'cache-control': 'max-age=60', 'cross-origin-resource-policy': 'cross-origin' });
      res.send(makeBadge({ label, message, color }));
    };
    if (journey === undefined) {
      send(404, 'gpmon', 'unknown journey', '#9f9f9f');
      return;
    }
    const given = req.query.target;
    if (given !== undefined && (typeof given !== 'string' || !journey.targets.includes(given))) {
      send(404, name, 'unknown target', '#9f9f9f');
      return;
    }
    const revisions = new Map<string, RevisionFacts | undefined>();
    const targets = typeof given === 'string' ? [given] : journey.targets;
    const statuses = targets.map((t) => card(journey, t, now, revisions).status);
    const worst = [...statuses].sort((a, b) => SEVERITY.indexOf(a.state) - SEVERITY.indexOf(b.state))[0];
    if (worst === undefined) {
      send(404, name, 'no target', '#9f9f9f');
      return;
    }
    const ratio = worst.ratio.day.value;
    send(200, name, ratio === null ? worst.label : `${worst.label} · ${percent(ratio)}`, BADGE_COLOURS[worst.state]);
  });

  // This router's refusals, as a page: the status and what was wrong, with a way back.
  const errors: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (!(error instanceof ConsoleError)) {
      next(error);
      return;
    }
    render(req, res, 'error', error.status === 404 ? 'Not found' : 'Not understood', { status: error.status, message: error.message }, error.status);
  };
  router.use(errors);
  return router;
}

/** A route parameter as text ('' when absent). */
function param(req: Request, name: string): string {
  const value: unknown = (req.params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

/** What a journey's page says of its config. */
function journeyFacts(journey: ConfiguredJourney) {
  return {
    name: journey.definition.name,
    kind: journey.definition.kind,
    description: journey.definition.description,
    enabled: journey.enabled,
    schedule: journey.schedule,
    scheduleWords: scheduleInWords(journey.schedule),
    timeoutMs: journey.timeoutMs,
    stepTimeoutMs: journey.stepTimeoutMs,
    pageAfterFailures: journey.pageAfterFailures,
    intervalSeconds: journey.intervalSeconds,
    targets: journey.targets,
  };
}

function optionalName(value: unknown, what: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new ConsoleError(400, `Give ${what} once.`);
  if (!NAME.test(value)) throw new ConsoleError(400, `“${value.slice(0, 64)}” is not a ${what} name (letters, digits, dots, underscores and dashes).`);
  return value;
}

function outcomesOf(value: unknown): Outcome[] {
  if (value === undefined || value === '') return [];
  const given = Array.isArray(value) ? value : [value];
  const outcomes: Outcome[] = [];
  for (const v of given) {
    if (typeof v !== 'string' || !OUTCOMES.includes(v as Outcome)) throw new ConsoleError(400, `outcome must be ${OUTCOMES.join(', ')} (one or several); got “${String(v).slice(0, 32)}”.`);
    if (!outcomes.includes(v as Outcome)) outcomes.push(v as Outcome);
  }
  return outcomes;
}

function pageNumber(value: unknown): number {
  if (value === undefined || value === '') return 1;
  const page = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(page) || page < 1) throw new ConsoleError(400, 'page must be a whole number from 1.');
  return page;
}

/** A deploy's state in words: live, still waiting (within its window) or not effective (past it). */
function deployState(e: RevisionExpectation, now: number): 'live' | 'waiting' | 'not effective' {
  if (e.liveAt !== undefined) return 'live';
  return now > Date.parse(e.deadline) ? 'not effective' : 'waiting';
}

/** A frame's text for the page: cut at MAX_FRAME_CHARS, saying how much was left out. */
function cut(text: string): { text: string; omitted: number } {
  return text.length <= MAX_FRAME_CHARS ? { text, omitted: 0 } : { text: text.slice(0, MAX_FRAME_CHARS), omitted: text.length - MAX_FRAME_CHARS };
}

/** The run's transcript artifact, one page of it; or why it cannot be shown. */
async function readTranscript(runsDir: string, runId: string, artifact: ArtifactView, page: number): Promise<{ page?: TranscriptPage; problem?: string }> {
  const path = await realArtifactPath(runsDir, runId, artifact.path);
  if (path === undefined) return { problem: 'The transcript file is not in the run folder any more.' };
  try {
    const size = (await stat(path)).size;
    if (size > MAX_TRANSCRIPT_BYTES) return { problem: `The transcript is ${Math.round(size / 1024 / 1024)} MiB: too large to page here; download it.` };
    return { page: transcriptPage(await readFile(path, 'utf8'), page) };
  } catch {
    return { problem: 'The transcript file could not be read.' };
  }
}

/**
 * The waterfall's geometry, in a 0..1000 coordinate space: each step's bar
 * (x, width) and its SLO marker (x; none past the axis), on one time axis (axisMs). The SVG scales
 * it to the width it is given; nothing is styled inline (the CSP forbids it).
 */
function waterfall(view: ReturnType<typeof runView>) {
  const scale = (ms: number) => Math.round((ms / view.axisMs) * 10000) / 10;
  return view.steps.map((step) => ({
    ...step,
    bar: step.offsetMs === undefined ? undefined : { x: scale(step.offsetMs), width: Math.max(2, scale(step.durationMs ?? 0)) },
    marker: step.offsetMs === undefined || step.sloMs === undefined || step.offsetMs + step.sloMs > view.axisMs ? undefined : scale(step.offsetMs + step.sloMs),
  }));
}
