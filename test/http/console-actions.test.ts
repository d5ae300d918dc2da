import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumLaunchOptions } from '../../src/browser/chromium.js';
import { startDaemonHarness, targetFor, TOKEN, type DaemonHarness } from '../helpers/daemon-harness.js';
import { PROJECT_ROOT } from '../helpers/journey-harness.js';
import { SHIPPED, onlyJourneys } from '../helpers/shipped.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { startDaemon } from '../../src/monitor/daemon.js';
import { parseMetrics, waitFor } from '../helpers/prom-tools.js';
import { createHttpApp } from '../../src/http/server.js';
import { RunStore } from '../../src/store/run-store.js';
import { MetricsRenderer, createMetricsRegistry } from '../../src/metrics/monitor-metrics.js';
import { DeployExpectations } from '../../src/monitor/deploy-expectations.js';
import { Pauses } from '../../src/monitor/pauses.js';
import { DEFAULT_LATENCY } from '../../src/simulator/profile.js';
import type { ConfiguredJourney } from '../../src/config/resolve.js';
import type { RunRecord } from '../../src/model/run-record.js';

/**
 * The console's sign-in and actions, in real Chromium against a real daemon watching the simulator: sign in,
 * run now and follow the run live, replay, pause and resume (the metric, the scheduler), and every refusal
 * (no session, a bad CSRF token, an expired session, a foreign `next`). One daemon serves the file; the tests
 * run in order and each leaves it as it found it (resumed, faults off, latency back).
 */

