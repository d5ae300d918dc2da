import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverJourneys } from '../../src/catalog/discover.js';
import { JOURNEYS } from '../../src/model/journeys.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('journey discovery: every spec file declares its journey', () => {
  it('finds the shipped journeys in journeys/, declared in their files as the model lists them, and an author\'s beside them', async () => {
    const found = await discoverJourneys(ROOT, ['journeys', 'test/fixtures/discovery/good']);
    assert.equal(found.ok, true, found.ok ? '' : found.problems.join('\n'));
    const shipped = found.journeys.filter((journey) => journey.file.startsWith('journeys/'));
    assert.deepEqual(
      shipped.map(({ name, file, kind, steps, schedule, timeoutMs, description }) => ({ name, file, kind, steps, schedule, timeoutMs, description })),
      [...JOURNEYS].sort((a, b) => a.file.localeCompare(b.file)).map(({ name, file, kind, steps, schedule, timeoutMs, description }) => ({ name, file, kind, steps: [...steps], schedule, timeoutMs, description })),
      'the files say what src/model/journeys.ts says (until the list goes, issue 11)',
    );
    const authored = found.journeys.find((journey) => journey.name === 'my-checkout');
    assert.deepEqual(authored, {
      name: 'my-checkout',
      kind: 'protocol',
      steps: ['open_cart', 'pay'],
      schedule: '*/30 * * * * *',
      timeoutMs: 20_000,
      description: 'a user pays for the cart',
      file: 'test/fixtures/discovery/good/my-checkout.spec.ts',
    });
  });

  it('names the file of every problem: no declaration, two, a bad one, a name twice, the old test(), a file that throws, a missing folder', async () => {
    const found = await discoverJourneys(ROOT, ['test/fixtures/discovery/bad', 'no/such/folder']);
    assert.equal(found.ok, false);
    const bad = 'test/fixtures/discovery/bad';
    assert.deepEqual(found.ok ? [] : found.problems, [
      'no/such/folder: no such folder of journeys',
      `${bad}/a-none.spec.ts: declares no journey (export default defineJourney({ name, kind, steps, … }, async ({ run }) => { … }))`,
      `${bad}/b-two.spec.ts: declares 2 journeys; a file declares one`,
      `${bad}/c-invalid.spec.ts: name: must be lower-case words joined by '-' (my-checkout)`,
      `${bad}/c-invalid.spec.ts: steps: a step is named twice`,
      `${bad}/c-invalid.spec.ts: schedule: "every minute" is not a valid cron expression`,
      `${bad}/e-twin.spec.ts: the name "twin" is already ${bad}/d-twin.spec.ts's`,
      `${bad}/f-plain-test.spec.ts: declares its test with test() or journeyTest(), not defineJourney(): the monitor cannot read its name and steps`,
      `${bad}/g-throws.spec.ts: cannot load: a journey file that breaks on import`,
    ]);
    assert.deepEqual(found.journeys.map((journey) => journey.name), ['twin'], 'what is sound is still found');
  });
});
