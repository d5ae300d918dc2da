import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JourneyRun, type StepHost } from '../../src/kit/journey-run.js';
import { JourneyFailure } from '../../src/kit/failure.js';
import { withDefaults } from '../../src/model/target.js';
import { KIT_ATTACHMENT } from '../../src/protocol/child.js';

/** Steps run in this process, their attachments kept by name. */
class Steps implements StepHost {
  readonly attached: { step: string; name: string; body: string }[] = [];
  /** expect.soft's failures, as Playwright keeps them on the test. */
  readonly soft: { message?: string }[] = [];
  softFailures(): readonly { message?: string }[] {
    return this.soft;
  }
  async step(name: string, body: (attach: (n: string, o: { body: string }) => Promise<void>) => Promise<void>): Promise<void> {
    await body((attachment, { body: content }) => {
      this.attached.push({ step: name, name: attachment, body: content });
      return Promise.resolve();
    });
  }
}

describe('JourneyRun: a journey runs only the steps its file declares', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpmon-journey-run-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const target = withDefaults({ name: 't', appUrl: 'http://127.0.0.1:1', authUrl: 'http://127.0.0.1:1', apiUrl: 'http://127.0.0.1:1', wsUrl: 'ws://127.0.0.1:1', login: 'bypass', email: 'a@b.test' });
  const fresh = (steps: Steps) => new JourneyRun('run-1', target, {}, { prompt: 'p', expectedAnswer: 'a' }, 1000, join(dir, String(Math.random())), false, steps);

  it('a declared step runs; one the file did not declare fails as the monitor\'s error, naming both, and its body never runs', async () => {
    const steps = new Steps();
    const run = fresh(steps);
    run.declareSteps(['open_cart', 'pay'], 'journeys/my-checkout.spec.ts');
    let ran = false;
    await run.step('open_cart', () => {
      ran = true;
    });
    assert.equal(ran, true);
    let bodyRan = false;
    await assert.rejects(
      run.step('checkout', () => {
        bodyRan = true;
      }),
      (error: unknown) => error instanceof JourneyFailure && error.reason === 'monitor_error' && error.detail === 'step "checkout" is not one of the steps journeys/my-checkout.spec.ts declares (open_cart, pay)',
    );
    assert.equal(bodyRan, false);
    const failure = steps.attached.find((entry) => entry.step === 'checkout' && entry.name === KIT_ATTACHMENT.failure);
    assert.deepEqual(JSON.parse(failure?.body ?? '{}'), {
      reason: 'monitor_error',
      message: 'step "checkout" is not one of the steps journeys/my-checkout.spec.ts declares (open_cart, pay)',
      evidence: { step: 'checkout', declared: ['open_cart', 'pay'] },
    });
  });

  it('with no declaration (a journey run in-process by the tests), any step runs', async () => {
    const run = fresh(new Steps());
    await run.step('anything', () => undefined);
  });

  it('a step that waits on something with no timeout of its own ends as timeout at its step timeout and grace, never at the deadline', async () => {
    const steps = new Steps();
    const run = fresh(steps);
    const started = Date.now();
    await assert.rejects(
      run.step('hangs', () => new Promise<void>(() => undefined)),
      (error: unknown) => error instanceof JourneyFailure && error.reason === 'timeout' && error.detail.startsWith('step "hangs" did not finish within its step timeout of 1000 ms (ended at 3000 ms)'),
    );
    const took = Date.now() - started;
    assert.ok(took >= 2900 && took < 4500, `ended after ${took} ms`);
  });

  it('a soft assertion (expect.soft) that fails in a step fails that step, classified as any assertion', async () => {
    const steps = new Steps();
    const run = fresh(steps);
    steps.soft.push({ message: 'an earlier step\'s' });
    await run.step('one', () => undefined);
    await assert.rejects(
      run.step('two', () => {
        steps.soft.push({ message: '\u001b[2mexpect(\u001b[22mreceived\u001b[2m).\u001b[22mtoBe(expected)\n\nExpected: 2\nReceived: 1' });
      }),
      (error: unknown) => error instanceof JourneyFailure && error.reason === 'response_mismatch' && error.detail === 'expect(received).toBe(expected); Expected: 2; Received: 1',
    );
  });

  it('declared steps run once each, in the declared order: a second run of one, or one out of order, is the monitor\'s error naming the file', async () => {
    const run = fresh(new Steps());
    run.declareSteps(['open_cart', 'pay', 'receipt'], 'journeys/my-checkout.spec.ts');
    await run.step('pay', () => undefined);
    await assert.rejects(run.step('pay', () => undefined), (error: unknown) => error instanceof JourneyFailure && error.reason === 'monitor_error' && error.detail === 'step "pay" runs a second time; journeys/my-checkout.spec.ts declares each step once, in order (open_cart, pay, receipt)');
    await assert.rejects(run.step('open_cart', () => undefined), (error: unknown) => error instanceof JourneyFailure && error.detail === 'step "open_cart" runs after "pay", but journeys/my-checkout.spec.ts declares it before (open_cart, pay, receipt)');
    await run.step('receipt', () => undefined);
  });
});
