import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { ConfiguredJourney } from '../config/resolve.js';
import type { RunService, TriggerResult } from '../monitor/run-service.js';
import { MAX_PAUSE_REASON, type PauseInfo, type Pauses } from '../monitor/pauses.js';
import type { RunStore } from '../store/run-store.js';
import type { Views } from './views.js';
import { pageOf, type AuthorisedBy } from './session.js';

/**
 * The console's actions: run now, replay, pause and resume, as HTML-form
 * endpoints (a session and its CSRF token; each answers 303 to the page to
 * look at next) and pause/resume as JSON API calls (a bearer token, or a
 * session and `x-csrf-token`). Every route sits behind `requireAuth`.
 */

export interface ActionsDeps {
  readonly journeys: readonly ConfiguredJourney[];
  readonly runs: Pick<RunService, 'trigger'>;
  readonly store: Pick<RunStore, 'get'>;
  readonly pauses: Pick<Pauses, 'get' | 'pause' | 'resume'>;
  readonly views: Views;
  readonly logger: Logger;
  /** session.ts's guard: a bearer token, or a session with its CSRF token. */
  readonly requireAuth: RequestHandler;
}

const RUN_ID = /^[A-Za-z0-9-]{1,64}$/;

/** An action refused, with the status and the message the operator reads. */
class ActionError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

