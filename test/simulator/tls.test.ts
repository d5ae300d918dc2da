import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { startSimulator, simulatorTarget, type Simulator } from '../../src/simulator/simulator.js';
import { callJson } from '../../src/kit/http.js';
import { readCertificate, type CertificateReading } from '../../src/kit/tls.js';
import { ProtocolSocket, handshakeFailure } from '../../src/kit/ws-client.js';
import { Transcript } from '../../src/kit/transcript.js';
import { JourneyFailure } from '../../src/kit/failure.js';
import { targetFromEnv } from '../../src/model/target.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { loadConfig } from '../../src/config/load.js';
import { simulatorCommand } from '../../src/cli/simulator-command.js';
import { useInProcess } from '../helpers/in-process-run.js';
import { describeRecord } from '../helpers/journey-harness.js';

const DAY_MS = 24 * 60 * 60 * 1000;

async function failureOf(promise: Promise<unknown>): Promise<JourneyFailure> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(outcome instanceof JourneyFailure, `expected a JourneyFailure, got ${String(outcome)}`);
  return outcome;
}

function certificate(reading: CertificateReading): Extract<CertificateReading, { ok: true }> {
  assert.ok(reading.ok, `no certificate: ${reading.ok ? '' : reading.error}`);
  return reading;
}

/** The admin API, over https, trusting the simulator's CA. */
async function admin(sim: Simulator, method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<number> {
  const d = sim.description;
  const answer = await callJson(`${d.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${d.adminToken}` }, body, timeoutMs: 5000, caFile: d.caFile });
  return answer.status;
}

