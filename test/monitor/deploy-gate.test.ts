import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { TOKEN, startDaemonHarness, type DaemonHarness } from '../helpers/daemon-harness.js';
import type { RevisionExpectation } from '../../src/model/revision.js';

/**
 * "Deployed but not effective" as the daemon learns it: CI announces what it
 * deployed, the runs read what the target reports, the metrics and the status
 * page say whether it took effect (the alert's rule is unit-tested in
 * alerts/golden-path.rules.test.yml).
 */
describe('the daemon: expected revisions from CI', () => {
  let h: DaemonHarness;
  before(async () => {
    h = await startDaemonHarness({ 'golden-path-api': { schedule: '*/1 * * * * *', timeoutMs: 5000, stepTimeoutMs: 3000 } });
  });
  after(async () => {
    await h.stop();
  });

  const admin = async (path: string, body: unknown) => {
    const d = h.sim.description;
    const answer = await fetch(`${d.adminUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${d.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(answer.status, 200, await answer.text());
  };
  const expectation = async (): Promise<RevisionExpectation> => (await h.api('GET', '/api/targets/sim/expected-revision')).json as RevisionExpectation;
  const metric = async (name: string): Promise<string[]> => (await h.api('GET', '/metrics', { token: null })).text.split('\n').filter((line) => line.startsWith(name));

  it('refuses an announcement without the token, for an unknown target, or with a bad revision or window, saying which', async () => {
    assert.equal((await h.api('POST', '/api/targets/sim/expected-revision', { token: null, body: { revision: 'c0ffee1' } })).status, 401);
    const unknown = await h.api('POST', '/api/targets/prod/expected-revision', { body: { revision: 'c0ffee1' } });
    assert.equal(unknown.status, 404);
    assert.match((unknown.json as { error: string }).error, /unknown target "prod"; known: sim/);
    for (const [body, words] of [
      [{}, /revision: required, a commit of 7 to 40 hex digits/],
      [{ revision: 'main' }, /revision: "main" is not a commit \(7 to 40 hex digits\)/],
      [{ revision: 123 }, /revision: 123 is not a commit/],
      [{ revision: 'c0ffee1', within: 'soon' }, /within: "soon" is not a duration/],
      [{ revision: 'c0ffee1', within: '3d' }, /within: "3d" must be from 1 second to 1 day/],
      [{ revision: 'c0ffee1', by: 'ci' }, /unknown field "by"/],
    ] as const) {
      const answer = await h.api('POST', '/api/targets/sim/expected-revision', { body });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match((answer.json as { error: string }).error, words);
    }
    // curl -d without a content type sends a form: named, not read as an empty body.
    const form = await fetch(`${h.daemon.url}/api/targets/sim/expected-revision`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' }, body: '{"revision":"c0ffee1"}' });
    assert.equal(form.status, 415);
    assert.match(((await form.json()) as { error: string }).error, /send the body as JSON, with Content-Type: application\/json \(got application\/x-www-form-urlencoded\)/);
    assert.equal((await h.api('GET', '/api/targets/sim/expected-revision')).status, 404, 'nothing was announced');
  });

  it('a deploy that takes effect: live once a run reads it (a short SHA matches the full one), in the metrics and on the status page', async () => {
    await admin('/deploy', { revision: 'c0ffee1234567890', switchAfterMs: 300 });
    const announced = await h.api('POST', '/api/targets/sim/expected-revision', { body: { revision: 'C0FFEE1', within: '30s' } });
    assert.equal(announced.status, 201, announced.text);
    assert.equal((announced.json as RevisionExpectation).revision, 'c0ffee1');
    // The runner's first run may still be loading on a busy machine: a minute for a run to read the new revision.
    for (let i = 0; i < 600 && (await expectation()).liveAt === undefined; i++) await sleep(100);
    const live = await expectation();
    assert.ok(live.liveAt !== undefined, JSON.stringify(live));
    assert.equal(live.observed, 'c0ffee1234567890');
    assert.deepEqual(await metric('synthetic_target_expected_revision_info{'), ['synthetic_target_expected_revision_info{target="sim",revision="c0ffee1"} 1']);
    assert.deepEqual(await metric('synthetic_target_expected_revision_live{'), ['synthetic_target_expected_revision_live{target="sim"} 1']);
    assert.match((await h.api('GET', '/', { token: null })).text, /<tr class="deploy-live"><td>sim<\/td><td><code>c0ffee1<\/code><\/td><td><code>c0ffee1234567890<\/code><\/td><td>live<\/td>/);
  });

  it('a deploy that never takes effect (deploy_stuck): not live past its window, the old revision observed, one expected series', async () => {
    await admin('/faults', { name: 'deploy_stuck' });
    await admin('/deploy', { revision: 'dead0000beef', switchAfterMs: 0 });
    const announced = await h.api('POST', '/api/targets/sim/expected-revision', { body: { revision: 'dead0000beef', within: '1s' } });
    assert.equal(announced.status, 201);
    await sleep(2500);
    const stuck = await expectation();
    assert.equal(stuck.liveAt, undefined);
    assert.equal(stuck.observed, 'c0ffee1234567890', 'the revision that ran before the deploy');
    assert.deepEqual(await metric('synthetic_target_expected_revision_info{'), ['synthetic_target_expected_revision_info{target="sim",revision="dead0000beef"} 1'], 'the last deploy only');
    assert.deepEqual(await metric('synthetic_target_expected_revision_live{'), ['synthetic_target_expected_revision_live{target="sim"} 0']);
    const [deadline] = await metric('synthetic_target_expected_revision_deadline_timestamp_seconds{');
    assert.ok(Number(deadline?.split(' ')[1]) < Date.now() / 1000, `${deadline ?? ''} is past`);
    assert.match((await h.api('GET', '/', { token: null })).text, /<tr class="deploy-not-effective"><td>sim<\/td><td><code>dead0000beef<\/code><\/td><td><code>c0ffee1234567890<\/code><\/td><td>not effective<\/td>/);
  });
});
