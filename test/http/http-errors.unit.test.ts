import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHttpApp } from '../../src/http/server.js';
import { RunStore } from '../../src/store/run-store.js';
import { MetricsRenderer, createMetricsRegistry } from '../../src/metrics/monitor-metrics.js';
import { DeployExpectations } from '../../src/monitor/deploy-expectations.js';
import { Pauses } from '../../src/monitor/pauses.js';

/**
 * Requests that are wrong in ways express itself notices (a %-escape that does not decode, a static file that is not
 * there or a path that climbs out of the assets): 400 or 404 with a message, never the 500 "internal error" nor an
 * error-level log line that anyone on the network can write.
 */
describe('HTTP: client errors express finds are answered as client errors', () => {
  let dir: string;
  let store: RunStore;
  let server: Server;
  let base: string;
  const logged: { level: number; msg: string }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-http-errors-'));
    store = RunStore.open(join(dir, 'gpmon.db'), join(dir, 'runs'));
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) });
    const app = createHttpApp({
      store,
      runs: { trigger: () => ({ kind: 'unknown-journey' }), running: () => undefined, watch: () => undefined, progress: () => undefined },
      renderer: new MetricsRenderer(createMetricsRegistry()),
      journeys: [],
      targets: ['sim'],
      runsDir: join(dir, 'runs'),
      token: 'a-token-of-the-test',
      ready: () => true,
      logger,
      deploys: new DeployExpectations(() => undefined),
      pauses: new Pauses(() => undefined),
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [path, status] of [
    ['/runs/%zz', 400],
    ['/journeys/%zz', 400],
    ['/badge/%zz.svg', 400],
    ['/api/runs/%zz', 400],
    ['/runs/%zz/live', 400],
    ['/api/runs/%zz/events', 400],
    ['/assets/nope.css', 404],
    ['/assets/', 404],
    // fetch (WHATWG URL) reads %2e%2e as .., so this one arrives as /package.json: a 404 either way.
    ['/assets/%2e%2e/package.json', 404],
  ] as const) {
    it(`${path}: ${status}, as JSON for an API client and as a page for a browser`, async () => {
      const before = logged.length;
      const json = await fetch(`${base}${path}`);
      assert.equal(json.status, status);
      assert.match(((await json.json()) as { error: string }).error, status === 400 ? /not a valid address/ : /no such file|no route/);
      const page = await fetch(`${base}${path}`, { headers: { accept: 'text/html' } });
      assert.equal(page.status, status);
      if (!path.startsWith('/api/')) assert.match(await page.text(), /<main id="main">/);
      else await page.body?.cancel();
      assert.deepEqual(logged.slice(before).filter((entry) => entry.level >= 50), [], 'nothing at error level');
    });
  }

  it('an unknown page is an HTML 404 for a browser', async () => {
    const page = await fetch(`${base}/nope`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(page.status, 404);
    assert.match(await page.text(), /no route GET \/nope/);
  });
});
