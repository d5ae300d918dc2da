import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { ASSETS_DIR, Views } from './views.js';
import type { Logger } from 'pino';
import { isBusy, type RunStore } from '../store/run-store.js';
import type { RunService } from '../monitor/run-service.js';
import type { MetricsRenderer } from '../metrics/monitor-metrics.js';
import { wantsOpenMetrics } from '../metrics/monitor-metrics.js';
import type { ConfiguredJourney } from '../config/resolve.js';
import type { Outcome } from '../model/run-record.js';
import { createConsoleRouter } from './console.js';
import { realArtifactPath } from './artifact-path.js';
import type { DeployExpectations } from '../monitor/deploy-expectations.js';
import { REVISION_PATTERN, parseDuration } from '../model/revision.js';
import type { Pauses } from '../monitor/pauses.js';
import { createConsoleAuth, pageOf } from './session.js';
import { createActionsRouter } from './actions.js';
import { createLiveRouter } from './live.js';
import { createRunbookRouter } from './runbook.js';

export interface HttpDeps {
  readonly store: Pick<RunStore, 'get' | 'list' | 'lastRun' | 'isRunning' | 'journeyHistory' | 'targetRevision' | 'runPage'>;
  readonly runs: Pick<RunService, 'trigger' | 'running' | 'watch' | 'progress'>;
  readonly renderer: MetricsRenderer;
  readonly journeys: readonly ConfiguredJourney[];
  readonly targets: readonly string[];
  readonly runsDir: string;
  readonly token: string;
  readonly ready: () => boolean;
  readonly logger: Logger;
  /** What CI said it deployed, per target (POST /api/targets/:name/expected-revision). */
  readonly deploys: Pick<DeployExpectations, 'expect' | 'get' | 'list'>;
  /** Paused journeys (the console's pause/resume): the scheduler skips them, the alerts stay quiet. */
  readonly pauses: Pick<Pauses, 'get' | 'list' | 'pause' | 'resume' | 'resumedAt'>;
  /** A console session's lifetime from sign-in, ms (default 12 h); tests use a short one. */
  readonly sessionTtlMs?: number;
  /** How often a live run's idle event stream gets a keep-alive comment, ms (default 15 s). */
  readonly liveKeepAliveMs?: number;
}

/** The window a deploy gets when CI names none, and the longest it may name. */
const DEFAULT_DEPLOY_WINDOW = '10m';
const MAX_DEPLOY_WINDOW_MS = 24 * 60 * 60 * 1000;

