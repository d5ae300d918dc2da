import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { ASSETS_DIR, Views } from './views.js';
import { join, resolve, sep } from 'node:path';
import { realpath, stat } from 'node:fs/promises';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { isBusy, type RunStore } from '../store/run-store.js';
import type { RunService } from '../monitor/run-service.js';
import type { MetricsRenderer } from '../metrics/monitor-metrics.js';
import { wantsOpenMetrics } from '../metrics/monitor-metrics.js';
import type { ConfiguredJourney } from '../config/resolve.js';
import type { Outcome } from '../model/run-record.js';
import { statusPage } from './status-page.js';
import type { DeployExpectations } from '../monitor/deploy-expectations.js';
import { REVISION_PATTERN, parseDuration } from '../model/revision.js';

export interface HttpDeps {
  readonly store: Pick<RunStore, 'get' | 'list' | 'lastRun'>;
  readonly runs: Pick<RunService, 'trigger' | 'running'>;
  readonly renderer: MetricsRenderer;
  readonly journeys: readonly ConfiguredJourney[];
  readonly targets: readonly string[];
  readonly runsDir: string;
  readonly token: string;
  readonly ready: () => boolean;
  readonly logger: Logger;
  /** What CI said it deployed, per target (POST /api/targets/:name/expected-revision). */
  readonly deploys: Pick<DeployExpectations, 'expect' | 'get' | 'list'>;
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

/** The monitor's HTTP side (design.md, HTTP): metrics, health, the JSON API and the status page. */
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


  const requireToken: RequestHandler = (req, _res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
    if (match?.[1] === undefined || !sameSecret(match[1], deps.token)) throw new HttpError(401, 'this needs Authorization: Bearer <token> (GPMON_API_TOKEN)');
    next();
  };
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
    const { contentType, body } = await deps.renderer.render(wantsOpenMetrics(req.header('accept')));
    res.type(contentType).send(body);
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
    res.sendFile(path, { dotfiles: 'deny', headers: { 'content-disposition': `attachment; filename="${artifact.name}"` } });
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

  app.get('/', (_req, res) => {
    res.type('html').send(statusPage(journeyStates(), deps.store.list({ limit: 20 }), deps.deploys.list()));
  });

  app.use((req, _res, next) => {
    next(new HttpError(404, `no route ${req.method} ${req.path.slice(0, 100)}`));
  });
  const errors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    if (error instanceof HttpError) {
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
    if (isBusy(error)) {
      // Another process holds the history's lock; the daemon never waits for it on a request.
      res.status(503).setHeader('retry-after', '1').json({ error: 'the run history is busy (locked by another process); try again' });
      return;
    }
    deps.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'http handler failed');
    res.status(500).json({ error: 'internal error' });
  };
  app.use(errors);
  return app;
}

/**
 * The artifact's path on disk when its real path (symlinks followed, every
 * component) is a regular file inside the run's own folder inside the real
 * runs folder; else undefined. A check on names alone would serve whatever a
 * symlink planted in the runs folder points at.
 */
async function realArtifactPath(runsDir: string, runId: string, stored: string): Promise<string | undefined> {
  try {
    const root = await realpath(runsDir);
    const runDir = join(root, runId);
    const real = await realpath(resolve(root, stored));
    if (!real.startsWith(runDir + sep) || (await realpath(runDir)) !== runDir) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
