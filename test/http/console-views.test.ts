import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { chromiumLaunchOptions } from '../../src/browser/chromium.js';
import { RunStore } from '../../src/store/run-store.js';
import type { RunRecord } from '../../src/model/run-record.js';
import { startDaemonHarness, TOKEN, type DaemonHarness } from '../helpers/daemon-harness.js';
import { admin } from '../helpers/sim-client.js';
import { waitFor } from '../helpers/prom-tools.js';
import { runRecord } from '../helpers/records.js';

/**
 * The console's read-only pages and badges in real Chromium, against a daemon watching the simulator:
 * a healthy journey, a failing one (a simulator fault) up to paging and its run view, a paused one, a
 * stale one, values from the target holding HTML and script shown as text, the history list, the
 * badges, and axe-core on every page at desktop and phone widths. One daemon serves the file; the
 * journeys run when a test asks (run now, through the API), so each state is reached on purpose.
 *
 * - golden-path-api: healthy, then failing under `subprotocol_mismatch`, then paging (pages after 3);
 *   its prompt holds HTML and script, which the simulator's answer quotes.
 * - thread-follow-up: its expected-answer pattern holds HTML, so it fails with response_mismatch and a
 *   message and evidence holding HTML; then paused.
 * - token-refresh: scheduled only in an hour that is not now, run once at the start: stale after 3
 *   intervals (its 10 s deadline is the interval).
 */

const API = 'golden-path-api';
const THREAD = 'thread-follow-up';
const STALE = 'token-refresh';
const HOSTILE_PROMPT = 'Check <b id="injected">this</b> <script>window.__xss = 1; alert("xss")</script><img src="x" onerror="alert(\'img\')">';
const HOSTILE_PATTERN = '^<img src=x onerror=alert(1)>NEVER';
const YEARLY = '0 0 1 1 *';
/** A failed browser run's record and files, written into the history by a test (a screenshot and a trace without running Chromium twice). */
const BROWSER_RUN = 'console-views-browser-run';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 375, height: 740 },
] as const;

