import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { safeNext, sameSecret, sessionSecret } from '../../src/http/session.js';

/** The pieces of the console's sign-in that decide alone: where it sends back to, and the cookie secret. */

describe('console sign-in', () => {
  it('sends back only to a path on this server (no open redirect)', () => {
    for (const local of ['/', '/runs', '/journeys/golden-path?x=1#top', '/runs/abc/live']) assert.equal(safeNext(local), local);
    for (const foreign of ['//evil.example', '//evil.example/runs', '/\\evil.example', '\\\\evil.example', 'http://evil.example', 'https:evil.example', 'javascript:alert(1)', 'runs', '', '/ok\r\nSet-Cookie: x=1', `/${'a'.repeat(600)}`, undefined, 42, ['/runs']]) {
      assert.equal(safeNext(foreign), '/', JSON.stringify(foreign));
    }
  });

  it('derives the session secret from the token: another token, another secret; never the token itself', () => {
    const a = sessionSecret('token-one-0123456789');
    assert.equal(a, sessionSecret('token-one-0123456789'));
    assert.notEqual(a, sessionSecret('token-two-0123456789'));
    assert.doesNotMatch(a, /token-one/);
    assert.ok(Buffer.from(a, 'base64url').length === 32);
  });

  it('compares tokens whatever their lengths', () => {
    assert.equal(sameSecret('abc', 'abc'), true);
    assert.equal(sameSecret('abc', 'abd'), false);
    assert.equal(sameSecret('', 'abc'), false);
    assert.equal(sameSecret('abc'.repeat(100), 'abc'), false);
  });
});