const OUTCOMES: readonly Outcome[] = ['passed', 'failed', 'error'];
const RUN_ID = /^[A-Za-z0-9-]{1,64}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The monitor's HTTP side (design.md, HTTP): metrics, health, the JSON API and the console (src/http/console.ts). */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      // Method, path and status only: never headers, so never a token.
      deps.logger.info({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'http');
    });
    next();
  });
  // Security headers for the console (helmet): a CSP with no inline script or style (the pages' only script is
  // /assets/*.js, their only stylesheet /assets/console.css), no framing, no referrer leaking a run id elsewhere.
  // No HSTS and no upgrade-insecure-requests: the monitor is often served over plain HTTP on a private network.
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
          'base-uri': ["'none'"],
          'object-src': ["'none'"],
        },
      },
      strictTransportSecurity: false,
      referrerPolicy: { policy: 'same-origin' },
    }),
  );
  app.use('/assets', express.static(ASSETS_DIR, { fallthrough: false, maxAge: '1h', index: false }));
  app.use(express.json({ limit: '16kb' }));
  // The console's forms post url-encoded bodies (sign-in, run now, pause): small ones only.
  app.use(express.urlencoded({ extended: false, limit: '4kb' }));
  const views = new Views();


  // Sign-in (src/http/session.ts): a bearer token, or a console session (+ its CSRF token on writes). Every request
  // gets res.locals.viewer before the routes, for the pages' sign-in state and forms.
  const auth = createConsoleAuth({ token: deps.token, views, logger: deps.logger, ...(deps.sessionTtlMs !== undefined ? { sessionTtlMs: deps.sessionTtlMs } : {}) });
  app.use(auth.session, auth.viewer, auth.routes);
  const requireToken = auth.requireAuth;
  app.use(createActionsRouter({ journeys: deps.journeys, runs: deps.runs, store: deps.store, pauses: deps.pauses, views, logger: deps.logger, requireAuth: auth.requireAuth }));
  app.use(createLiveRouter({ runs: deps.runs, store: deps.store, views, ...(deps.liveKeepAliveMs !== undefined ? { keepAliveMs: deps.liveKeepAliveMs } : {}) }));
  // The alerts' runbook (docs/runbook.md) as a page: the default target of every alert's runbook_url.
  app.use(createRunbookRouter({ views, logger: deps.logger }));
  // A body sent without its JSON content type would reach a handler as no body at all (curl -d sends a form's): say
  // why instead, once the token is checked. (`req.is` is null for a request with no body, false for another type.)
  const jsonBody: RequestHandler = (req, _res, next) => {
    // An empty POST (content-length 0, as fetch sends one) has no body to mistake.
    if (req.is('application/json') === false && req.headers['content-length'] !== '0') {
      throw new HttpError(415, `send the body as JSON, with Content-Type: application/json (got ${(req.headers['content-type'] ?? 'none').slice(0, 64)})`);
    }
    next();
  };
  const journeyNamed = (name: string): ConfiguredJourney => {
    const journey = deps.journeys.find((j) => j.definition.name === name);
    if (journey === undefined) throw new HttpError(404, `unknown journey "${name.slice(0, 64)}"; known: ${deps.journeys.map((j) => j.definition.name).join(', ')}`);
    return journey;
  };
  const runId = (value: unknown): string => {
    if (typeof value !== 'string' || !RUN_ID.test(value)) throw new HttpError(400, 'a run id is letters, digits and -');
    return value;
  };
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  const targetNamed = (name: string): string => {
    if (!deps.targets.includes(name)) throw new HttpError(404, `unknown target "${name.slice(0, 64)}"; known: ${deps.targets.join(', ')}`);
    return name;
  };

  app.get('/metrics', async (req, res) => {
    const { contentType, bytes } = await deps.renderer.render(wantsOpenMetrics(req.header('accept')));
    res.type(contentType).send(bytes);
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const ready = deps.ready();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'starting' });
  });

  const journeyStates = () =>
    deps.journeys.flatMap((journey) =>
      journey.targets.map((target) => {
        const last = deps.store.lastRun(journey.definition.name, target);
        return {
          name: journey.definition.name,
          target,
          description: journey.definition.description,
          schedule: journey.schedule,
          enabled: journey.enabled,
          steps: journey.definition.steps,
          running: deps.runs.running(journey.definition.name, target) ?? null,
          paused: pausedOf(deps.pauses, journey.definition.name, target),
          lastRun: last === undefined ? null : { id: last.id, outcome: last.outcome, finishedAt: last.finishedAt, durationMs: last.durationMs, failure: last.failure ?? null },
        };
      }),
    );

  app.get('/api/journeys', (_req, res) => {
    res.json({ journeys: journeyStates() });
  });

  app.get('/api/runs', (req, res) => {
    const { journey, outcome, limit } = req.query;
    if (journey !== undefined && typeof journey !== 'string') throw new HttpError(400, 'journey must be given once');
    if (journey !== undefined) journeyNamed(journey);
    if (outcome !== undefined && !OUTCOMES.includes(outcome as Outcome)) throw new HttpError(400, `outcome must be one of ${OUTCOMES.join(', ')}`);
    const count = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new HttpError(400, 'limit must be an integer from 1 to 1000');
    res.json({ runs: deps.store.list({ ...(journey !== undefined ? { journey } : {}), ...(outcome !== undefined ? { outcome: outcome as Outcome } : {}), limit: count }) });
  });

  app.get('/api/runs/:id', (req, res) => {
    const record = deps.store.get(runId(req.params.id));
    if (record === undefined) throw new HttpError(404, `no finished run ${text(req.params.id)}`);
    res.json(record);
  });

  app.get('/api/runs/:id/artifacts/:name', requireToken, async (req, res) => {
    const record = deps.store.get(runId(req.params.id));
    if (record === undefined) throw new HttpError(404, `no finished run ${text(req.params.id)}`);
    // Only a file the record lists, and only inside the runs folder: no path from the request reaches the disk.
    const name = text(req.params.name);
    const artifact = record.artifacts.find((a) => a.name === name);
    if (artifact === undefined) throw new HttpError(404, `run ${record.id} has no artifact "${name.slice(0, 64)}"`);
    const path = await realArtifactPath(deps.runsDir, record.id, artifact.path);
    if (path === undefined) throw new HttpError(404, `run ${record.id} has no artifact "${name.slice(0, 64)}"`);
    // An image (the failure screenshot) opens inline, so the run view can embed it; anything else (the trace) downloads.
    const disposition = /\.(png|jpe?g)$/i.test(artifact.name) ? 'inline' : 'attachment';
    res.sendFile(path, { dotfiles: 'deny', headers: { 'content-disposition': `${disposition}; filename="${artifact.name}"` } });
  });

  app.post('/api/journeys/:name/runs', requireToken, jsonBody, (req, res) => {
    const journey = journeyNamed(text(req.params.name));
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object');
    const unknownKey = Object.keys(body).find((key) => key !== 'target');
    if (unknownKey !== undefined) throw new HttpError(400, `unknown field "${unknownKey.slice(0, 64)}"; the body takes { "target"?: string }`);
    const requested = (body as { target?: unknown }).target;
    if (requested !== undefined && typeof requested !== 'string') throw new HttpError(400, 'target must be a string');
    const target = requested ?? journey.targets[0] ?? '';
    if (!journey.targets.includes(target)) throw new HttpError(400, `journey ${journey.definition.name} does not run against "${target.slice(0, 64)}"; targets: ${journey.targets.join(', ')}`);
    const result = deps.runs.trigger({ journey: journey.definition.name, target, trigger: 'manual' });
    if (result.kind === 'busy') throw new HttpError(409, `${journey.definition.name} is already running against ${target}`, { runningId: result.runningId });
    if (result.kind === 'stopping') throw new HttpError(503, 'the monitor is stopping: no new runs');
    if (result.kind !== 'started') throw new HttpError(404, `cannot run ${journey.definition.name} against ${target}`);
    res.status(202).json({ id: result.id, journey: journey.definition.name, target, trigger: 'manual' });
  });

  // CI, right after a deploy: {revision, within?} (within: a duration, default 10m). The target must report it by then.
  app.post('/api/targets/:name/expected-revision', requireToken, jsonBody, (req, res) => {
    const target = targetNamed(text(req.params.name));
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object { "revision": string, "within"?: string }');
    const unknownKey = Object.keys(body).find((key) => key !== 'revision' && key !== 'within');
    if (unknownKey !== undefined) throw new HttpError(400, `unknown field "${unknownKey.slice(0, 64)}"; the body takes { "revision": string, "within"?: string }`);
    const { revision, within } = body as { revision?: unknown; within?: unknown };
    if (revision === undefined) throw new HttpError(400, 'revision: required, a commit of 7 to 40 hex digits');
    if (typeof revision !== 'string' || !REVISION_PATTERN.test(revision)) throw new HttpError(400, `revision: ${JSON.stringify(revision).slice(0, 64)} is not a commit (7 to 40 hex digits)`);
    if (within !== undefined && typeof within !== 'string') throw new HttpError(400, 'within: a duration such as "10m" or "90s"');
    const window = parseDuration(within ?? DEFAULT_DEPLOY_WINDOW, { min: 1000, max: MAX_DEPLOY_WINDOW_MS });
    if (!window.ok) throw new HttpError(400, `within: ${window.error}`);
    res.status(201).json(deps.deploys.expect(target, revision.toLowerCase(), window.ms));
  });
  app.get('/api/targets/:name/expected-revision', (req, res) => {
    const target = targetNamed(text(req.params.name));
    const expectation = deps.deploys.get(target);
    if (expectation === undefined) throw new HttpError(404, `no deploy of ${target} has been announced`);
    res.json(expectation);
  });

  app.post('/api/runs/:id/replay', requireToken, jsonBody, (req, res) => {
    const original = deps.store.get(runId(req.params.id));
    if (original === undefined) throw new HttpError(404, `no finished run ${text(req.params.id)}`);
    const result = deps.runs.trigger({ journey: original.journey, target: original.target, trigger: 'replay', inputs: original.inputs, replayOf: original.id });
    if (result.kind === 'busy') throw new HttpError(409, `${original.journey} is already running against ${original.target}`, { runningId: result.runningId });
    if (result.kind === 'stopping') throw new HttpError(503, 'the monitor is stopping: no new runs');
    if (result.kind !== 'started') throw new HttpError(404, `${original.journey} against ${original.target} is no longer configured`);
    res.status(202).json({ id: result.id, replayOf: original.id, journey: original.journey, target: original.target, trigger: 'replay' });
  });

  // The console's pages and badges (src/http/console.ts): the overview at /, journeys, runs, the run view.
  app.use(createConsoleRouter({ store: deps.store, runs: deps.runs, journeys: deps.journeys, targets: deps.targets, pauses: deps.pauses, deploys: deps.deploys, runsDir: deps.runsDir, views, logger: deps.logger }));

  app.use((req, _res, next) => {
    next(new HttpError(404, `no route ${req.method} ${req.path.slice(0, 100)}`));
  });
  // A browser outside the JSON API (a mistyped console address, a page that failed) gets a page in the console's
  // layout; API clients, curl and anything that does not prefer HTML get JSON, as before.
  const page = (req: Request, res: Response, status: number, title: string, message: string): boolean => {
    if (req.path.startsWith('/api/') || req.accepts(['json', 'html']) !== 'html') return false;
    try {
      res.status(status).type('html').send(views.render('error', pageOf(req, res, title), { status, message }));
      return true;
    } catch {
      return false;
    }
  };
  const errors: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    if (error instanceof HttpError) {
      if (page(req, res, error.status, error.status === 404 ? 'Not found' : 'Refused', error.message)) return;
      res.status(error.status).json({ error: error.message, ...error.extra });
      return;
    }
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.parse.failed') {
      res.status(400).json({ error: 'the body is not valid JSON' });
      return;
    }
    if (type === 'entity.too.large') {
      res.status(413).json({ error: 'the body is too large' });
      return;
    }
    // Express's own client errors (an undecodable %-escape in a path parameter: 400; a missing or refused static
    // file: 404/403) carry their status: the request was wrong, not the monitor. Answered as such, logged at debug.
    const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = status === 400 ? `bad request: ${req.path.slice(0, 100)} is not a valid address (a %-escape that does not decode)` : `no such file ${req.path.slice(0, 100)}`;
      deps.logger.debug({ status, err: error instanceof Error ? error.message : String(error) }, 'http client error');
      if (page(req, res, status === 400 ? 400 : 404, status === 400 ? 'Bad request' : 'Not found', message)) return;
      res.status(status === 400 ? 400 : 404).json({ error: message });
      return;
    }
    if (isBusy(error)) {
      // Another process holds the history's lock; the daemon never waits for it on a request.
      res.status(503).setHeader('retry-after', '1').json({ error: 'the run history is busy (locked by another process); try again' });
      return;
    }
    deps.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'http handler failed');
    if (page(req, res, 500, 'Something went wrong', 'The monitor could not answer this page; the error is in its log.')) return;
    res.status(500).json({ error: 'internal error' });
  };
  app.use(errors);
  return app;
}

/** A journey's pause as GET /api/journeys shows it: null, or {since, reason?, by}. */
function pausedOf(pauses: Pick<Pauses, 'get'>, journey: string, target: string): { since: string; reason?: string; by: string } | null {
  const pause = pauses.get(journey, target);
  return pause === undefined ? null : { since: pause.since, ...(pause.reason !== undefined ? { reason: pause.reason } : {}), by: pause.by };
}
