import { Router } from 'express';
import type { RunStore } from '../store/run-store.js';
import type { LiveRun, RunProgressEvent, RunService } from '../monitor/run-service.js';
import type { Views } from './views.js';
import { pageOf } from './session.js';

/**
 * Following a run live: `GET /api/runs/:id/events` (server-sent events) and
 * `GET /runs/:id/live` (the page that reads them). Both are reads, open like
 * the run records they show.
 */

export interface LiveDeps {
  readonly runs: Pick<RunService, 'watch' | 'progress'>;
  readonly store: Pick<RunStore, 'get'>;
  readonly views: Views;
  /** How often an idle stream gets a comment line, ms (proxies close silent connections); default 15 s. */
  readonly keepAliveMs?: number;
}

const RUN_ID = /^[A-Za-z0-9-]{1,64}$/;
const DEFAULT_KEEP_ALIVE_MS = 15_000;

/** One SSE message: the event's name and its data as one line of JSON (JSON escapes newlines, so a message from the target cannot end the frame). */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** What a progress event looks like on the wire (see the route's docstring). */
function wire(event: RunProgressEvent, now: number): { event: string; data: unknown } {
  switch (event.type) {
    case 'step_begin':
      return { event: 'step_begin', data: { name: event.step, at: new Date(event.at).toISOString(), elapsedMs: Math.max(0, now - event.at) } };
    case 'step_end':
      return {
        event: 'step_end',
        data: { name: event.step.name, status: event.step.status, durationMs: event.step.durationMs ?? null, ...(event.failure !== undefined ? { failure: event.failure } : {}) },
      };
    case 'finished':
      return { event: 'finished', data: { outcome: event.outcome } };
  }
}

/** A step's row on the live page before any script runs: what the run did so far, as text. */
function stepRows(run: LiveRun): { name: string; status: string; time: string; failure: string }[] {
  return run.steps.map((name) => {
    let status = 'pending';
    let time = '';
    let failure = '';
    for (const event of run.events) {
      if (event.type === 'step_begin' && event.step === name) status = 'running';
      if (event.type === 'step_end' && event.step.name === name) {
        status = event.step.status;
        time = event.step.durationMs === undefined ? '' : `${(event.step.durationMs / 1000).toFixed(2)} s`;
        failure = event.failure === undefined ? '' : `${event.failure.reason}: ${event.failure.message}`;
      }
    }
    return { name, status, time, failure };
  });
}

export function createLiveRouter(deps: LiveDeps): Router {
  const router = Router();
  const keepAliveMs = deps.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;

  /**
   * text/event-stream of one run: `step_begin` {name, at, elapsedMs},
   * `step_end` {name, status, durationMs, failure?}, then `finished`
   * {outcome}, after which the stream ends. A late client first gets what
   * already happened; a finished run sends `finished` at once; an unknown id
   * is 404 (JSON). `: keep-alive` comments while nothing happens.
   */
  router.get('/api/runs/:id/events', (req, res) => {
    const id = req.params.id;
    if (!RUN_ID.test(id)) {
      res.status(400).json({ error: 'a run id is letters, digits and -' });
      return;
    }
    const live = deps.runs.progress(id);
    const record = live === undefined ? deps.store.get(id) : undefined;
    if (live === undefined && record === undefined) {
      res.status(404).json({ error: `no run ${id}` });
      return;
    }
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache, no-transform');
    // nginx and friends buffer responses unless told not to: a buffered stream is no live stream.
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    // A client that loses the stream reconnects after this long (EventSource's `retry`).
    res.write('retry: 2000\n\n');
    if (record !== undefined) {
      res.end(frame('finished', { outcome: record.outcome }));
      return;
    }
    let ended = false;
    // Set once watching has begun; `end` (the client gone) may run before that.
    const watching: { stop?: () => void } = {};
    const keepAlive = setInterval(() => {
      res.write(': keep-alive\n\n');
    }, keepAliveMs);
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(keepAlive);
      watching.stop?.();
    };
    // The client went away (closed the tab, navigated): stop following for it.
    res.on('close', end);
    // What already happened comes first, synchronously (never `finished`: a finished run is no longer watched).
    const stop = deps.runs.watch(id, (event) => {
      if (ended) return;
      const { event: name, data } = wire(event, Date.now());
      res.write(frame(name, data));
      if (event.type === 'finished') {
        end();
        res.end();
      }
    });
    if (stop !== undefined) {
      watching.stop = stop;
    } else {
      // It finished between the look-up and the watch: the store has it now.
      end();
      res.end(frame('finished', { outcome: deps.store.get(id)?.outcome ?? 'error' }));
    }
  });

  /** The live page of a run in flight; a finished run's page is its run view (303); an unknown id is 404. */
  router.get('/runs/:id/live', (req, res) => {
    const id = req.params.id;
    const live = RUN_ID.test(id) ? deps.runs.progress(id) : undefined;
    if (live === undefined) {
      if (RUN_ID.test(id) && deps.store.get(id) !== undefined) {
        res.redirect(303, `/runs/${id}`);
        return;
      }
      res.status(404).type('html').send(deps.views.render('action-error', pageOf(req, res, 'No such run'), { status: 404, message: `No run ${id.slice(0, 64)} is in flight or in the history.`, signIn: false }));
      return;
    }
    res.type('html').send(deps.views.render('live-run', pageOf(req, res, `Following ${live.journey}`), { run: live, steps: stepRows(live), busy: req.query.busy === '1' }));
  });

  return router;
}