const API = 'golden-path-api';
const BROWSER = 'golden-path';
const API_STEPS = ['login', 'connect', 'agent_request', 'live_events', 'ai_response'];
const COOKIE = 'gpmon.sid';
const series = (name: string, labels: Record<string, string>) => `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;

interface JourneyState {
  name: string;
  target: string;
  running: string | null;
  paused: { since: string; reason?: string; by: string } | null;
}

describe('the console: sign-in and actions', () => {
  let h: DaemonHarness;
  let browser: Browser;
  let url: string;

  const metrics = async () => parseMetrics((await h.api('GET', '/metrics', { token: null })).text);
  const journeys = async () => ((await h.api('GET', '/api/journeys', { token: null })).json as { journeys: JourneyState[] }).journeys;
  const runs = async (query: string) => ((await h.api('GET', `/api/runs?${query}`, { token: null })).json as { runs: RunRecord[] }).runs;
  const finished = (id: string) =>
    waitFor(`run ${id} in the history`, async () => {
      const answer = await h.api('GET', `/api/runs/${id}`, { token: null });
      return answer.status === 200 ? (answer.json as RunRecord) : undefined;
    });
  /** A POST the way a browser's form sends it, from outside any browser: url-encoded, with the cookie given (if any). */
  const postForm = (path: string, fields: Record<string, string>, cookie?: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie !== undefined ? { cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });

  /** Signs in through the login form, as a person does; lands on `next`. */
  const signIn = async (context: BrowserContext, next = '/api/journeys'): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${url}/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${url}${next}`);
    return page;
  };
  const sessionCookie = async (context: BrowserContext) => {
    const cookie = (await context.cookies(url)).find((c) => c.name === COOKIE);
    assert.ok(cookie !== undefined, 'the session cookie is set');
    return cookie;
  };
  /** A console page with the layout (here: the page of a run that does not exist), whose sign-out form carries the CSRF token. */
  const openLayoutPage = async (page: Page) => {
    await page.goto(`${url}/runs/no-such-run/live`);
  };
  const csrfOf = async (page: Page) => {
    await openLayoutPage(page);
    const token = await page.locator('input[name="_csrf"]').first().getAttribute('value');
    assert.ok(token !== null && token.length >= 32, 'a signed-in page carries the CSRF token');
    return token;
  };
  /**
   * Submits a form as the console's buttons do: fields plus the page's own `_csrf` (unless `csrf` says
   * otherwise: a value to send instead, or null for none). Resolves with the POST's response.
   */
  const submit = async (page: Page, action: string, fields: Record<string, string>, csrf?: string | null) => {
    const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === action);
    // The document the form leads to (the 303's target, or the refusal page): the next goto must not cut it short.
    const loaded = page.waitForEvent('load');
    await page.evaluate(
      ({ action, fields, csrf }) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = action;
        const own = document.querySelector<HTMLInputElement>('input[name="_csrf"]')?.value;
        const all: Record<string, string> = { ...fields };
        const token = csrf === undefined ? own : csrf;
        if (token !== null && token !== undefined) all._csrf = token;
        for (const [name, value] of Object.entries(all)) {
          const input = document.createElement('input');
          input.type = 'hidden';
          input.name = name;
          input.value = value;
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      },
      { action, fields, csrf },
    );
    await loaded;
    return response;
  };

  before(async () => {
    h = await startDaemonHarness({
      // Ticks every 2 s: a pause must visibly stop them, a resume start them again.
      [API]: { schedule: '*/2 * * * * *', stepTimeoutMs: 5000, timeoutMs: 20_000 },
      // Only on demand (once a year), for a failure with a screenshot and a trace.
      [BROWSER]: { schedule: '0 0 1 1 *', timeoutMs: 30_000 },
    });
    url = h.daemon.url;
    browser = await chromium.launch(chromiumLaunchOptions());
  });
  after(async () => {
    await browser.close();
    await h.stop();
  });

  it('refuses every write without a session or a token (401), saying how to sign in', async () => {
    for (const path of [`/journeys/${API}/run`, `/journeys/${API}/pause`, `/journeys/${API}/resume`, '/runs/abc/replay', '/logout']) {
      const answer = await postForm(path, { target: 'sim' });
      assert.equal(answer.status, 401, path);
      assert.match(answer.headers.get('content-type') ?? '', /text\/html/, path);
      assert.match(await answer.text(), /sign in first/i, path);
    }
    for (const path of [`/api/journeys/${API}/pause`, `/api/journeys/${API}/resume`, `/api/journeys/${API}/runs`]) {
      const answer = await h.api('POST', path, { token: null, body: {} });
      assert.equal(answer.status, 401, path);
      assert.match((answer.json as { error: string }).error, /Bearer/, path);
    }
    assert.equal((await journeys()).find((j) => j.name === API)?.paused, null, 'nothing was paused');
  });

  it('signs in through the form: HttpOnly, SameSite=Strict, expiring cookie; a wrong token is refused; a new sign-in gets a new session', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${url}/login`);
      await page.getByLabel('API token').fill('not-the-token');
      const refused = page.waitForResponse((r) => r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Sign in' }).click();
      assert.equal((await refused).status(), 401);
      await page.getByText('That is not the API token.').waitFor();
      assert.equal((await context.cookies(url)).length, 0, 'no session for a wrong token');

      await page.close();
      await signIn(context, '/api/journeys');
      const cookie = await sessionCookie(context);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Strict');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.secure, false, 'plain http here: Secure only over https');
      const hours = (cookie.expires * 1000 - Date.now()) / 3_600_000;
      assert.ok(hours > 11.9 && hours <= 12, `the session expires in 12 h (${hours.toFixed(3)} h)`);

      // Signing in again starts a new session (a new id): the old one is gone.
      const second = await context.request.post(`${url}/login`, { form: { token: TOKEN, next: '/' }, maxRedirects: 0 });
      assert.equal(second.status(), 303);
      const renewed = await sessionCookie(context);
      assert.notEqual(renewed.value, cookie.value);
      const old = await postForm(`/journeys/${API}/resume`, {}, `${COOKIE}=${cookie.value}`);
      assert.equal(old.status, 401, 'the session before the new sign-in is over');
    } finally {
      await context.close();
    }
  });

  it('never sends the operator off-site after sign-in (next=//evil.example and friends)', async () => {
    for (const next of ['//evil.example', '//evil.example/runs', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const answer = await postForm('/login', { token: TOKEN, next });
      assert.equal(answer.status, 303, next);
      assert.equal(answer.headers.get('location'), '/', next);
    }
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${url}/login?next=${encodeURIComponent('//evil.example/x')}`);
      await page.getByLabel('API token').fill(TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${url}/`);
    } finally {
      await context.close();
    }
  });

  describe('signed in', () => {
    let context: BrowserContext;
    let page: Page;
    let pausedAt = 0;
    let manualRun = '';

    before(async () => {
      context = await browser.newContext();
      page = await signIn(context);
    });
    after(async () => {
      await context.close();
    });

    it('pauses a journey from a form: synthetic_journey_paused is 1, the API says who and why', async () => {
      await waitFor('a scheduled run', async () => ((await runs(`journey=${API}&limit=1`)).length > 0 ? true : undefined));
      await openLayoutPage(page);
      const before = await metrics();
      assert.equal(before.get(series('synthetic_journey_paused', { journey: API, target: 'sim' })), 0, 'known series start at 0');
      assert.equal(before.get(series('synthetic_journey_paused', { journey: BROWSER, target: 'sim' })), 0);
      const answer = await submit(page, `/journeys/${API}/pause`, { reason: 'planned: database migration' });
      // In force from the answer on (a tick just before it may still have started a run).
      pausedAt = Date.now();
      assert.equal(answer.status(), 303);
      assert.equal(answer.headers().location, `/journeys/${API}`);
      const m = await metrics();
      assert.equal(m.get(series('synthetic_journey_paused', { journey: API, target: 'sim' })), 1);
      assert.equal(m.get(series('synthetic_journey_paused', { journey: BROWSER, target: 'sim' })), 0, 'only the journey paused');
      const state = (await journeys()).find((j) => j.name === API);
      assert.equal(state?.paused?.reason, 'planned: database migration');
      assert.equal(state.paused.by, 'console');
      assert.ok(Math.abs(Date.parse(state.paused.since) - pausedAt) < 5000);
      assert.equal((await journeys()).find((j) => j.name === BROWSER)?.paused, null);

      // Idle while paused: ticks come every 2 s, and none starts a run or counts as skipped.
      await sleep(4500);
      const duringPause = (await runs(`journey=${API}&limit=50`)).filter((r) => r.trigger === 'schedule' && Date.parse(r.startedAt) > pausedAt);
      assert.deepEqual(duringPause.map((r) => r.startedAt), [], 'no scheduled run started while paused');
      assert.equal((await journeys()).find((j) => j.name === API)?.running, null, 'none is running either');
      const later = await metrics();
      for (const reason of ['overlap', 'missed']) {
        const key = series('synthetic_scheduler_skipped_runs_total', { journey: API, reason });
        assert.equal(later.get(key), m.get(key), `a paused tick is no ${reason} skip`);
      }
    });

    it('runs now from a form while paused: the live page fills in the steps one by one, then opens the run', async () => {
      // Each step takes a visible while (ms per phase), so the page can be seen to move step by step.
      h.sim.state.setLatency({ login: 900, handshake: 500, agent_start: 500, tool: 500, completion: 500 });
      const seen: { step: string; state: string; time: string; at: number }[] = [];
      await page.exposeFunction('gpmonStepSeen', (step: string, state: string, time: string) => {
        seen.push({ step, state, time, at: Date.now() });
      });
      // Records every change of a step's row (its state, its timer) as the page's own script makes it. A string,
      // not a function: the test's transpiler would wrap named functions in a helper the page does not have.
      await page.addInitScript({
        content: `document.addEventListener('DOMContentLoaded', function () {
          var table = document.getElementById('live-steps');
          if (table === null) return;
          function report(row) {
            window.gpmonStepSeen(row.getAttribute('data-step') || '', row.getAttribute('data-state') || '', (row.querySelector('.step-time') || {}).textContent || '');
          }
          table.querySelectorAll('tbody tr').forEach(report);
          new MutationObserver(function (mutations) {
            mutations.forEach(function (mutation) {
              var node = mutation.target.nodeType === 1 ? mutation.target : mutation.target.parentElement;
              var row = node && node.closest('tr[data-step]');
              if (row) report(row);
            });
          }).observe(table, { subtree: true, attributes: true, attributeFilter: ['data-state'], childList: true, characterData: true });
        });`,
      });
      try {
        // A scheduled run still in flight from before the pause would make this one busy.
        await waitFor('no run in flight', async () => ((await journeys()).find((j) => j.name === API)?.running === null ? true : undefined));
        await openLayoutPage(page);
        const answer = await submit(page, `/journeys/${API}/run`, {});
        assert.equal(answer.status(), 303);
        const live = /^\/runs\/([0-9a-f-]{36})\/live$/.exec(answer.headers().location ?? '');
        assert.ok(live?.[1] !== undefined, `303 to the live page (${answer.headers().location})`);
        manualRun = live[1];
        await page.waitForURL(`${url}/runs/${manualRun}/live`);
        assert.deepEqual(await page.locator('#live-steps tbody th').allTextContents(), API_STEPS, 'the journey\'s steps, in order');
        await page.waitForURL(`${url}/runs/${manualRun}`, { timeout: 60_000 });
      } finally {
        h.sim.state.setLatency(DEFAULT_LATENCY);
      }
      const record = await finished(manualRun);
      assert.equal(record.outcome, 'passed');
      assert.equal(record.trigger, 'manual');
      // One by one: each step passed after the one before it, and the next began only after that.
      const passedAt = API_STEPS.map((step) => seen.find((s) => s.step === step && s.state === 'passed')?.at);
      assert.ok(passedAt.every((at) => at !== undefined), `every step was seen passing: ${JSON.stringify(seen.map((s) => [s.step, s.state]))}`);
      for (let i = 1; i < API_STEPS.length; i++) assert.ok((passedAt[i] ?? 0) >= (passedAt[i - 1] ?? 0), `${API_STEPS[i]} passed after ${API_STEPS[i - 1]}`);
      const firstPassed = seen.findIndex((s) => s.state === 'passed');
      const lastRunning = seen.findLastIndex((s) => s.state === 'running');
      assert.ok(firstPassed >= 0 && firstPassed < lastRunning, 'a step passed while later steps had yet to begin');
      assert.ok((passedAt[4] ?? 0) - (passedAt[0] ?? 0) >= 1000, 'the steps passed over the run, not all at once at its end');
      // The running step's timer moved while it ran.
      assert.ok(seen.some((s) => s.state === 'running' && /^[1-9]|^0\.[1-9]/.test(s.time)), `the timer ran: ${JSON.stringify(seen.filter((s) => s.state === 'running').map((s) => s.time))}`);
    });

    it('replays a run from a form, and follows it to its page', async () => {
      await openLayoutPage(page);
      const answer = await submit(page, `/runs/${manualRun}/replay`, {});
      assert.equal(answer.status(), 303);
      const id = /^\/runs\/([0-9a-f-]{36})\/live$/.exec(answer.headers().location ?? '')?.[1];
      assert.ok(id !== undefined && id !== manualRun);
      await page.waitForURL(`${url}/runs/${id}`, { timeout: 60_000 });
      const record = await finished(id);
      assert.equal(record.trigger, 'replay');
      assert.equal(record.replayOf, manualRun);
      assert.equal(record.outcome, 'passed');
    });

    it('resumes from a form: the metric is 0 and ticks run again', async () => {
      await openLayoutPage(page);
      const resumedAt = Date.now();
      const answer = await submit(page, `/journeys/${API}/resume`, {});
      assert.equal(answer.status(), 303);
      assert.equal((await metrics()).get(series('synthetic_journey_paused', { journey: API, target: 'sim' })), 0);
      assert.equal((await journeys()).find((j) => j.name === API)?.paused, null);
      await waitFor('a scheduled run after the resume', async () => {
        const list = await runs(`journey=${API}&limit=5`);
        return list.some((r) => r.trigger === 'schedule' && Date.parse(r.startedAt) > resumedAt) ? true : undefined;
      }, 30_000);
    });

    it('refuses a session write with a missing or wrong CSRF token (403), and takes it with the right one', async () => {
      await openLayoutPage(page);
      const wrong = await submit(page, `/journeys/${API}/pause`, {}, 'not-the-csrf-token');
      assert.equal(wrong.status(), 403);
      await page.getByText(/CSRF token is missing or wrong/).waitFor();
      await openLayoutPage(page);
      const missing = await submit(page, `/journeys/${API}/pause`, {}, null);
      assert.equal(missing.status(), 403);
      assert.equal((await journeys()).find((j) => j.name === API)?.paused, null, 'nothing was paused');

      // The JSON API from the page (fetch, cookie only): the header is needed, and enough.
      const token = await csrfOf(page);
      // In order: no header, a wrong one, the right one, then a resume with the right one.
      const pauseBody = JSON.stringify({ reason: 'from the console' });
      const requests: [string, Record<string, string>, string][] = [
        [`/api/journeys/${API}/pause`, {}, pauseBody],
        [`/api/journeys/${API}/pause`, { 'x-csrf-token': 'nope' }, pauseBody],
        [`/api/journeys/${API}/pause`, { 'x-csrf-token': token }, pauseBody],
        [`/api/journeys/${API}/resume`, { 'x-csrf-token': token }, '{}'],
      ];
      const answers: { status: number; body: string }[] = [];
      for (const [path, headers, body] of requests) {
        answers.push(
          await page.evaluate(
            async ({ path, headers, body }) => {
              const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
              return { status: r.status, body: await r.text() };
            },
            { path, headers, body },
          ),
        );
      }
      const [none, wrongHeader, right, resume] = answers;
      const calls = { none: none ?? { status: 0, body: '' }, wrong: wrongHeader ?? { status: 0, body: '' }, right: right ?? { status: 0, body: '' }, resume: resume ?? { status: 0, body: '' } };
      assert.equal(calls.none.status, 403);
      assert.match(calls.none.body, /CSRF/);
      assert.equal(calls.wrong.status, 403);
      assert.equal(calls.right.status, 200);
      assert.equal((JSON.parse(calls.right.body) as { paused: { by: string }[] }).paused[0]?.by, 'console');
      assert.equal(calls.resume.status, 200);
      assert.equal((await journeys()).find((j) => j.name === API)?.paused, null);
    });

    it('follows a failing run over server-sent events; artifacts open with the cookie alone: the screenshot inline, the trace as a download', async () => {
      h.sim.state.enable({ name: 'broken_chat_page', mode: 'no_send_button' });
      let id: string;
      const events: { event: string; data: unknown }[] = [];
      try {
        const started = await h.api('POST', `/api/journeys/${BROWSER}/runs`, { body: {} });
        assert.equal(started.status, 202);
        id = (started.json as { id: string }).id;
        const stream = await fetch(`${url}/api/runs/${id}/events`);
        assert.equal(stream.status, 200);
        assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
        // The stream ends by itself once the run has finished.
        const text = await stream.text();
        for (const block of text.split('\n\n')) {
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) as unknown });
        }
      } finally {
        h.sim.state.clearFaults();
      }
      assert.deepEqual(events.at(-1), { event: 'finished', data: { outcome: 'failed' } });
      const failed = events.find((e) => e.event === 'step_end' && (e.data as { status: string }).status === 'failed')?.data as { name: string; failure: { reason: string; message: string } } | undefined;
      assert.equal(failed?.failure.reason, 'ui', JSON.stringify(events));
      assert.ok(events.findIndex((e) => e.event === 'step_begin' && (e.data as { name: string }).name === 'login') < events.findIndex((e) => e.event === 'step_end'), 'a step begins before it ends');
      const record = await finished(id);
      assert.equal(record.failure?.step, failed.name);

      // A finished run: `finished` at once, and its live page is its run page.
      const again = await (await fetch(`${url}/api/runs/${id}/events`)).text();
      assert.match(again, /event: finished\ndata: \{"outcome":"failed"\}/);
      const livePage = await fetch(`${url}/runs/${id}/live`, { redirect: 'manual' });
      assert.equal(livePage.status, 303);
      assert.equal(livePage.headers.get('location'), `/runs/${id}`);
      assert.equal((await fetch(`${url}/api/runs/00000000-0000-0000-0000-000000000000/events`)).status, 404);
      assert.equal((await fetch(`${url}/runs/00000000-0000-0000-0000-000000000000/live`)).status, 404);

      const screenshot = record.artifacts.find((a) => a.name.endsWith('.png'));
      const trace = record.artifacts.find((a) => a.name.endsWith('.zip'));
      assert.ok(screenshot !== undefined && trace !== undefined, JSON.stringify(record.artifacts));
      const artifact = (name: string) => `${url}/api/runs/${id}/artifacts/${name}`;
      assert.equal((await fetch(artifact(screenshot.name))).status, 401, 'no cookie, no token: refused');
      const shown = await page.goto(artifact(screenshot.name));
      assert.equal(shown?.status(), 200);
      assert.equal(shown.headers()['content-type'], 'image/png');
      assert.match(shown.headers()['content-disposition'] ?? '', /^inline/);
      const download = await context.request.get(artifact(trace.name));
      assert.equal(download.status(), 200);
      assert.match(download.headers()['content-disposition'] ?? '', /^attachment/);
    });

    it('signs out: the session ends, and its cookie no longer writes', async () => {
      const cookie = await sessionCookie(context);
      const token = await csrfOf(page);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${url}/`);
      assert.equal((await context.cookies(url)).find((c) => c.name === COOKIE), undefined, 'the cookie is cleared');
      const answer = await postForm(`/journeys/${API}/pause`, { _csrf: token }, `${COOKIE}=${cookie.value}`);
      assert.equal(answer.status, 401, 'the old cookie is signed out on the server too');
      assert.equal((await journeys()).find((j) => j.name === API)?.paused, null);
    });
  });

  it('a bearer-token API call pauses and resumes with no CSRF token; bad bodies are refused by name', async () => {
    const paused = await h.api('POST', `/api/journeys/${API}/pause`, { body: { target: 'sim', reason: 'deploy window' } });
    assert.equal(paused.status, 200, paused.text);
    assert.deepEqual((paused.json as { paused: { journey: string; target: string; by: string; reason: string }[] }).paused.map((p) => [p.journey, p.target, p.by, p.reason]), [[API, 'sim', 'api', 'deploy window']]);
    assert.equal((await metrics()).get(series('synthetic_journey_paused', { journey: API, target: 'sim' })), 1);
    assert.equal((await journeys()).find((j) => j.name === API)?.paused?.by, 'api');

    const refused: [unknown, number, RegExp][] = [
      [{ until: '1h' }, 400, /unknown field "until"/],
      [{ reason: 'x'.repeat(201) }, 400, /at most 200/],
      [{ target: 'nowhere' }, 400, /does not run against "nowhere"/],
      [{ target: 7 }, 400, /target must be a string/],
      [[1], 400, /JSON object/],
    ];
    for (const [body, status, message] of refused) {
      const answer = await h.api('POST', `/api/journeys/${API}/pause`, { body });
      assert.equal(answer.status, status, JSON.stringify(body));
      assert.match((answer.json as { error: string }).error, message);
    }
    const unknown = await h.api('POST', '/api/journeys/no-such-journey/pause', { body: {} });
    assert.equal(unknown.status, 404);
    const wrongToken = await h.api('POST', `/api/journeys/${API}/pause`, { token: 'wrong', body: {} });
    assert.equal(wrongToken.status, 401);
    const form = await fetch(`${url}/api/journeys/${API}/resume`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'target=sim' });
    assert.equal(form.status, 415, 'the JSON API takes JSON');

    const resumed = await h.api('POST', `/api/journeys/${API}/resume`, { body: {} });
    assert.equal(resumed.status, 200);
    assert.equal((resumed.json as { resumed: unknown[] }).resumed.length, 1);
    assert.equal((await metrics()).get(series('synthetic_journey_paused', { journey: API, target: 'sim' })), 0);
    const noop = await h.api('POST', `/api/journeys/${API}/resume`, { body: {} });
    assert.deepEqual(noop.json, { resumed: [] }, 'resuming a journey not paused changes nothing');
  });

  it('refuses an expired session; an idle event stream gets keep-alive comments', async () => {
    // A second app over the same daemon's runs, with a 1.5 s session and a 100 ms keep-alive.
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-console-'));
    const store = RunStore.open(join(dir, 'gpmon.db'), join(dir, 'runs'));
    const journey = h.daemon.runs.journey(API) as ConfiguredJourney;
    const app = createHttpApp({
      store,
      runs: h.daemon.runs,
      renderer: new MetricsRenderer(createMetricsRegistry()),
      journeys: [journey],
      targets: ['sim'],
      runsDir: join(dir, 'runs'),
      token: TOKEN,
      ready: () => true,
      logger: pino({ level: 'silent' }),
      deploys: new DeployExpectations(() => undefined),
      pauses: new Pauses(() => undefined),
      sessionTtlMs: 1500,
      liveKeepAliveMs: 100,
    });
    const server: Server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const login = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: TOKEN }).toString() });
      assert.equal(login.status, 303);
      const setCookie = login.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /SameSite=Strict/i);
      const expires = Date.parse(/Expires=([^;]+)/i.exec(setCookie)?.[1] ?? '');
      assert.ok(expires - Date.now() <= 1500 && expires - Date.now() > 0, 'the cookie expires with the session');
      assert.doesNotMatch(setCookie, /Secure/i, 'plain http: not Secure');
      const behindTls = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' }, body: new URLSearchParams({ token: TOKEN }).toString() });
      assert.match(behindTls.headers.get('set-cookie') ?? '', /;\s*Secure/i, 'https at a TLS-terminating proxy: Secure');
      const cookie = setCookie.split(';')[0] ?? '';
      const page = await (await fetch(`${base}/runs/none/live`, { headers: { cookie } })).text();
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
      const pause = () => fetch(`${base}/api/journeys/${API}/pause`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: '{}' });
      assert.equal((await pause()).status, 200, 'the fresh session writes');
      await sleep(1700);
      const late = await pause();
      assert.equal(late.status, 401, 'the expired session is refused');

      // Keep-alives: follow a run through this app while its first step takes a while.
      h.sim.state.setLatency({ login: 1500 });
      try {
        const id = await waitFor('a run started', () => {
          const result = h.daemon.runs.trigger({ journey: API, target: 'sim', trigger: 'manual' });
          return Promise.resolve(result.kind === 'started' ? result.id : undefined);
        });
        // A client that goes away stops being a watcher (while the run goes on).
        const leaving = new AbortController();
        const first = await fetch(`${base}/api/runs/${id}/events`, { signal: leaving.signal });
        await first.body?.getReader().read();
        assert.equal(h.daemon.runs.watcherCount(id), 1);
        leaving.abort();
        await waitFor('the watcher removed', () => Promise.resolve(h.daemon.runs.watcherCount(id) === 0 ? true : undefined), 5000);
        assert.ok(h.daemon.runs.progress(id) !== undefined, 'the run is still in flight');
        const text = await (await fetch(`${base}/api/runs/${id}/events`)).text();
        assert.match(text, /^: keep-alive$/m);
        assert.match(text, /event: finished/);
      } finally {
        h.sim.state.setLatency(DEFAULT_LATENCY);
      }
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a pause outlives a restart: paused at once (the metric is 1), and no scheduled run starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpmon-pause-restart-'));
    // Same history, two configs: the first never ticks by itself, the second every second (so a run would show).
    const start = async (schedule: string) => {
      const raw = { targets: [targetFor(h.sim)], journeys: onlyJourneys({ [API]: { schedule, stepTimeoutMs: 5000, timeoutMs: 20_000 } }), server: { port: 0 }, runs: { dir: join(dir, 'runs'), prewarm: false } };
      const resolved = resolveConfig(raw, { SIM_BYPASS_KEY: h.sim.description.bypassKey }, SHIPPED);
      if (!resolved.ok) throw new Error(resolved.problems.join('\n'));
      return startDaemon({ config: resolved.config, projectRoot: PROJECT_ROOT, logger: pino({ level: 'silent' }), version: 'test', playwrightVersion: 'test', token: TOKEN, cwd: dir });
    };
    const call = (daemon: { url: string }, method: string, path: string, body?: unknown) =>
      fetch(`${daemon.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    try {
      const first = await start('0 0 1 1 *');
      try {
        assert.equal((await call(first, 'POST', `/api/journeys/${API}/pause`, { reason: 'maintenance' })).status, 200);
      } finally {
        await first.stop();
      }
      const second = await start('* * * * * *');
      try {
        const m = parseMetrics(await (await call(second, 'GET', '/metrics')).text());
        assert.equal(m.get(series('synthetic_journey_paused', { journey: API, target: 'sim' })), 1, 'restored from the history at start');
        const state = ((await (await call(second, 'GET', '/api/journeys')).json()) as { journeys: JourneyState[] }).journeys.find((j) => j.name === API);
        assert.equal(state?.paused?.reason, 'maintenance');
        assert.equal((await journeys()).find((j) => j.name === API)?.paused, null, 'another monitor\'s pause is its own');
        await sleep(3000);
      } finally {
        // Stopping waits for any run in flight and records it: the history then holds every run started.
        await second.stop();
      }
      const history = RunStore.open(join(dir, 'runs', 'gpmon.db'), join(dir, 'runs'));
      try {
        assert.deepEqual(history.list({ journey: API }), [], 'three ticks while paused, no run');
      } finally {
        history.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
