import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { createConsoleRouter } from '../../src/http/console.js';
import { Views } from '../../src/http/views.js';
import { RunStore } from '../../src/store/run-store.js';
import { Pauses } from '../../src/monitor/pauses.js';
import { DeployExpectations } from '../../src/monitor/deploy-expectations.js';
import type { ConfiguredJourney } from '../../src/config/resolve.js';
import type { Outcome, RunRecord } from '../../src/model/run-record.js';
import { journeyNamed } from '../helpers/shipped.js';
import { runRecord } from '../helpers/records.js';

/**
 * The console's router in-process, over a real run store with records written by the test and a fixed
 * clock: what needs many runs, several targets or a long transcript, which the browser tests
 * (test/http/console-views.test.ts) would take minutes to make.
 */

const NOW = Date.parse('2026-03-08T12:00:00.000Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
const API = 'golden-path-api';

function journey(targets: string[]): ConfiguredJourney {
  return {
    definition: journeyNamed(API),
    enabled: true,
    schedule: '*/15 * * * * *',
    timeoutMs: 30_000,
    stepTimeoutMs: 15_000,
    artifacts: { traceScreenshots: false },
    slo: { login: 3000, connect: 1000 },
    inputs: { prompt: 'p', expectedAnswer: '.' },
    targets,
    pageAfterFailures: 3,
    intervalSeconds: 30,
  };
}

function run(id: string, target: string, outcome: Outcome, secondsAgo: number, more: Partial<RunRecord> = {}): RunRecord {
  return runRecord({
    id,
    target,
    outcome,
    startedAt: at(secondsAgo + 1),
    finishedAt: at(secondsAgo),
    ...(outcome === 'failed' ? { failure: { step: 'connect', reason: 'ws_auth', message: 'AUTH_FAILED then close 1008', evidence: { closeCode: 1008 } } } : {}),
    ...more,
  });
}

describe('the console router (in-process, recorded runs)', () => {
  let dir: string;
  let store: RunStore;
  let server: Server;
  let base: string;
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`, { redirect: 'manual', headers: { accept: 'text/html' } });
    return { status: response.status, text: await response.text(), headers: response.headers };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-console-router-'));
    const runsDir = join(dir, 'runs');
    store = RunStore.open(join(dir, 'gpmon.db'), runsDir);
    // Target a: passing, 60 runs (more than a strip and a page). Target b: failing, 3 in a row (paging).
    for (let i = 0; i < 60; i++) store.runFinished(run(`a-${String(i).padStart(2, '0')}`, 'a', 'passed', 600 - i * 5));
    store.runFinished(run('b-0', 'b', 'passed', 100));
    for (let i = 1; i <= 3; i++) store.runFinished(run(`b-${i}`, 'b', 'failed', 100 - i * 10));
    // A run with a long transcript, one frame longer than the page shows, and a run whose transcript is gone.
    const frames = Array.from({ length: 230 }, (_, i) => JSON.stringify({ t: i, dir: i % 2 === 0 ? 'out' : 'in', data: i === 5 ? 'x'.repeat(2500) : `frame ${i}` }));
    mkdirSync(join(runsDir, 'long'), { recursive: true });
    writeFileSync(join(runsDir, 'long', 'transcript.jsonl'), `${frames.join('\n')}\nnot json\n`);
    store.runFinished(run('long', 'a', 'passed', 2, { artifacts: [{ name: 'transcript.jsonl', path: 'long/transcript.jsonl', bytes: 1 }] }));
    store.runFinished(run('gone', 'a', 'passed', 1, { artifacts: [{ name: 'transcript.jsonl', path: 'gone/transcript.jsonl', bytes: 1 }] }));
    const app = express();
    app.use(
      createConsoleRouter({
        store,
        runs: { running: () => undefined, progress: () => undefined },
        journeys: [journey(['a', 'b'])],
        targets: ['a', 'b'],
        pauses: new Pauses(() => undefined),
        deploys: new DeployExpectations(() => undefined),
        runsDir,
        views: new Views(),
        logger: pino({ level: 'silent' }),
        now: () => NOW,
      }),
    );
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => {
      resolve();
    }));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the overview: one card per target, the strip holds the last 50 runs, paging where the streak reached 3', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    const cards = page.text.split('<article').slice(1);
    assert.equal(cards.length, 2);
    const [a = '', b = ''] = cards;
    assert.match(a, /<span class="pill pill-passing">passing<\/span>/);
    assert.equal((a.match(/class="cell cell-/g) ?? []).length, 50, 'the last 50 runs');
    assert.match(a, /Last 50 runs, oldest first/);
    assert.match(a, /href="\/runs\/gone"[^>]*><span class="vh">passed, 1 second ago<\/span>/, 'the newest last');
    assert.match(b, /<span class="pill pill-paging">paging<\/span>/);
    assert.match(b, /3 failed runs in a row/);
    assert.match(b, new RegExp(`since <time datetime="${at(90)}" title="${at(90)}">2 minutes ago</time>`));
    assert.match(b, /<strong>25\.0%<\/strong> <span class="muted">\(1 of 4\)<\/span>/);
  });

  it('a journey with several targets and none chosen: a card for each to choose from', async () => {
    const page = await get(`/journeys/${API}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /It runs against 2 targets: choose one\./);
    assert.match(page.text, /<a href="\/journeys\/golden-path-api\?target=a">golden-path-api<\/a> <span class="on">on a<\/span>/);
    assert.match(page.text, /<a href="\/journeys\/golden-path-api\?target=b">golden-path-api<\/a> <span class="on">on b<\/span>/);
    const one = await get(`/journeys/${API}?target=b`);
    assert.match(one.text, /Also against: <a href="\/journeys\/golden-path-api\?target=a">a<\/a>/);
    assert.match(one.text, /Last 4 runs/);
    // Its last failure, for any target or the one named.
    assert.equal((await get(`/journeys/${API}/last-failure`)).headers.get('location'), '/runs/b-3');
    assert.equal((await get(`/journeys/${API}/last-failure?target=a`)).status, 404);
  });

  it('the history pages 50 runs at a time, the filters carried to the next page', async () => {
    const first = await get('/runs?target=a');
    assert.match(first.text, /62 runs; page 1 of 2, newest first\./);
    assert.match(first.text, /<a rel="next" href="\/runs\?target=a&amp;page=2">Older runs<\/a>/);
    const second = await get('/runs?target=a&page=2');
    assert.equal((second.text.match(/<tr><td><a href="\/runs\//g) ?? []).length, 12);
    assert.match(second.text, /<a rel="prev" href="\/runs\?target=a">Newer runs<\/a>/);
    const failed = await get('/runs?outcome=failed&outcome=error');
    assert.match(failed.text, /3 runs\./);
    assert.match(failed.text, /<input type="checkbox" id="filter-failed" name="outcome" value="failed" checked>/);
    assert.equal((await get('/runs?journey=%3Cscript%3E')).status, 400);
  });

  it('the transcript: 100 entries a page, a long frame cut with the count left out, unreadable lines counted; a missing file said', async () => {
    const first = await get('/runs/long');
    assert.match(first.text, /230 entries, page 1 of 3; 1 unreadable line left out\./);
    assert.match(first.text, /\(500 more characters\)/);
    assert.match(first.text, /<a href="\/runs\/long\?page=2#transcript">Later entries<\/a>/);
    const last = await get('/runs/long?page=3');
    assert.equal((last.text.match(/<td class="num">/g) ?? []).length, 30);
    assert.match(last.text, /<a href="\/runs\/long\?page=2#transcript">Earlier entries<\/a>/);
    assert.match((await get('/runs/gone')).text, /The transcript file is not in the run folder any more\./);
  });

  it('badges: the worst target when none is named; each target when named', async () => {
    const label = async (path: string) => /aria-label="([^"]+)"/.exec((await get(path)).text)?.[1];
    assert.equal(await label(`/badge/${API}.svg`), `${API}: paging · 25.0%`);
    assert.equal(await label(`/badge/${API}.svg?target=a`), `${API}: passing · 100%`);
    assert.equal((await get(`/badge/${API}.svg?target=c`)).status, 404);
  });
});
