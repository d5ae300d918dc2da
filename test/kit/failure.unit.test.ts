import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JourneyFailure, classify } from '../../src/kit/failure.js';

/** Every exception a journey did not classify itself maps to one reason, named by what the wire or the page showed. */
describe('classify', () => {
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });
  const cases: [string, unknown, string][] = [
    ['a locator that never showed', named('TimeoutError', 'locator.click: Timeout 4000ms exceeded.\nCall log: …'), 'ui'],
    ['a locator wait', named('TimeoutError', 'locator.waitFor: Timeout 3000ms exceeded.'), 'ui'],
    // A budget left of a step is not a whole number of ms: Playwright prints it as given.
    ['a locator wait with a fractional budget', named('TimeoutError', 'locator.click: Timeout 2977.718179000003ms exceeded.'), 'ui'],
    ['a navigation that never finished (an app server that accepts and never answers)', named('TimeoutError', 'page.goto: Timeout 4000ms exceeded.\nnavigating to "http://…/login"'), 'timeout'],
    ['a reload that never finished', named('TimeoutError', 'page.reload: Timeout 4000ms exceeded.'), 'timeout'],
    ["a call's own deadline (AbortSignal.timeout), never `ui`", named('TimeoutError', 'The operation was aborted due to timeout'), 'timeout'],
    ['a refused connection from the browser', new Error('page.goto: net::ERR_CONNECTION_REFUSED at http://…'), 'network'],
    ['a name that does not resolve', new Error('page.goto: net::ERR_NAME_NOT_RESOLVED at http://…'), 'network'],
    ['a connection the target never answered (the browser gave up)', new Error('page.goto: net::ERR_CONNECTION_TIMED_OUT at http://…'), 'timeout'],
    ['a request the target never answered (the browser gave up)', new Error('page.goto: net::ERR_TIMED_OUT at http://…'), 'timeout'],
    // An author's assertions (Playwright's expect), with the colours Playwright puts in even with FORCE_COLOR=0.
    ['a web-first assertion on a locator', new Error('\u001b[2mexpect(\u001b[22m\u001b[31mlocator\u001b[39m\u001b[2m).\u001b[22mtoHaveText\u001b[2m(\u001b[22m\u001b[32mexpected\u001b[39m\u001b[2m)\u001b[22m failed\n\nLocator: locator(\'div\')\nExpected pattern: /bye/'), 'ui'],
    ['an assertion on the page', new Error('expect(page).toHaveURL(expected) failed\n\nExpected: "http://…/chat"'), 'ui'],
    ['an assertion on a value (a response the target gave)', new Error('expect(received).toBe(expected) // Object.is equality\n\nExpected: 2\nReceived: 1'), 'response_mismatch'],
    ['an assertion with the author\'s own message, on a locator', new Error('the badge shows 3\n\nexpect(locator).toHaveText(expected) failed\n\nLocator: locator(\'div\')'), 'ui'],
    ['an assertion with the author\'s own message, on a value', Object.assign(new Error('the cart holds 3\n\nexpect(received).toBe(expected) // Object.is equality\n\nExpected: 3\nReceived: 1'), { matcherResult: { pass: false } }), 'response_mismatch'],
    ['a negated assertion on a locator', new Error('expect(locator).not.toBeVisible() failed\n\nLocator:  locator(\'div\')'), 'ui'],
    ['a negated assertion on a value', new Error('expect(received).not.toBe(expected) // Object.is equality\n\nExpected: not 0'), 'response_mismatch'],
    ["Node's fetch to a refused port (the code on the cause's first error)", new TypeError('fetch failed', { cause: Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })]), { code: undefined }) }), 'network'],
    ["Node's fetch to a name that does not resolve", new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND no-such-host.invalid'), { code: 'ENOTFOUND' }) }), 'network'],
    ["Node's fetch whose connection timed out", new TypeError('fetch failed', { cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) }), 'timeout'],
    ["Playwright's request fixture to a refused port", new Error('apiRequestContext.get: connect ECONNREFUSED 127.0.0.1:1\nCall log: …'), 'network'],
    ["Playwright's request fixture that got no answer in time", named('TimeoutError', 'apiRequestContext.get: Timeout 3000ms exceeded.'), 'timeout'],
    ['a browser that went away', new Error('page.click: Target page, context or browser has been closed'), 'monitor_error'],
    ['a bug in the journey', new TypeError("Cannot read properties of undefined (reading 'x')"), 'monitor_error'],
    ['something thrown that is not an Error', 'a string', 'monitor_error'],
  ];
  for (const [what, error, reason] of cases) {
    it(`${what}: ${reason}`, () => {
      assert.equal(classify(error).reason, reason);
    });
  }

  it("an assertion's message keeps what was expected and what came, without the colours", () => {
    const failure = classify(new Error('\u001b[2mexpect(\u001b[22m\u001b[31mlocator\u001b[39m\u001b[2m).\u001b[22mtoHaveCount\u001b[2m(\u001b[22m\u001b[32mexpected\u001b[39m\u001b[2m)\u001b[22m failed\n\nLocator:  locator(\'div\')\nExpected: \u001b[32m2\u001b[39m\nReceived: \u001b[31m1\u001b[39m\nTimeout: 300ms\n\nCall log: …'));
    assert.equal(failure.reason, 'ui');
    assert.equal(failure.detail, "expect(locator).toHaveCount(expected) failed; Locator:  locator('div'); Expected: 2; Received: 1; Timeout: 300ms");
  });

  it("an assertion with the author's own message keeps it first", () => {
    const failure = classify(new Error('the cart holds 3\n\nexpect(received).toBe(expected) // Object.is equality\n\nExpected: 3\nReceived: 1'));
    assert.equal(failure.detail, 'the cart holds 3; expect(received).toBe(expected); Expected: 3; Received: 1');
  });

  it('a monitor error keeps its cause', () => {
    const failure = classify(new TypeError('x is not a function'));
    assert.equal(failure.detail, 'TypeError: x is not a function');
    assert.equal(failure.evidence.cause, 'x is not a function');
  });

  it("a journey's fail() with a reason outside the bounded set is the monitor's error, naming the reason given", () => {
    const failure = classify(new JourneyFailure('cart_empty' as never, 'the cart shows 0 items', { items: 0 }));
    assert.equal(failure.reason, 'monitor_error');
    assert.match(failure.detail, /^the journey failed its step with reason "cart_empty", which is not one of gpmon's reasons \(auth_rejected, .*, monitor_error\): the cart shows 0 items$/);
    assert.deepEqual(failure.evidence, { items: 0, givenReason: 'cart_empty' });
  });

  it('a failure the journey classified passes through unchanged', () => {
    const failure = new JourneyFailure('ws_closed', 'server closed 1011');
    assert.equal(classify(failure), failure);
  });
});