describe('the console: pages and badges', () => {
  let h: DaemonHarness;
  let browser: Browser;
  let url: string;
  const dialogs: string[] = [];

  /** Runs the journey now (the API's run now) and resolves with its record once it is in the history. */
  const runNow = async (journey: string): Promise<RunRecord> => {
    const started = await h.api('POST', `/api/journeys/${journey}/runs`, { body: { target: 'sim' } });
    assert.equal(started.status, 202, started.text);
    const { id } = started.json as { id: string };
    return waitFor(`run ${id} in the history`, async () => {
      const answer = await h.api('GET', `/api/runs/${id}`, { token: null });
      return answer.status === 200 ? (answer.json as RunRecord) : undefined;
    });
  };
  /** A page in a fresh context; every dialog any page opens is recorded (none may open). */
  const open = async (options: { width?: number; height?: number; bypassCSP?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 }, bypassCSP: options.bypassCSP ?? false });
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return { context, page };
  };
  const signIn = async (page: Page, next: string) => {
    await page.goto(`${url}/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${url}${next}`);
  };
  /** The overview's card of a journey against sim. */
  const card = (page: Page, journey: string): Locator => page.locator('article.card', { has: page.getByRole('heading', { name: `${journey} on sim` }) });
  /** axe-core's serious and critical violations on the page as it is now. */
  const axeViolations = async (page: Page): Promise<string[]> => {
    // evaluate runs outside the page's CSP (which refuses an injected <script>), and the page keeps its CSP.
    await page.evaluate(AXE);
    const result = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
      return axe.run(document, { resultTypes: ['violations'] });
    });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  };

  let passed: RunRecord;
  let failedRuns: RunRecord[] = [];
  let hostile: RunRecord;

  before(async () => {
    const elsewhere = (new Date().getHours() + 12) % 24;
    h = await startDaemonHarness({
      [API]: { schedule: YEARLY, prompt: HOSTILE_PROMPT, pageAfterFailures: 3 },
      [THREAD]: { schedule: YEARLY, expectedAnswer: HOSTILE_PATTERN },
      // Every 5 s, but only in an hour that is not now: it never runs on its schedule during the test.
      [STALE]: { schedule: `*/5 * ${elsewhere} * * *`, timeoutMs: 10_000 },
    });
    url = h.daemon.url;
    browser = await chromium.launch(chromiumLaunchOptions());
    const staleRun = await runNow(STALE);
    assert.equal(staleRun.outcome, 'passed', JSON.stringify(staleRun.failure));
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('a healthy journey: passing, a strip of its runs linking to each, the success ratio, the schedule in words', async () => {
    passed = await runNow(API);
    const second = await runNow(API);
    assert.equal(passed.outcome, 'passed', JSON.stringify(passed.failure));
    assert.equal(second.outcome, 'passed');
    const { context, page } = await open();
    try {
      await page.goto(`${url}/`);
      const api = card(page, API);
      await api.locator('.pill', { hasText: 'passing' }).waitFor();
      const cells = api.getByRole('list', { name: /Last 2 runs, oldest first/ }).getByRole('link');
      assert.equal(await cells.count(), 2);
      assert.deepEqual(await cells.evaluateAll((links) => links.map((a) => a.getAttribute('href'))), [`/runs/${passed.id}`, `/runs/${second.id}`], 'oldest to newest');
      assert.match((await cells.first().textContent()) ?? '', /^passed, (now|\d+ seconds? ago)$/, 'each cell is named by its outcome and time');
      const facts = await api.locator('dl.facts').innerText();
      assert.match(facts, /Success, last 24 h\s+100% \(2 of 2\)/);
      assert.match(facts, /Success, last 7 days\s+100% \(2 of 2\)/);
      assert.match(facts, /Schedule\s+at 00:00, on day 1 of the month, only in January 0 0 1 1 \*/);
      assert.match(facts, new RegExp(`Deployed revision\\s+${(passed.targetInfo.revision ?? '').slice(0, 12)}`));
      const time = api.locator('dl.facts time').last();
      assert.equal(await time.getAttribute('datetime'), second.finishedAt, 'the exact time is in the markup');
      assert.equal(await time.getAttribute('title'), second.finishedAt, 'and on hover');
      assert.equal(await api.locator('abbr').first().getAttribute('title'), "passed ÷ (passed + failed): the monitor's own errors are left out");
      await cells.last().click();
      await page.waitForURL(`${url}/runs/${second.id}`);
      assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /Run of golden-path-api on sim: passed/);
    } finally {
      await context.close();
    }
  });

  it('a failing journey: failing since its first failed run, the streak, paging at pageAfterFailures, and the run view with the step, reason and evidence', async () => {
    await admin(h.sim.description, 'POST', '/faults', { name: 'subprotocol_mismatch' });
    const { context, page } = await open();
    try {
      const first = await runNow(API);
      assert.equal(first.outcome, 'failed');
      assert.equal(first.failure?.step, 'connect');
      assert.equal(first.failure?.reason, 'ws_subprotocol');
      await page.goto(`${url}/`);
      let api = card(page, API);
      await api.locator('.pill', { hasText: 'failing' }).waitFor();
      const state = api.locator('p.state');
      assert.match(await state.innerText(), /failing since (now|\d+ seconds? ago): 1 failed run in a row \(pages at 3\)/);
      assert.equal(await state.locator('time').getAttribute('datetime'), first.finishedAt, 'failing since the first failed run');
      assert.match(await api.locator('p.why').innerText(), /Step connect failed with ws_subprotocol: server /);
      assert.match(await api.locator('dl.facts').innerText(), /Success, last 24 h\s+66\.6% \(2 of 3\)/);

      // The page refreshes its live part by itself (assets/refresh.js), and leaves the keyboard focus where it was.
      const toggle = page.getByRole('button', { name: 'Auto-refresh' });
      assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
      await toggle.focus();
      await page.evaluate(() => {
        (window as unknown as { sameDocument: boolean }).sameDocument = true;
      });
      failedRuns = [first, await runNow(API)];
      await card(page, API).locator('p.state', { hasText: '2 failed runs in a row (pages at 3)' }).waitFor({ timeout: 30_000 });
      assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'refreshed in place, not reloaded');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'auto-refresh', 'the focus stayed');
      await page.keyboard.press('Enter');
      assert.equal(await toggle.getAttribute('aria-pressed'), 'false', 'the keyboard turns it off');
      await page.keyboard.press('Space');
      assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
      failedRuns.push(await runNow(API));
      await page.reload();
      api = card(page, API);
      assert.equal(await api.locator('.pill').first().innerText(), 'PAGING', 'paging, shown in capitals besides its colour');
      const paging = await api.locator('p.state').innerText();
      assert.match(paging, /since .*: 3 failed runs in a row \(pages at 3; GoldenPathDown fires\)/);
      assert.equal(await api.locator('p.state time').getAttribute('datetime'), first.finishedAt, 'still since the first failure');
      const cells = api.getByRole('list', { name: /Last 5 runs/ }).getByRole('link');
      assert.match((await cells.last().textContent()) ?? '', /^failed, .*, connect: ws_subprotocol$/);

      // The alert's run_url: the latest failed run.
      const latest = failedRuns[2] as RunRecord;
      await page.goto(`${url}/journeys/${API}/last-failure?target=sim`);
      await page.waitForURL(`${url}/runs/${latest.id}`);
      assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /Run of golden-path-api on sim: failed/);
      const failure = page.getByRole('region', { name: 'Why it failed' });
      assert.match(await failure.innerText(), /Step\s+connect\s+Reason\s+ws_subprotocol/);
      assert.equal(await failure.locator('p.message-block').innerText(), latest.failure?.message);
      const evidence = failure.getByRole('table', { name: 'Evidence' });
      assert.match(await evidence.getByRole('row', { name: /^selected/ }).innerText(), /jwt-auth/);
      const connect = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Objective' }) }).getByRole('row', { name: /connect/ });
      assert.match(await connect.innerText(), /\(failed here\)\s+failed/);
      assert.match(await page.getByRole('row', { name: /agent_request/ }).first().innerText(), /skipped/);
      assert.match(await page.getByRole('region', { name: 'Inputs' }).innerText(), /Check <b id="injected">this<\/b>/);
    } finally {
      await context.close();
      await admin(h.sim.description, 'DELETE', '/faults');
    }
  });

  it('an answer, a failure message and evidence holding HTML and script are shown as text: nothing is injected, no script runs', async () => {
    hostile = await runNow(THREAD);
    assert.equal(hostile.failure?.reason, 'response_mismatch', JSON.stringify(hostile.failure));
    // No CSP in this context: the escaping alone must hold.
    const { context, page } = await open({ bypassCSP: true });
    try {
      for (const path of [`/runs/${hostile.id}`, `/runs/${passed.id}`, '/', `/journeys/${THREAD}`]) {
        await page.goto(`${url}${path}`);
        assert.equal(await page.locator('#injected').count(), 0, `${path}: no element from the target's text`);
        assert.equal(await page.locator('img[src="x"]').count(), 0, path);
        assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, `${path}: no script ran`);
      }
      await page.goto(`${url}/runs/${hostile.id}`);
      const failure = page.getByRole('region', { name: 'Why it failed' });
      assert.equal(await failure.locator('p.message-block').innerText(), `answer does not match /${HOSTILE_PATTERN}/`);
      assert.match(await failure.getByRole('row', { name: /^expected/ }).innerText(), /<img src=x onerror=alert\(1\)>NEVER/);
      await page.goto(`${url}/runs/${passed.id}`);
      assert.match(await page.locator('q.answer').innerText(), /Golden path OK\. The agent processed your request: "Check <b id="injected">this<\/b> <script>window\.__xss = 1;/);
      assert.match(await page.getByRole('region', { name: 'WebSocket transcript' }).innerText(), /<script>window\.__xss = 1; alert\(\\"xss\\"\)<\/script>/);
      await page.goto(`${url}/`);
      assert.match(await card(page, THREAD).locator('p.why').innerText(), /answer does not match \/\^<img src=x onerror=alert\(1\)>NEVER\//);
      assert.deepEqual(dialogs, [], 'no dialog opened');
    } finally {
      await context.close();
    }
  });

  it('a paused journey shows paused, why and since when, with the failing facts it had; its actions only once signed in', async () => {
    const paused = await h.api('POST', `/api/journeys/${THREAD}/pause`, { body: { target: 'sim', reason: 'DB migration <i>tonight</i>' } });
    assert.equal(paused.status, 200, paused.text);
    const { context, page } = await open();
    try {
      await page.goto(`${url}/`);
      const thread = card(page, THREAD);
      assert.equal(await thread.locator('.pill').first().innerText(), 'paused');
      assert.match(await thread.locator('p.state').innerText(), /paused since (now|\d+ seconds? ago), from the API: “DB migration <i>tonight<\/i>”\. Not scheduled; its alerts are quiet\./);
      assert.match(await thread.locator('p.also').first().innerText(), /Failing since .*: 1 failed run in a row \(pages at 3\)/);
      assert.match(await thread.locator('p.why').innerText(), /Step ai_response failed with response_mismatch/);

      await page.goto(`${url}/journeys/${THREAD}`);
      const signInLink = page.getByRole('link', { name: 'Sign in to run, replay or pause' });
      assert.equal(await signInLink.getAttribute('href'), `/login?next=${encodeURIComponent(`/journeys/${THREAD}`)}`);
      assert.equal(await page.getByRole('button', { name: 'Resume' }).count(), 0);
      await signIn(page, `/journeys/${THREAD}?target=sim`);
      const actions = page.getByRole('region', { name: 'Actions' });
      await actions.getByRole('button', { name: 'Resume' }).waitFor();
      await actions.getByRole('button', { name: 'Run now' }).waitFor();
      const csrf = await actions.locator('form[action$="/resume"] input[name="_csrf"]').getAttribute('value');
      assert.ok(csrf !== null && csrf.length >= 16, 'the form carries the CSRF token');
      assert.equal(await actions.locator('form[action$="/resume"] input[name="target"]').getAttribute('value'), 'sim');
      await actions.getByRole('button', { name: 'Resume' }).click();
      await page.waitForURL(`${url}/journeys/${THREAD}`);
      await page.getByRole('region', { name: 'Actions' }).getByLabel('Reason for the pause (optional)').waitFor();
      assert.notEqual(await page.locator('#journey-state .pill').first().innerText(), 'paused');
    } finally {
      await context.close();
    }
  });

  it('a journey whose schedule has not run for 3 intervals is stale', async () => {
    const { context, page } = await open();
    try {
      const stale = await waitFor(
        'token-refresh to go stale',
        async () => {
          await page.goto(`${url}/`);
          const pill = card(page, STALE).locator('.pill').first();
          return (await pill.innerText()) === 'stale' ? card(page, STALE) : undefined;
        },
        90_000,
      );
      assert.match(await stale.locator('p.state').innerText(), /stale no finished run for \d[\w .]*: over 3 schedule intervals \(30 s\)\. The monitor is not watching it\./);
      assert.match(await stale.locator('dl.facts').innerText(), /Schedule\s+every 5 seconds, between \d\d:00 and \d\d:59/);
    } finally {
      await context.close();
    }
  });

  it('a run in flight opens its live page; unknown runs and journeys, and a journey that never failed, answer a 404 page', async () => {
    const started = await h.api('POST', `/api/journeys/${API}/runs`, { body: { target: 'sim' } });
    const { id } = started.json as { id: string };
    const inFlight = await fetch(`${url}/runs/${id}`, { redirect: 'manual', headers: { accept: 'text/html' } });
    assert.equal(inFlight.status, 303);
    assert.equal(inFlight.headers.get('location'), `/runs/${id}/live`);
    await waitFor(`run ${id}`, async () => ((await h.api('GET', `/api/runs/${id}`, { token: null })).status === 200 ? true : undefined));
    for (const [path, status, words] of [
      ['/runs/no-such-run', 404, /There is no run no-such-run in the history/],
      ['/runs/bad%20id', 400, /A run id is letters, digits and dashes/],
      ['/journeys/nope', 404, /There is no journey “nope”/],
      [`/journeys/${API}?target=elsewhere`, 404, /does not run against “elsewhere”/],
      [`/journeys/${STALE}/last-failure`, 404, /token-refresh has no failed run in the history/],
      ['/runs?outcome=maybe', 400, /outcome must be passed, failed, error/],
      ['/runs?page=0', 400, /page must be a whole number from 1/],
      ['/no/such/page', 404, /no route GET \/no\/such\/page/],
    ] as const) {
      const answer = await fetch(`${url}${path}`, { headers: { accept: 'text/html' } });
      assert.equal(answer.status, status, path);
      assert.match(answer.headers.get('content-type') ?? '', /text\/html/, path);
      assert.match(await answer.text(), words, path);
    }
    // The JSON API keeps answering JSON.
    const json = await h.api('GET', '/api/runs/no-such-run', { token: null });
    assert.equal(json.status, 404);
    assert.match((json.json as { error: string }).error, /no finished run/);
  });

  it('the history: filtered by journey and outcome, paged, newest first', async () => {
    const { context, page } = await open();
    try {
      await page.goto(`${url}/runs`);
      await page.getByLabel('Journey').selectOption(API);
      await page.getByRole('group', { name: 'Outcome' }).getByLabel('failed').check();
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL(`${url}/runs?journey=${API}&target=&outcome=failed`);
      assert.match(await page.getByRole('status').innerText(), /^3 runs\.$/);
      const links = page.getByRole('table').getByRole('link');
      assert.deepEqual(await links.evaluateAll((as) => as.map((a) => a.getAttribute('href'))), failedRuns.map((r) => `/runs/${r.id}`).reverse());
      const all = await h.api('GET', '/api/runs?limit=1000', { token: null });
      const total = (all.json as { runs: unknown[] }).runs.length;
      await page.goto(`${url}/runs`);
      assert.match(await page.getByRole('status').innerText(), new RegExp(`^${total} runs\\.$`));
    } finally {
      await context.close();
    }
  });

  it('badges: the state and the 24 h ratio as an SVG, cached a minute, embeddable anywhere; an unknown journey is a grey 404', async () => {
    const badge = await fetch(`${url}/badge/${API}.svg?target=sim`);
    assert.equal(badge.status, 200);
    assert.equal(badge.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    assert.equal(badge.headers.get('cache-control'), 'max-age=60');
    assert.equal(badge.headers.get('cross-origin-resource-policy'), 'cross-origin');
    const svg = await badge.text();
    const { context, page } = await open();
    try {
      const parsed = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        return { root: doc.documentElement.nodeName, error: doc.getElementsByTagName('parsererror').length, label: doc.documentElement.getAttribute('aria-label') };
      }, svg);
      assert.deepEqual([parsed.root, parsed.error], ['svg', 0], 'a well-formed SVG');
      // 3 passed (the healthy two and the one in flight above), 3 failed: the streak was broken by that pass.
      assert.equal(parsed.label, `${API}: passing · 50.0%`);
      await page.goto(`${url}/badge/${THREAD}.svg`);
      assert.match((await page.locator('svg').getAttribute('aria-label')) ?? '', new RegExp(`^${THREAD}: failing · 0%$`));
    } finally {
      await context.close();
    }
    const unknown = await fetch(`${url}/badge/nope.svg`);
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /aria-label="gpmon: unknown journey"/);
    assert.equal((await fetch(`${url}/badge/${API}.svg?target=elsewhere`)).status, 404);
  });

  it('the run view embeds the screenshot once signed in, and gives the trace as a download with the show-trace commands', async () => {
    // A failed browser run's record and files, written into the daemon's history as the executor would.
    const id = BROWSER_RUN;
    const runsDir = join(h.dir, 'runs');
    mkdirSync(join(runsDir, id), { recursive: true });
    const { context: shooter, page: shot } = await open({ width: 320, height: 200 });
    await shot.setContent('<p>the chat page</p>');
    writeFileSync(join(runsDir, id, 'screenshot.png'), await shot.screenshot());
    await shooter.close();
    writeFileSync(join(runsDir, id, 'trace.zip'), 'PK not really a zip');
    const store = RunStore.open(join(runsDir, 'gpmon.db'), runsDir);
    try {
      store.runFinished(
        runRecord({
          id,
          journey: 'golden-path',
          outcome: 'failed',
          startedAt: new Date().toISOString(),
          finishedAt: new Date().toISOString(),
          failure: { step: 'ai_response', reason: 'ui', message: 'the answer never rendered', evidence: {} },
          artifacts: [
            { name: 'screenshot.png', path: `${id}/screenshot.png`, bytes: 1000 },
            { name: 'trace.zip', path: `${id}/trace.zip`, bytes: 19 },
          ],
        }),
      );
    } finally {
      store.close();
    }
    const { context, page } = await open();
    try {
      await page.goto(`${url}/runs/${id}`);
      const screenshot = page.getByRole('region', { name: 'Screenshot' });
      assert.match(await screenshot.innerText(), /screenshot\.png \(1000 B\): sign in to see it here\./);
      assert.equal(await screenshot.getByRole('img').count(), 0);
      const trace = page.getByRole('region', { name: 'Trace' });
      assert.match(await trace.innerText(), /npx playwright show-trace trace\.zip/);
      assert.match(await trace.innerText(), new RegExp(`npx playwright show-trace /\\S+/${id}/trace\\.zip`));
      await signIn(page, `/runs/${id}`);
      const image = page.getByRole('region', { name: 'Screenshot' }).getByRole('img', { name: /The page as the journey saw it when step ai_response failed/ });
      await image.waitFor();
      await page.waitForFunction(() => document.querySelector<HTMLImageElement>('img.screenshot')?.complete === true);
      assert.equal(await image.evaluate((img: HTMLImageElement) => img.naturalWidth), 320, 'the screenshot loads with the session cookie, no header');
      const download = page.getByRole('link', { name: 'Download trace.zip' });
      assert.equal(await download.getAttribute('href'), `/api/runs/${id}/artifacts/trace.zip`);
      await page.getByRole('button', { name: 'Replay this run' }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('axe finds no serious or critical violation, at desktop and phone widths; no horizontal page scroll at 375 px; nothing the CSP refuses', async () => {
    const failedId = (failedRuns[2] as RunRecord).id;
    const pages = ['/', `/journeys/${API}`, `/journeys/${THREAD}?target=sim`, `/runs/${failedId}`, `/runs/${passed.id}`, `/runs/${hostile.id}`, `/runs/${BROWSER_RUN}`, '/runs', '/runs/no-such-run'];
    // Signed in, the pages with forms, the screenshot and the download links.
    const signedInPages = [`/journeys/${THREAD}?target=sim`, `/runs/${failedId}`, `/runs/${BROWSER_RUN}`];
    const problems: string[] = [];
    for (const viewport of VIEWPORTS) {
      for (const signedIn of [false, true]) {
        const { context, page } = await open(viewport);
        const refused: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) refused.push(message.text());
        });
        try {
          if (signedIn) await signIn(page, '/');
          for (const path of signedIn ? signedInPages : pages) {
            await page.goto(`${url}${path}`);
            for (const v of await axeViolations(page)) problems.push(`${viewport.name}${signedIn ? ', signed in' : ''} ${path}: ${v}`);
            if (viewport.width === 375) {
              const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
              if (overflow > 0) problems.push(`${viewport.name} ${path}: the page scrolls sideways by ${overflow} px`);
            }
          }
        } finally {
          await context.close();
        }
        assert.deepEqual(refused, [], `${viewport.name}: the CSP refused nothing`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
