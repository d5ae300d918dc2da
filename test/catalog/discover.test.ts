import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverJourneys, type JourneyFolder } from '../../src/catalog/discover.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const folder = (dir: string): JourneyFolder => ({ path: join(ROOT, dir), label: dir });

const GOLDEN_SLO = { login: 3000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000 };
const GOLDEN_STEPS = ['login', 'connect', 'agent_request', 'live_events', 'ai_response'];

describe('journey discovery: every spec file declares its journey', () => {
  it("finds the shipped journeys in journeys/ as their files declare them, and an author's beside them", async () => {
    const found = await discoverJourneys(ROOT, [folder('journeys'), folder('test/fixtures/discovery/good')]);
    assert.equal(found.ok, true, found.ok ? '' : found.problems.join('\n'));
    assert.deepEqual(
      found.journeys.map(({ name, file, kind, steps, schedule, timeoutMs, slo }) => ({ name, file, kind, steps, schedule, timeoutMs, slo })),
      [
        { name: 'concurrent-sessions', file: 'journeys/concurrent-sessions.spec.ts', kind: 'protocol', steps: GOLDEN_STEPS, schedule: '50 */2 * * * *', timeoutMs: 45_000, slo: GOLDEN_SLO },
        { name: 'golden-path-api', file: 'journeys/golden-path-api.spec.ts', kind: 'protocol', steps: GOLDEN_STEPS, schedule: '*/15 * * * * *', timeoutMs: 30_000, slo: GOLDEN_SLO },
        { name: 'golden-path', file: 'journeys/golden-path.spec.ts', kind: 'browser', steps: GOLDEN_STEPS, schedule: '0 * * * * *', timeoutMs: 60_000, slo: GOLDEN_SLO },
        { name: 'platform-health', file: 'journeys/platform-health.spec.ts', kind: 'protocol', steps: ['tls', 'health', 'dependencies', 'cors'], schedule: '20 * * * * *', timeoutMs: 30_000, slo: { tls: 2000, health: 1000, dependencies: 2000, cors: 1000 } },
        { name: 'thread-follow-up', file: 'journeys/thread-follow-up.spec.ts', kind: 'protocol', steps: [...GOLDEN_STEPS, 'follow_up'], schedule: '45 */2 * * * *', timeoutMs: 45_000, slo: { ...GOLDEN_SLO, follow_up: 12_000 } },
        { name: 'token-refresh', file: 'journeys/token-refresh.spec.ts', kind: 'protocol', steps: ['login', 'refresh', ...GOLDEN_STEPS.slice(1)], schedule: '30 */2 * * * *', timeoutMs: 45_000, slo: { ...GOLDEN_SLO, refresh: 2000 } },
        { name: 'ws-auth-enforced', file: 'journeys/ws-auth-enforced.spec.ts', kind: 'protocol', steps: ['no_token', 'forged_token'], schedule: '30 */5 * * * *', timeoutMs: 20_000, slo: { no_token: 1000, forged_token: 1000 } },
        { name: 'my-checkout', file: 'test/fixtures/discovery/good/my-checkout.spec.ts', kind: 'protocol', steps: ['open_cart', 'pay'], schedule: '*/30 * * * * *', timeoutMs: 20_000, slo: undefined },
      ],
    );
  });

  it('finds the same journeys when it runs again in the same process (a config reloaded, a second command)', async () => {
    const first = await discoverJourneys(ROOT, [folder('test/fixtures/discovery/good')]);
    const second = await discoverJourneys(ROOT, [folder('test/fixtures/discovery/good'), folder('test/fixtures/discovery/good')]);
    assert.equal(second.ok, true, second.ok ? '' : second.problems.join('\n'));
    assert.deepEqual(second.journeys, first.journeys, 'a folder listed twice gives its files once, and a file imported before is read again');
  });

  it('names a file outside the project by its absolute path', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'gpmon-outside-'));
    try {
      cpSync(join(ROOT, 'test/fixtures/discovery/good/my-checkout.spec.ts'), join(outside, 'checkout.spec.ts'));
      // The copy imports the kit by a relative path that no longer leads anywhere: its problem names it by where it is.
      const found = await discoverJourneys(ROOT, [{ path: outside, label: 'journeyDirs: /tmp/x' }]);
      assert.equal(found.ok, false);
      assert.match(found.ok ? '' : (found.problems[0] ?? ''), new RegExp(`^${join(outside, 'checkout.spec.ts').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot load: `));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a file that exits, never finishes loading, has a syntax error, or uses the kit at its top level: each named, with why; the model\'s names are real', async () => {
    const found = await discoverJourneys(ROOT, [folder('test/fixtures/discovery/misbehaving')], { loadTimeoutMs: 1000 });
    const at = 'test/fixtures/discovery/misbehaving';
    const problems = found.ok ? [] : found.problems;
    assert.equal(problems[0], `${at}/a-exits.spec.ts: cannot load: it called process.exit(3) while loading`);
    assert.equal(problems[1], `${at}/b-never-loads.spec.ts: did not finish loading within 1 s (a top-level await that never settles?)`);
    assert.match(problems[2] ?? '', new RegExp(`^${at}/c-syntax\\.spec\\.ts: cannot load: Transform failed with 1 error: .*c-syntax\\.spec\\.ts:3:\\d+: ERROR: Expected "}" but found "schedule"`));
    assert.equal(problems[3], `${at}/d-top-level-kit.spec.ts: cannot load: EventCollector from golden-path-monitor/kit is used at the top level of the journey file, where gpmon only reads the declaration: use it inside the journey's body`);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.deepEqual(found.journeys.map((j) => [j.name, j.steps]), [['model-names', ['login', 'connect', 'agent_request', 'live_events', 'ai_response']]]);
  });

  it("a folder that is a file is named as one", async () => {
    const found = await discoverJourneys(ROOT, [{ path: join(ROOT, 'package.json'), label: 'journeyDirs: package.json' }]);
    assert.deepEqual(found.ok ? [] : found.problems, [`journeyDirs: package.json: ${join(ROOT, 'package.json')} is a file, not a folder of journeys`]);
  });

  it('names the file of every problem: no declaration, two, a bad one, a name twice, the old test(), a file that throws, bad defaults, a missing folder', async () => {
    const found = await discoverJourneys(ROOT, [folder('test/fixtures/discovery/bad'), folder('test/fixtures/discovery/bad-defaults'), { path: join(ROOT, 'no/such/folder'), label: 'journeyDirs: no/such/folder' }]);
    assert.equal(found.ok, false);
    const bad = 'test/fixtures/discovery/bad';
    assert.deepEqual(found.ok ? [] : found.problems, [
      `journeyDirs: no/such/folder: no such folder of journeys (${join(ROOT, 'no/such/folder')})`,
      `${bad}/a-none.spec.ts: declares no journey (export default defineJourney({ name, kind, steps, … }, async ({ run }) => { … }))`,
      `${bad}/b-two.spec.ts: declares 2 journeys; a file declares one`,
      `${bad}/c-invalid.spec.ts: name: must be lower-case words joined by '-' (my-checkout)`,
      `${bad}/c-invalid.spec.ts: steps: a step is named twice`,
      `${bad}/c-invalid.spec.ts: schedule: "every minute" is not a valid cron expression`,
      `${bad}/e-twin.spec.ts: the name "twin" is already ${bad}/d-twin.spec.ts's`,
      `${bad}/f-plain-test.spec.ts: declares its test with test() or journeyTest(), not defineJourney(): the monitor cannot read its name and steps`,
      `${bad}/g-throws.spec.ts: cannot load: a journey file that breaks on import`,
      'test/fixtures/discovery/bad-defaults/slo-and-timeout.spec.ts: slo.pay: not a step of the journey (open_cart)',
      'test/fixtures/discovery/bad-defaults/slo-and-timeout.spec.ts: stepTimeoutMs: 9000 is longer than timeoutMs 5000',
    ]);
    assert.deepEqual(found.journeys.map((journey) => journey.name), ['twin'], 'what is sound is still found');
  });
});
