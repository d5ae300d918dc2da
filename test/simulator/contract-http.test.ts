import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { admin, getJson, login, postJson, type Tokens } from '../helpers/sim-client.js';

describe('auth service (contract §2)', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ latency: { login: 0 } });
  });
  after(async () => {
    await sim.stop();
  });

  it('POST /auth/login answers the token pair and user for the right credentials', async () => {
    const tokens = await login(sim.description);
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(typeof tokens.refresh_token, 'string');
    assert.equal(tokens.user.email, sim.description.email);
    assert.equal(typeof tokens.expires_in, 'number');
  });

  it('issues an HS256 access JWT with the contract claims; exp (not expires_in) tells the lifetime', async () => {
    const tokens = await login(sim.description);
    assert.equal(decodeProtectedHeader(tokens.access_token).alg, 'HS256');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.sub, tokens.user.id);
    assert.equal(claims.email, sim.description.email);
    assert.equal(claims.iss, 'netra-auth-service');
    assert.equal(claims.aud, 'netra-platform');
    assert.equal(claims.type, 'access');
    assert.equal(typeof claims.jti, 'string');
    assert.ok(typeof claims.iat === 'number' && typeof claims.exp === 'number');
    assert.notEqual(claims.exp - claims.iat, tokens.expires_in, 'expires_in is a constant that disagrees with exp');
  });

  const rejected: [string, unknown, number, unknown][] = [
    ['a wrong password', { email: 'monitor@gpmon.test', password: 'wrong' }, 401, { detail: 'Invalid credentials' }],
    ['an unknown email', { email: 'someone@else.test', password: 'x' }, 401, { detail: 'Invalid credentials' }],
    ['a missing password', { email: 'monitor@gpmon.test' }, 422, { detail: [{ loc: ['body', 'password'], msg: 'Field required', type: 'missing' }] }],
    ['an empty body', {}, 422, undefined],
  ];
  for (const [name, body, status, expected] of rejected) {
    it(`POST /auth/login refuses ${name} with ${status}`, async () => {
      const answer = await postJson(`${sim.description.auth}/auth/login`, body);
      assert.equal(answer.status, status);
      if (expected !== undefined) assert.deepEqual(answer.json, expected);
    });
  }

  it('POST /auth/login answers malformed JSON with 400 and a message', async () => {
    const answer = await postJson(`${sim.description.auth}/auth/login`, '{"email":');
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.json, { detail: 'Request body is not valid JSON' });
  });

  it('POST /auth/e2e/test-auth logs in with the bypass key; user.id is e2e-<local part>', async () => {
    const answer = await postJson(
      `${sim.description.auth}/auth/e2e/test-auth`,
      { email: 'synthetic.probe@gpmon.test', name: 'Probe', permissions: ['read'] },
      { 'X-E2E-Bypass-Key': sim.description.bypassKey },
    );
    assert.equal(answer.status, 200);
    const tokens = answer.json as Tokens;
    assert.equal(tokens.user.id, 'e2e-synthetic.probe');
    assert.equal(decodeJwt(tokens.access_token).sub, 'e2e-synthetic.probe');
    const noBody = await postJson(`${sim.description.auth}/auth/e2e/test-auth`, '', { 'X-E2E-Bypass-Key': sim.description.bypassKey });
    assert.equal(noBody.status, 200, 'the JSON body is optional');
  });

  it('POST /auth/e2e/test-auth refuses a missing or wrong key with the contract messages', async () => {
    const url = `${sim.description.auth}/auth/e2e/test-auth`;
    assert.deepEqual(await postJson(url, {}).then((a) => [a.status, a.json]), [401, { detail: 'E2E bypass key required' }]);
    assert.deepEqual(
      await postJson(url, {}, { 'X-E2E-Bypass-Key': 'not-the-key' }).then((a) => [a.status, a.json]),
      [401, { detail: 'Invalid E2E bypass key' }],
    );
  });

  it('POST /auth/refresh answers a new access token beside the same refresh token (the platform\'s way); a bad one is 401, none 422', async () => {
    const tokens = await login(sim.description);
    const url = `${sim.description.auth}/auth/refresh`;
    const fresh = await postJson(url, { refresh_token: tokens.refresh_token });
    assert.equal(fresh.status, 200);
    const pair = fresh.json as Tokens;
    assert.notEqual(pair.access_token, tokens.access_token);
    assert.equal(pair.refresh_token, tokens.refresh_token, 'no rotation: the platform hands the same refresh token back');
    // Built by the refresh path: an empty permission list, where a login's has some.
    const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { permissions: string[] };
    assert.deepEqual(claims(pair.access_token).permissions, []);
    assert.ok(claims(tokens.access_token).permissions.length > 0);
    // The same token again works; the names the platform also reads (refreshToken, token) work too.
    assert.equal((await postJson(url, { refresh_token: tokens.refresh_token })).status, 200);
    assert.equal((await postJson(url, { refreshToken: tokens.refresh_token })).status, 200);
    assert.equal((await postJson(url, { token: tokens.refresh_token })).status, 200);
    assert.equal((await postJson(url, { refresh_token: 'garbage' })).status, 401);
    assert.equal((await postJson(url, {})).status, 422);
  });

  it('with rotation on (admin settings), a refresh hands out a new refresh token and the used one is 401 from then on', async () => {
    assert.equal((await admin(sim.description, 'PATCH', '/settings', { rotateRefreshTokens: true })).status, 200);
    try {
      const tokens = await login(sim.description);
      const url = `${sim.description.auth}/auth/refresh`;
      const fresh = await postJson(url, { refresh_token: tokens.refresh_token });
      assert.equal(fresh.status, 200);
      assert.notEqual((fresh.json as Tokens).refresh_token, tokens.refresh_token);
      assert.equal((await postJson(url, { refresh_token: tokens.refresh_token })).status, 401);
      assert.equal((await postJson(url, { refresh_token: (fresh.json as Tokens).refresh_token })).status, 200);
    } finally {
      await admin(sim.description, 'PATCH', '/settings', { rotateRefreshTokens: false });
    }
    const bad = await admin(sim.description, 'PATCH', '/settings', { rotateRefreshTokens: 'yes', other: 1 });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /unknown setting \\"other\\"; known: loginForm, rotateRefreshTokens.*rotateRefreshTokens must be true or false/);
  });

  it('GET /auth/me answers the user for a valid bearer token and 401 otherwise', async () => {
    const tokens = await login(sim.description);
    const me = await getJson(`${sim.description.auth}/auth/me`, { authorization: `Bearer ${tokens.access_token}` });
    assert.deepEqual(me, { status: 200, json: { user_id: tokens.user.id, email: tokens.user.email } });
    assert.equal((await getJson(`${sim.description.auth}/auth/me`)).status, 401);
    assert.equal((await getJson(`${sim.description.auth}/auth/me`, { authorization: 'Bearer x.y.z' })).status, 401);
    const forged = tokens.access_token.slice(0, -4) + 'AAAA';
    assert.equal((await getJson(`${sim.description.auth}/auth/me`, { authorization: `Bearer ${forged}` })).status, 401);
  });

  it('GET /auth/config and GET /health answer their shapes', async () => {
    const config = await getJson(`${sim.description.auth}/auth/config`);
    assert.equal(config.status, 200);
    assert.equal((config.json as { development_mode: boolean }).development_mode, true);
    assert.equal((config.json as { oauth_enabled: boolean }).oauth_enabled, true);
    const health = await getJson(`${sim.description.auth}/health`);
    assert.equal(health.status, 200);
    assert.equal((health.json as { status: string }).status, 'healthy');
    assert.equal((health.json as { database_status: string }).database_status, 'connected');
  });

  it('answers CORS for the app origin only, preflight included', async () => {
    const app = sim.description.app;
    const preflight = await fetch(`${sim.description.auth}/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: app, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), app);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Content-Type/i);
    const other = await fetch(`${sim.description.auth}/health`, { headers: { origin: 'http://evil.invalid' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('unknown routes are a JSON 404', async () => {
    assert.equal((await getJson(`${sim.description.auth}/auth/nope`)).status, 404);
  });
});

describe('backend HTTP (contract §3)', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ revision: 'abcdef1234567' });
  });
  after(async () => {
    await sim.stop();
  });

  it('GET /health is up', async () => {
    const health = await getJson(`${sim.description.api}/health`);
    assert.equal(health.status, 200);
    assert.ok(['ok', 'healthy', 'degraded'].includes((health.json as { status: string }).status));
  });

  it('GET /api/health lists the checks', async () => {
    const { status, json } = await getJson(`${sim.description.api}/api/health`);
    assert.equal(status, 200);
    const checks = (json as { checks: Record<string, { status: string; latency_ms: number }> }).checks;
    assert.deepEqual(Object.keys(checks).sort(), ['clickhouse', 'postgres', 'redis']);
    for (const check of Object.values(checks)) assert.equal(typeof check.latency_ms, 'number');
  });

  it('GET /api/system/info says what is deployed', async () => {
    const { json } = await getJson(`${sim.description.api}/api/system/info`);
    const info = json as Record<string, string>;
    assert.equal(info.git_commit, 'abcdef1234567');
    assert.equal(info.environment, 'staging');
    assert.equal(typeof info.version, 'string');
    assert.ok(!Number.isNaN(Date.parse(info.build_time ?? '')));
  });

  it('GET /api/mcp/servers lists agents', async () => {
    const { json } = await getJson(`${sim.description.api}/api/mcp/servers`);
    const servers = (json as { data: { name: string; status: string; version: string }[] }).data;
    assert.ok(servers.length > 0);
    for (const server of servers) assert.deepEqual(Object.keys(server).sort(), ['name', 'status', 'version']);
  });

  it('answers CORS for the app origin', async () => {
    const response = await fetch(`${sim.description.api}/api/system/info`, { headers: { origin: sim.description.app } });
    assert.equal(response.headers.get('access-control-allow-origin'), sim.description.app);
  });
});
