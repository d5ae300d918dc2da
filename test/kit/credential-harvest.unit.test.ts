import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harvestCredentials, headerCredentials, isCredentialKey } from '../../src/secrets/credential-harvest.js';
import { REDACTED, Redactor } from '../../src/secrets/redactor.js';

/** Credentials with no shape of their own are found by where they stand, then replaced wherever else they appear. */
describe('credential harvest', () => {
  const refresh = 'rt_Qx81mZpL0aVb7cNw3e'; // opaque: no JWT shape
  const cookie = 's3ss10n-c00kie-value';

  it('takes header values from HAR pairs (a trace network log), case-insensitively', () => {
    const har = JSON.stringify({
      request: { headers: [{ name: 'Authorization', value: `Bearer ${refresh}` }, { name: 'cookie', value: `a=1; gp_session=${cookie}` }, { name: 'Accept', value: 'application/json-long' }] },
      response: { headers: [{ name: 'Set-Cookie', value: `gp_session=${cookie}; Path=/; HttpOnly` }] },
    });
    const found = harvestCredentials(har);
    assert.ok(found.includes(refresh), 'bearer token');
    assert.ok(found.includes(cookie), 'cookie value');
    assert.ok(!found.includes('application/json-long'), 'an ordinary header is not a credential');
  });

  it('takes token, password, secret and session fields of JSON, also escaped inside a string', () => {
    const body = JSON.stringify({ access_token: 'at-0123456789', refresh_token: refresh, token_type: 'bearer', user: { email: 'a@b.example' } });
    const nested = JSON.stringify({ text: body });
    for (const text of [body, nested]) {
      const found = harvestCredentials(text);
      assert.ok(found.includes(refresh), text);
      assert.ok(found.includes('at-0123456789'), text);
      assert.ok(!found.includes('a@b.example'), 'an email is not a credential');
    }
    for (const key of ['access_token', 'refreshToken', 'client_secret', 'password', 'apiKey', 'X-Auth-Token', 'sessionId']) assert.ok(isCredentialKey(key), key);
    for (const key of ['token_type', 'email', 'expires_in', 'type']) assert.equal(isCredentialKey(key) && key !== 'token_type', false, key);
  });

  it('takes header lines and query tokens', () => {
    const found = harvestCredentials(`GET /x?refresh_token=${refresh}&a=b\nCookie: gp_session=${cookie}\nX-E2E-Bypass-Key: bypass-key-123456\n`);
    for (const value of [refresh, cookie, 'bypass-key-123456']) assert.ok(found.includes(value), value);
  });

  it('takes the token of a subprotocol offer, encoded and decoded', () => {
    const token = 'opaque.token.value-123';
    const offered = `jwt.${Buffer.from(token).toString('base64url')}, chat.v1`;
    assert.deepEqual(headerCredentials('Sec-WebSocket-Protocol', offered).sort(), [Buffer.from(token).toString('base64url'), token].sort());
  });

  it('short values are never taken (true, Bearer, an id)', () => {
    assert.deepEqual(harvestCredentials('{"token":"abc","session":"true"}'), []);
  });

  it('a redactor that learned from one artifact replaces the value in another (localStorage, a DOM snapshot)', () => {
    const redactor = new Redactor();
    redactor.learn(JSON.stringify({ name: 'set-cookie', value: `gp_session=${cookie}; HttpOnly` }));
    redactor.learn(`{"refresh_token":"${refresh}"}`);
    const snapshot = `localStorage: {"k":"${refresh}"} <input value="${cookie}">`;
    const out = redactor.text(snapshot);
    assert.ok(!out.includes(refresh) && !out.includes(cookie), out);
    assert.ok(out.includes(REDACTED));
  });
});
