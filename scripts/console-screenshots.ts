// Regenerates the README's screenshots of the console (npm run screenshots:console):
// docs/images/console-overview.png (the overview with a paging journey) and
// docs/images/console-run.png (the run view of a failed browser run, signed in, with its screenshot).
//
// It starts the embedded simulator and a monitor daemon watching it (in this process, on ports chosen at
// run time, in a temporary folder), runs a few journeys healthy, switches the simulator's
// `subprotocol_mismatch` fault on and runs them until the protocol journey pages, then photographs the
// pages in Chromium at 1280×800. Everything it started is stopped again, whatever happens.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../src/browser/chromium.js';
import { PROJECT_ROOT, shippedJourneys } from '../src/catalog/shipped.js';
import { resolveConfig } from '../src/config/resolve.js';
import { startDaemon, type Daemon } from '../src/monitor/daemon.js';
import { startSimulator, type Simulator } from '../src/simulator/simulator.js';

const OUT = join(PROJECT_ROOT, 'docs', 'images');
const VIEWPORT = { width: 1280, height: 800 };
/** Runs only when asked (run now): the pictures show a story, not whatever the clock did. */
const NEVER_SOON = '0 0 1 1 *';

async function main(): Promise<void> {
  const shipped = await shippedJourneys();
  const dir = mkdtempSync(join(tmpdir(), 'gpmon-screenshots-'));
  const token = randomBytes(24).toString('base64url');
  let sim: Simulator | undefined;
  let daemon: Daemon | undefined;
  const browser = await chromium.launch(chromiumLaunchOptions());
  try {
    sim = await startSimulator();
    const d = sim.description;
    const shown = ['golden-path-api', 'golden-path', 'ws-auth-enforced', 'platform-health'];
    const raw = {
      targets: [{ name: 'staging', appUrl: d.app, authUrl: d.auth, apiUrl: d.api, wsUrl: d.ws, login: 'bypass', email: 'console.screenshots@gpmon.test', bypassKeyEnv: 'SIM_BYPASS_KEY' }],
      journeys: Object.fromEntries(shipped.map((j) => [j.name, shown.includes(j.name) ? { schedule: NEVER_SOON, pageAfterFailures: 3 } : { enabled: false }])),
      server: { port: 0 },
      runs: { dir: join(dir, 'runs') },
    };
    const resolved = resolveConfig(raw, { SIM_BYPASS_KEY: d.bypassKey }, shipped);
    if (!resolved.ok) throw new Error(resolved.problems.join('\n'));
    daemon = await startDaemon({ config: resolved.config, projectRoot: PROJECT_ROOT, logger: pino({ level: 'silent' }), version: 'screenshots', playwrightVersion: 'screenshots', token, cwd: dir });
    const base = daemon.url;
    const runNow = async (journey: string): Promise<string> => {
      const started = await fetch(`${base}/api/journeys/${journey}/runs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ target: 'staging' }) });
      if (started.status !== 202) throw new Error(`run now ${journey}: ${started.status} ${await started.text()}`);
      const { id } = (await started.json()) as { id: string };
      for (let i = 0; i < 1200; i++) {
        const answer = await fetch(`${base}/api/runs/${id}`);
        if (answer.status === 200) {
          const { outcome } = (await answer.json()) as { outcome: string };
          process.stderr.write(`${journey}: ${outcome}\n`);
          return id;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error(`run ${id} of ${journey} did not finish`);
    };
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${d.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${d.adminToken}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

    for (let i = 0; i < 12; i++) await runNow('golden-path-api');
    for (const journey of ['ws-auth-enforced', 'platform-health', 'golden-path']) await runNow(journey);
    await admin('POST', '/faults', { name: 'subprotocol_mismatch' });
    for (let i = 0; i < 3; i++) await runNow('golden-path-api');
    const failedBrowserRun = await runNow('golden-path');
    await admin('DELETE', '/faults');

    mkdirSync(OUT, { recursive: true });
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    await page.goto(`${base}/login?next=/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/`);
    await page.screenshot({ path: join(OUT, 'console-overview.png') });
    await page.goto(`${base}/runs/${failedBrowserRun}`);
    await page.waitForFunction(() => [...document.images].every((img) => img.complete));
    await page.screenshot({ path: join(OUT, 'console-run.png') });
    await context.close();
    process.stderr.write(`wrote ${join(OUT, 'console-overview.png')} and ${join(OUT, 'console-run.png')}\n`);
  } finally {
    await browser.close();
    await daemon?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