describe('the simulator over TLS', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ tls: true });
  });
  after(async () => {
    await sim.stop();
  });

  it('hands out https and wss origins and an absolute CA file', () => {
    const d = sim.description;
    for (const origin of [d.app, d.auth, d.api, d.adminUrl]) assert.match(origin, /^https:\/\/127\.0\.0\.1:\d+/);
    assert.match(d.ws, /^wss:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(d.caFile !== undefined && isAbsolute(d.caFile), `caFile ${String(d.caFile)}`);
    assert.match(readFileSync(d.caFile, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    assert.equal(simulatorTarget(d).caFile, d.caFile);
  });

  it('answers https on all three origins to a client that trusts its CA', async () => {
    const d = sim.description;
    const app = await callJson(`${d.app}/login`, { timeoutMs: 5000, caFile: d.caFile });
    assert.equal(app.status, 200);
    assert.match(String(app.body), /<html|<!doctype/i);
    const auth = await callJson(`${d.auth}/health`, { timeoutMs: 5000, caFile: d.caFile });
    assert.deepEqual([auth.status, (auth.body as { status?: unknown }).status], [200, 'healthy']);
    const api = await callJson(`${d.api}/api/system/info`, { timeoutMs: 5000, caFile: d.caFile });
    assert.equal(api.status, 200);
  });

  it('is refused as not trusted, naming the origin, by a client without its CA: callJson and the ws client', async () => {
    const d = sim.description;
    const failure = await failureOf(callJson(`${d.api}/health`, { timeoutMs: 5000 }));
    assert.equal(failure.reason, 'network');
    assert.equal(failure.detail, `the TLS certificate of ${d.api} is not trusted (self-signed certificate in certificate chain); set the target's caFile (GPMON_CA_FILE for the environment's target) to trust a private CA`);
    assert.equal(failure.evidence.tlsError, 'SELF_SIGNED_CERT_IN_CHAIN');

    const outcome = await ProtocolSocket.open({ url: `${d.ws}/ws`, protocols: ['jwt.x'], timeoutMs: 5000, clock: () => performance.now(), transcript: new Transcript() });
    if (outcome.kind !== 'error') return assert.fail(`expected a failed handshake, got ${outcome.kind}`);
    const wsFailure = handshakeFailure(outcome, ['jwt.x']);
    assert.equal(wsFailure.reason, 'network');
    assert.match(wsFailure.detail, new RegExp(`^the TLS certificate of ${d.ws.replace(/[.]/g, '\\.')} is not trusted \\(self-signed certificate in certificate chain\\); set the target's caFile`));
  });

  it('reads its certificate: about 90 days normally, N days under cert_expiring:days=N, and back after DELETE', async () => {
    const d = sim.description;
    const normal = certificate(await readCertificate(d.api, { caFile: d.caFile, timeoutMs: 5000 }));
    assert.equal(normal.trusted, true);
    assert.equal(normal.authorizationError, undefined);
    assert.ok(Math.abs(normal.daysLeft - 90) < 0.01, `daysLeft ${normal.daysLeft}`);
    assert.ok(Math.abs(normal.notAfter.getTime() - (Date.now() + 90 * DAY_MS)) < 60_000);
    assert.ok(normal.notBefore.getTime() < Date.now());
    assert.match(normal.subject, /CN=127\.0\.0\.1/);
    assert.match(normal.issuer, /CN=gpmon simulator CA/);

    // Read without the CA: the same dates, not trusted, and why.
    const untrusted = certificate(await readCertificate(`${d.ws}/ws`, { timeoutMs: 5000 }));
    assert.deepEqual([untrusted.trusted, untrusted.authorizationError, untrusted.notAfter.getTime()], [false, 'SELF_SIGNED_CERT_IN_CHAIN', normal.notAfter.getTime()]);

    assert.equal(await admin(sim, 'POST', '/faults', { name: 'cert_expiring', days: 3 }), 200);
    for (const origin of [d.app, d.auth, d.api]) {
      const expiring = certificate(await readCertificate(origin, { caFile: d.caFile, timeoutMs: 5000 }));
      assert.ok(Math.abs(expiring.daysLeft - 3) < 0.01, `${origin}: daysLeft ${expiring.daysLeft}`);
      assert.equal(expiring.trusted, true);
    }
    // Still a valid chain: the journeys' calls go on.
    assert.equal((await callJson(`${d.auth}/health`, { timeoutMs: 5000, caFile: d.caFile })).status, 200);

    assert.equal(await admin(sim, 'DELETE', '/faults/cert_expiring'), 200);
    const back = certificate(await readCertificate(d.api, { caFile: d.caFile, timeoutMs: 5000 }));
    assert.equal(back.notAfter.getTime(), normal.notAfter.getTime());
  });

  it('with cert_expiring:days=0 serves an expired certificate, which a client refuses as not trusted', async () => {
    // A simulator of its own: the pool of the calls above keeps its connections, made with the certificate of then.
    const expiredSim = await startSimulator({ tls: true, faults: [{ name: 'cert_expiring', days: 0 }] });
    try {
      const d = expiredSim.description;
      const expired = certificate(await readCertificate(d.auth, { caFile: d.caFile, timeoutMs: 5000 }));
      assert.deepEqual([expired.trusted, expired.authorizationError], [false, 'CERT_HAS_EXPIRED']);
      assert.ok(expired.daysLeft <= 0 && expired.daysLeft > -0.01, `daysLeft ${expired.daysLeft}`);
      const failure = await failureOf(callJson(`${d.auth}/health`, { timeoutMs: 5000, caFile: d.caFile }));
      assert.equal(failure.reason, 'network');
      assert.equal(failure.detail, `the TLS certificate of ${d.auth} is not valid (certificate has expired)`);
    } finally {
      await expiredSim.stop();
    }
  });

  it('readCertificate says, as data, when there is no handshake', async () => {
    const plain = await startSimulator();
    try {
      const notTls = await readCertificate(plain.description.api.replace(/^http:/, 'https:'), { timeoutMs: 5000 });
      assert.equal(notTls.ok, false);
      assert.deepEqual(await readCertificate(plain.description.api, { timeoutMs: 5000 }), { ok: false, error: `not an https or wss URL: ${plain.description.api}` });
    } finally {
      await plain.stop();
    }
    const closed = await readCertificate(sim.description.api.replace(/:\d+$/, ':1'), { timeoutMs: 5000 });
    assert.equal(closed.ok, false);
    if (!closed.ok) assert.match(closed.error, /ECONNREFUSED/);
  });
});

describe('a plain-http simulator', () => {
  it('lists cert_expiring and is otherwise unchanged; a TLS simulator removes its CA file at stop', async () => {
    const plain = await startSimulator({ faults: [{ name: 'cert_expiring', days: 5 }] });
    try {
      assert.match(plain.description.api, /^http:\/\//);
      assert.equal(plain.description.caFile, undefined);
      assert.deepEqual(plain.state.snapshot().faults, [{ name: 'cert_expiring', days: 5 }]);
      assert.equal((await callJson(`${plain.description.api}/health`, { timeoutMs: 5000 })).status, 200);
    } finally {
      await plain.stop();
    }
    const tls = await startSimulator({ tls: true, faults: [{ name: 'cert_expiring', days: 7 }] });
    const caFile = tls.description.caFile ?? '';
    const reading = certificate(await readCertificate(tls.description.app, { caFile, timeoutMs: 5000 }));
    assert.ok(Math.abs(reading.daysLeft - 7) < 0.01, 'a fault given at start applies from the first connection');
    await tls.stop();
    assert.equal(existsSync(caFile), false);
  });
});

describe('gpmon simulator --tls', () => {
  it('--json names the CA file, and the origins are https', async () => {
    const out: string[] = [];
    let stop: (signal: string) => void = () => undefined;
    const stopSignal = new Promise<string>((resolve) => (stop = resolve));
    const running = simulatorCommand(['--tls', '--json'], { out: (line) => out.push(line), err: () => undefined, env: {}, stopSignal });
    while (out.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const printed = JSON.parse(out[0] ?? '') as { api: string; ws: string; caFile: string };
    assert.match(printed.api, /^https:/);
    assert.match(printed.ws, /^wss:/);
    assert.ok(existsSync(printed.caFile));
    stop('SIGTERM');
    assert.equal(await running, 0);
    assert.equal(existsSync(printed.caFile), false);
  });
});

describe('the golden-path-api journey against a TLS target that trusts its CA', () => {
  const harness = useInProcess({ tls: true });

  it('passes over https and wss', async () => {
    const { target } = harness();
    assert.match(target.wsUrl, /^wss:/);
    assert.ok(target.caFile !== undefined);
    const record = await harness().run('golden-path-api');
    assert.equal(record.outcome, 'passed', describeRecord(record));
  });

  it('golden-path (the browser) passes over https and wss, Chromium trusting the target\'s CA by its key, and nothing else', async () => {
    const record = await harness().run('golden-path');
    assert.equal(record.outcome, 'passed', describeRecord(record));
  });

  it('platform-health passes, reading each origin\'s certificate once (the socket shares the api\'s): about 90 days, trusted', async () => {
    const record = await harness().run('platform-health');
    assert.equal(record.outcome, 'passed', describeRecord(record));
    const certs = record.marks.tlsCertificates ?? [];
    assert.deepEqual(certs.map((c) => c.origin), ['app', 'auth', 'api']);
    for (const cert of certs) {
      assert.ok(cert.trusted);
      assert.ok(cert.daysLeft > 89 && cert.daysLeft <= 90, `${cert.origin}: ${cert.daysLeft} days`);
    }
  });

  it('cert_expiring:days=5: platform-health still passes, and says 5 days (the alert rules warn ahead, not the journey)', async () => {
    await harness().sim.state.faultsApplied();
    harness().sim.state.enable({ name: 'cert_expiring', days: 5 });
    await harness().sim.state.faultsApplied();
    const record = await harness().run('platform-health');
    assert.equal(record.outcome, 'passed', describeRecord(record));
    for (const cert of record.marks.tlsCertificates ?? []) assert.ok(cert.daysLeft > 4.9 && cert.daysLeft <= 5, `${cert.origin}: ${cert.daysLeft} days`);
  });

  it('an expired certificate (cert_expiring:days=0) fails tls with network, and its expiry is still exported', async () => {
    harness().sim.state.enable({ name: 'cert_expiring', days: 0 });
    await harness().sim.state.faultsApplied();
    const record = await harness().run('platform-health');
    // tls comes first: the expired certificate is named there, and its expiry is still exported (the alert pages on it).
    assert.equal(record.failure?.step, 'tls', describeRecord(record));
    assert.equal(record.failure.reason, 'network');
    assert.match(record.failure.message, /the TLS certificate of the app origin https:\/\/127\.0\.0\.1:\d+ expired on /);
    assert.equal(record.marks.tlsCertificates?.length, 3, 'the expiry is exported all the same');
    for (const cert of record.marks.tlsCertificates ?? []) assert.ok(cert.daysLeft <= 0, `${cert.origin}: ${cert.daysLeft} days`);
    harness().sim.state.disable('cert_expiring');
    await harness().sim.state.faultsApplied();
  });

  it('a target without the CA: platform-health fails at tls with network, naming the origin and the untrusted chain, its expiry exported', async () => {
    const record = await harness().run('platform-health', { withoutCa: true });
    assert.equal(record.failure?.step, 'tls', describeRecord(record));
    assert.equal(record.failure.reason, 'network');
    assert.match(record.failure.message, /the TLS certificate of the app origin https:\/\/127\.0\.0\.1:\d+ is not trusted \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\); a private CA is trusted by the target's caFile/);
    assert.deepEqual(record.marks.tlsCertificates?.map((c) => [c.origin, c.trusted]), [['app', false], ['auth', false], ['api', false]]);
  });
});

describe("a target's caFile", () => {
  let dir: string;
  let caPem: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpmon-ca-config-'));
    const sim = await startSimulator({ tls: true });
    caPem = readFileSync(sim.description.caFile ?? '', 'utf8');
    await sim.stop();
    writeFileSync(join(dir, 'ca.pem'), caPem);
    writeFileSync(join(dir, 'not-a-cert.pem'), 'hello\n');
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const target = (caFile: string) => ({
    name: 'private',
    appUrl: 'https://app.example.test',
    authUrl: 'https://auth.example.test',
    apiUrl: 'https://api.example.test',
    wsUrl: 'wss://api.example.test',
    login: 'bypass',
    email: 'monitor@example.test',
    bypassKeyEnv: 'PRIVATE_KEY',
    caFile,
  });
  const env = { PRIVATE_KEY: 'k' };

  it('in a config file, is relative to the file\'s folder and resolved to an absolute path', async () => {
    writeFileSync(join(dir, 'monitor.config.mjs'), `export default ${JSON.stringify({ targets: [target('ca.pem')] })};\n`);
    const loaded = await loadConfig(join(dir, 'monitor.config.mjs'), env, tmpdir());
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.problems.join('\n'));
    const targets = loaded.config.targets;
    assert.ok(targets !== 'simulator');
    assert.equal(targets[0]?.target.caFile, join(dir, 'ca.pem'));
  });

  it('missing, a folder, or not PEM is a config problem naming the setting and the path', () => {
    const missing = join(dir, 'missing.pem');
    const cases: [string, string][] = [
      ['missing.pem', `targets.private.caFile: cannot read ${missing}: no such file`],
      ['.', `targets.private.caFile: cannot read ${dir}: a folder, not a file`],
      ['not-a-cert.pem', `targets.private.caFile: ${join(dir, 'not-a-cert.pem')} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`],
    ];
    for (const [given, problem] of cases) {
      const resolved = resolveConfig({ targets: [target(given)] }, env, [], dir);
      assert.deepEqual(resolved, { ok: false, problems: [problem] });
    }
  });

  it('GPMON_CA_FILE gives the environment target its CA file', () => {
    const base = { GPMON_APP_URL: 'https://a.test', GPMON_AUTH_URL: 'https://b.test', GPMON_API_URL: 'https://c.test', GPMON_WS_URL: 'wss://c.test', GPMON_EMAIL: 'x@y.test', GPMON_BYPASS_KEY: 'k' };
    const found = targetFromEnv({ ...base, GPMON_CA_FILE: join(dir, 'ca.pem') });
    assert.ok(found.ok);
    assert.equal(found.target.caFile, join(dir, 'ca.pem'));
    assert.deepEqual(targetFromEnv({ ...base, GPMON_CA_FILE: join(dir, 'missing.pem') }), { ok: false, problems: [`GPMON_CA_FILE: cannot read ${join(dir, 'missing.pem')}: no such file`] });
    const without = targetFromEnv(base);
    assert.ok(without.ok);
    assert.equal(without.target.caFile, undefined);
  });
});