/** A route parameter as text ('' when absent). */
function param(req: Request, name: string): string {
  const value: unknown = (req.params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

export function createActionsRouter(deps: ActionsDeps): Router {
  const router = Router();
  const journeyNamed = (name: string): ConfiguredJourney => {
    const journey = deps.journeys.find((j) => j.definition.name === name);
    if (journey === undefined) throw new ActionError(404, `unknown journey "${name.slice(0, 64)}"; known: ${deps.journeys.map((j) => j.definition.name).join(', ')}`);
    return journey;
  };
  /** The targets an action names: the one given, or (none given) every target of the journey, or its only one when `one`. */
  const targetsOf = (journey: ConfiguredJourney, given: unknown, how: 'one' | 'all'): string[] => {
    if (given !== undefined && given !== '') {
      if (typeof given !== 'string') throw new ActionError(400, 'target must be a string');
      if (!journey.targets.includes(given)) throw new ActionError(400, `journey ${journey.definition.name} does not run against "${given.slice(0, 64)}"; targets: ${journey.targets.join(', ')}`);
      return [given];
    }
    if (how === 'all' || journey.targets.length === 1) return [...journey.targets];
    throw new ActionError(400, `journey ${journey.definition.name} runs against ${journey.targets.join(', ')}: choose a target`);
  };
  const reasonOf = (given: unknown): string | undefined => {
    if (given === undefined) return undefined;
    if (typeof given !== 'string') throw new ActionError(400, 'reason must be a string');
    if (given.length > MAX_PAUSE_REASON) throw new ActionError(400, `reason: at most ${MAX_PAUSE_REASON} characters (got ${given.length})`);
    return given;
  };
  const formBody = (req: Request): Record<string, unknown> => {
    const body: unknown = req.body;
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  };
  /** A JSON API body: an object with only the named fields (validated like the API's other POST routes). */
  const jsonBody = (req: Request, fields: readonly string[]): Record<string, unknown> => {
    // An empty POST (content-length 0, as fetch sends one) has no body to mistake.
    if (req.is('application/json') === false && req.headers['content-length'] !== '0') {
      throw new ActionError(415, `send the body as JSON, with Content-Type: application/json (got ${(req.headers['content-type'] ?? 'none').slice(0, 64)})`);
    }
    const body: unknown = req.body ?? {};
    const shape = `{ ${fields.map((f) => `"${f}"?: string`).join(', ')} }`;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ActionError(400, `the body must be a JSON object ${shape}`);
    const unknownKey = Object.keys(body).find((key) => !fields.includes(key));
    if (unknownKey !== undefined) throw new ActionError(400, `unknown field "${unknownKey.slice(0, 64)}"; the body takes ${shape}`);
    return body as Record<string, unknown>;
  };
  const by = (res: Response): AuthorisedBy => (res.locals.authorisedBy === 'api' ? 'api' : 'console');
  /** Where a started run is watched; a busy journey's running run is watched instead. */
  const liveOf = (result: TriggerResult, what: string): string => {
    if (result.kind === 'started') return `/runs/${result.id}/live`;
    // Said on the page: the operator's run or replay did not start, this is the one in flight.
    if (result.kind === 'busy') return `/runs/${result.runningId}/live?busy=1`;
    if (result.kind === 'stopping') throw new ActionError(503, 'the monitor is stopping: no new runs');
    throw new ActionError(404, `cannot run ${what}: it is no longer configured`);
  };
  const pause = (journey: ConfiguredJourney, targets: readonly string[], reason: string | undefined, who: AuthorisedBy): PauseInfo[] =>
    targets.map((target) => {
      const info = deps.pauses.pause(journey.definition.name, target, { reason, by: who });
      deps.logger.info({ journey: journey.definition.name, target, by: who, ...(info.reason !== undefined ? { reason: info.reason } : {}) }, 'journey paused: no scheduled runs, no pages');
      return info;
    });
  const resume = (journey: ConfiguredJourney, targets: readonly string[], who: AuthorisedBy): PauseInfo[] =>
    targets.flatMap((target) => {
      const ended = deps.pauses.resume(journey.definition.name, target);
      if (ended === undefined) return [];
      deps.logger.info({ journey: journey.definition.name, target, by: who }, 'journey resumed');
      return [ended];
    });

  router.post('/journeys/:name/run', deps.requireAuth, (req, res) => {
    const journey = journeyNamed(param(req, 'name'));
    const [target = ''] = targetsOf(journey, formBody(req).target, 'one');
    res.redirect(303, liveOf(deps.runs.trigger({ journey: journey.definition.name, target, trigger: 'manual' }), `${journey.definition.name} against ${target}`));
  });

  router.post('/runs/:id/replay', deps.requireAuth, (req, res) => {
    const id = param(req, 'id');
    if (!RUN_ID.test(id)) throw new ActionError(400, 'a run id is letters, digits and -');
    const original = deps.store.get(id);
    if (original === undefined) throw new ActionError(404, `no finished run ${id}`);
    const result = deps.runs.trigger({ journey: original.journey, target: original.target, trigger: 'replay', inputs: original.inputs, replayOf: original.id });
    res.redirect(303, liveOf(result, `${original.journey} against ${original.target}`));
  });

  router.post('/journeys/:name/pause', deps.requireAuth, (req, res) => {
    const journey = journeyNamed(param(req, 'name'));
    const body = formBody(req);
    pause(journey, targetsOf(journey, body.target, 'all'), reasonOf(body.reason), by(res));
    res.redirect(303, `/journeys/${encodeURIComponent(journey.definition.name)}`);
  });

  router.post('/journeys/:name/resume', deps.requireAuth, (req, res) => {
    const journey = journeyNamed(param(req, 'name'));
    resume(journey, targetsOf(journey, formBody(req).target, 'all'), by(res));
    res.redirect(303, `/journeys/${encodeURIComponent(journey.definition.name)}`);
  });

  /** {target?, reason?}: pauses the journey against the target, or all its targets; 200 with the pauses in force. */
  router.post('/api/journeys/:name/pause', deps.requireAuth, (req, res) => {
    const journey = journeyNamed(param(req, 'name'));
    const body = jsonBody(req, ['target', 'reason']);
    const targets = targetsOf(journey, body.target, 'all');
    res.json({ paused: pause(journey, targets, reasonOf(body.reason), by(res)) });
  });

  /** {target?}: resumes the journey against the target, or all its targets; 200 with the pauses that ended (none when it was not paused). */
  router.post('/api/journeys/:name/resume', deps.requireAuth, (req, res) => {
    const journey = journeyNamed(param(req, 'name'));
    const body = jsonBody(req, ['target']);
    res.json({ resumed: resume(journey, targetsOf(journey, body.target, 'all'), by(res)) });
  });

  // This router's own refusals: JSON under /api/, an HTML page (with the message) for a form.
  const errors: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (!(error instanceof ActionError)) {
      next(error);
      return;
    }
    if (req.path.startsWith('/api/')) {
      res.status(error.status).json({ error: error.message, ...error.extra });
      return;
    }
    const journey = /^\/journeys\/([^/]+)\//.exec(req.path)?.[1];
    const back = journey !== undefined ? `/journeys/${journey}` : '/';
    res.status(error.status).type('html').send(deps.views.render('action-error', pageOf(req, res, 'The action did not happen'), { status: error.status, message: error.message, signIn: false, back }));
  };
  router.use(errors);
  return router;
}
