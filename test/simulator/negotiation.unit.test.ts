import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate, parseOffer, protocolForToken, tokenFromProtocol } from '../../src/simulator/ws-negotiation.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl';

describe('subprotocol negotiation (contract §4, the four rules)', () => {
  const cases: [string, string[], ReturnType<typeof negotiate>][] = [
    ['rule 1: a jwt.<token> offer is echoed byte for byte', [protocolForToken(JWT)], { kind: 'select', protocol: protocolForToken(JWT) }],
    ['rule 1: first token-bearing value wins over an earlier bare name', ['jwt-auth', `bearer.${JWT}`, `jwt.${JWT}`], { kind: 'select', protocol: `bearer.${JWT}` }],
    ['rule 1: jwt-auth. prefix', [`jwt-auth.${JWT}`], { kind: 'select', protocol: `jwt-auth.${JWT}` }],
    ['rule 2: first supported bare name', ['graphql-ws', 'e2e-testing', 'jwt'], { kind: 'select', protocol: 'e2e-testing' }],
    ['rule 3: offered values, none supported: refuse', ['graphql-ws', 'mqtt'], { kind: 'refuse', offered: ['graphql-ws', 'mqtt'] }],
    ['rule 4: nothing offered: accept with none', [], { kind: 'none' }],
  ];
  for (const [name, offered, expected] of cases) {
    it(name, () => {
      assert.deepEqual(negotiate(offered), expected);
    });
  }
});

describe('offer parsing', () => {
  it('splits and trims a comma-separated header, keeping order', () => {
    assert.deepEqual(parseOffer('jwt.abc, jwt-auth ,bearer'), { ok: true, protocols: ['jwt.abc', 'jwt-auth', 'bearer'] });
  });
  it('joins repeated headers', () => {
    assert.deepEqual(parseOffer(['a', 'b, c']), { ok: true, protocols: ['a', 'b', 'c'] });
  });
  it('treats an absent or empty header as no offer', () => {
    assert.deepEqual(parseOffer(undefined), { ok: true, protocols: [] });
    assert.deepEqual(parseOffer(''), { ok: true, protocols: [] });
  });
  it('rejects characters a subprotocol token may not hold, such as base64 padding', () => {
    // '=' is not an RFC 7230 tchar: the reason the app strips base64 padding.
    assert.deepEqual(parseOffer('jwt.abc=='), { ok: false, error: 'invalid subprotocol value "jwt.abc=="' });
    assert.deepEqual(parseOffer('a b'), { ok: false, error: 'invalid subprotocol value "a b"' });
    assert.deepEqual(parseOffer('jwt, jwt'), { ok: false, error: 'duplicate subprotocol value' });
  });
});

describe('token carried in a subprotocol', () => {
  it('decodes base64url without padding', () => {
    const protocol = protocolForToken(JWT);
    assert.ok(!protocol.includes('='));
    assert.equal(tokenFromProtocol(protocol), JWT);
  });
  it('takes a raw JWT after the prefix too', () => {
    assert.equal(tokenFromProtocol(`bearer.${JWT}`), JWT);
  });
  it('finds no token in a bare name or garbage', () => {
    assert.equal(tokenFromProtocol('jwt-auth'), undefined);
    assert.equal(tokenFromProtocol('jwt.'), undefined);
    assert.equal(tokenFromProtocol('jwt.bm90LWEtand0'), undefined);
  });
});
