import { callJson, defineJourney, detailOf, fail, httpEvidence, readCertificate, readTargetInfo, type HttpAnswer, type JourneyRun } from 'golden-path-monitor/kit';

/**
 * What the platform's infrastructure checks look at (contract §3, §8
 * "health", "TLS"), every minute:
 * - `tls`, first, since every later call rides on it: each https/wss
 *   origin's certificate, read even when it is not trusted, its expiry
 *   exported (`synthetic_tls_cert_expiry_timestamp_seconds`: the alerts warn
 *   ahead, and page on an expired one); a chain the target does not trust,
 *   or an expired certificate, fails here, saying which; a target with no
 *   https origin passes it, and says so;
 * - `health`: auth's and the backend's `/health` are up (200 with ok, healthy
 *   or degraded); `degraded` is up, and flagged;
 * - `dependencies`: the dependency status and latency the backend reports
 *   (`/api/health` checks, `/api/health/database`), exported as gauges; a
 *   body without them is not a failure;
 * - `cors`: the preflights the web app's calls need, from the app's origin,
 *   answered by auth and api.
 */
export default defineJourney(
  {
    name: 'platform-health',
    kind: 'protocol',
    steps: ['tls', 'health', 'dependencies', 'cors'],
    schedule: '20 * * * * *',
    timeoutMs: 30_000,
    stepTimeoutMs: 5000,
    slo: { tls: 2000, health: 1000, dependencies: 2000, cors: 1000 },
    description: 'health endpoints, dependency latencies, TLS certificates and CORS preflights',
  },
  async ({ run }) => {
    const { target } = run;
    const call = (url: string, init: { method?: string; headers?: Record<string, string> } = {}) => callJson(url, { ...init, timeoutMs: run.stepTimeoutMs, caFile: target.caFile });
    // What is deployed, for the record and gpmon verify (never fails the run).
    await readTargetInfo(run);

    await run.step('tls', async (step) => {
      const started = run.clock();
      const origins = tlsOrigins(run);
      const readings = await Promise.all(origins.map(async ({ origin, url }) => ({ origin, url, reading: await readCertificate(url, { caFile: target.caFile, timeoutMs: run.stepTimeoutMs }) })));
      const certificates = readings.flatMap(({ origin, reading }) =>
        reading.ok ? [{ origin, notAfter: reading.notAfter.toISOString(), daysLeft: Math.round(reading.daysLeft * 100) / 100, trusted: reading.trusted, issuer: reading.issuer.split('\n')[0] ?? '' }] : [],
      );
      run.mark('tlsCertificates', certificates);
      if (origins.length === 0) run.mark('tls', 'no https or wss origin: nothing to check');
      step.measured(run.clock() - started);
      for (const { origin, url, reading } of readings) {
        const where = new URL(url).origin;
        if (!reading.ok) fail('network', `no TLS handshake with the ${origin} origin ${where}: ${reading.error}`, { origin, url: where });
        if (reading.daysLeft < 0) fail('network', `the TLS certificate of the ${origin} origin ${where} expired on ${reading.notAfter.toISOString()}`, { origin, url: where, notAfter: reading.notAfter.toISOString() });
        if (!reading.trusted) {
          fail('network', `the TLS certificate of the ${origin} origin ${where} is not trusted (${reading.authorizationError ?? 'unknown reason'}); a private CA is trusted by the target's caFile (GPMON_CA_FILE for the environment's target)`, { origin, url: where, error: reading.authorizationError ?? null, issuer: reading.issuer });
        }
      }
    });

    await run.step('health', async (step) => {
      const [auth, api] = await Promise.all([call(`${target.authUrl}/health`), call(`${target.apiUrl}/health`)]);
      const services = [serviceHealth('auth', '/health', auth), serviceHealth('api', '/health', api)];
      run.mark('services', services.map(({ service, status }) => ({ service, status })));
      const down = services.find((s) => !s.up);
      if (down !== undefined) fail(down.service === 'auth' ? 'auth_unavailable' : 'http_error', down.message, down.evidence);
      step.measured(Math.max(auth.elapsedMs, api.elapsedMs));
    });

    await run.step('dependencies', async (step) => {
      const [health, database] = await Promise.all([call(`${target.apiUrl}/api/health`), call(`${target.apiUrl}/api/health/database`)]);
      if (health.status >= 500 && statusOf(health.body) !== 'degraded') {
        fail('http_error', `/api/health answered ${health.status} (${statusOf(health.body) ?? detailOf(health.body)}): the backend reports a dependency down`, httpEvidence('/api/health', health));
      }
      const reported = dependenciesFrom(health.status === 200 ? health.body : undefined, database.status === 200 ? database.body : undefined);
      run.mark('dependencies', reported);
      const failed = reported.filter((d) => DOWN.has(d.status));
      if (failed.length > 0) {
        fail('http_error', `the backend reports ${failed.map((d) => `${d.name} ${d.status}`).join(', ')}`, { path: '/api/health', failed: failed.map((d) => d.name) });
      }
      step.measured(Math.max(health.elapsedMs, database.elapsedMs));
    });

    await run.step('cors', async (step) => {
      const origin = new URL(target.appUrl).origin;
      const preflights = [
        { service: 'auth', url: `${target.authUrl}/auth/login`, method: 'POST', headers: 'content-type', credentials: true },
        { service: 'api', url: `${target.apiUrl}/api/health`, method: 'GET', headers: 'authorization', credentials: false },
      ] as const;
      const answers = await Promise.all(
        preflights.map(async (p) => ({ p, answer: await call(p.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': p.method, 'access-control-request-headers': p.headers } }) })),
      );
      for (const { p, answer } of answers) {
        const problem = preflightProblem(answer, origin, p.method, p.headers, p.credentials);
        if (problem !== undefined) {
          const path = new URL(p.url).pathname;
          fail('http_error', `the CORS preflight of ${p.service} ${path} from the app's origin ${origin} ${problem}: the web app's ${p.method} is blocked`, {
            path,
            status: answer.status,
            allowOrigin: answer.headers.get('access-control-allow-origin'),
            allowMethods: answer.headers.get('access-control-allow-methods'),
            allowHeaders: answer.headers.get('access-control-allow-headers'),
          });
        }
      }
      step.measured(Math.max(...answers.map(({ answer }) => answer.elapsedMs)));
    });
  },
);

const UP = new Set(['ok', 'healthy', 'degraded']);
const DOWN = new Set(['unhealthy', 'failed', 'down', 'error']);

function statusOf(body: unknown): string | undefined {
  return typeof body === 'object' && body !== null && typeof (body as { status?: unknown }).status === 'string' ? (body as { status: string }).status.toLowerCase() : undefined;
}

/** A service's /health: up is 200 with ok, healthy or degraded (contract §3). */
function serviceHealth(service: 'auth' | 'api', path: string, answer: HttpAnswer): { service: 'auth' | 'api'; status: string; up: boolean; message: string; evidence: ReturnType<typeof httpEvidence> } {
  const status = statusOf(answer.body) ?? `http ${answer.status}`;
  const up = answer.status === 200 && UP.has(status);
  return { service, status, up, message: `${service} ${path} answered ${answer.status} (${statusOf(answer.body) ?? detailOf(answer.body)}): the service is down`, evidence: httpEvidence(path, answer) };
}

/** A dependency name fit for a label: the backend's own, bounded in length and count. */
const DEPENDENCY_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * The dependencies the backend reports, from `/api/health` `checks` and
 * `/api/health/database` `databases` (postgresql is postgres's name there),
 * the first body's word winning; latency in ms or null when not given.
 */
function dependenciesFrom(health: unknown, database: unknown): { name: string; status: string; latencyMs: number | null }[] {
  const found = new Map<string, { name: string; status: string; latencyMs: number | null }>();
  const take = (entries: unknown, rename: (name: string) => string) => {
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) return;
    for (const [raw, value] of Object.entries(entries as Record<string, unknown>)) {
      const name = rename(raw.toLowerCase());
      if (!DEPENDENCY_NAME.test(name) || found.has(name) || found.size >= 16) continue;
      const fields = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
      const latency = fields.latency_ms ?? fields.response_time_ms;
      found.set(name, { name, status: typeof fields.status === 'string' ? fields.status.toLowerCase() : 'unknown', latencyMs: typeof latency === 'number' && Number.isFinite(latency) && latency >= 0 ? latency : null });
    }
  };
  take(typeof health === 'object' && health !== null ? (health as { checks?: unknown }).checks : undefined, (n) => n);
  take(typeof database === 'object' && database !== null ? (database as { databases?: unknown }).databases : undefined, (n) => (n === 'postgresql' ? 'postgres' : n));
  return [...found.values()];
}

/** The target's https and wss origins, each once (the socket's own only when it is not the api's). */
function tlsOrigins(run: JourneyRun): { origin: 'app' | 'auth' | 'api' | 'ws'; url: string }[] {
  const { target } = run;
  const all = [
    { origin: 'app', url: target.appUrl },
    { origin: 'auth', url: target.authUrl },
    { origin: 'api', url: target.apiUrl },
    { origin: 'ws', url: target.wsUrl },
  ] as const;
  const seen = new Set<string>();
  return all.filter(({ url }) => {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'wss:') return false;
    const key = `${parsed.hostname}:${parsed.port || '443'}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What a preflight answer lacks for the app's call (Fetch standard, CORS protocol), or undefined when it allows it. */
function preflightProblem(answer: HttpAnswer, origin: string, method: string, header: string, credentials: boolean): string | undefined {
  if (answer.status < 200 || answer.status > 299) return `answered ${answer.status}`;
  const allowOrigin = answer.headers.get('access-control-allow-origin');
  if (allowOrigin === null) return 'has no Access-Control-Allow-Origin';
  if (allowOrigin !== origin && !(allowOrigin === '*' && !credentials)) return `allows the origin ${JSON.stringify(allowOrigin)}, not the app's`;
  const list = (name: string) => (answer.headers.get(name) ?? '').split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
  const methods = list('access-control-allow-methods');
  if (!['GET', 'HEAD', 'POST'].includes(method) && !methods.includes(method.toLowerCase()) && !methods.includes('*')) return `does not allow the method ${method}`;
  const headers = list('access-control-allow-headers');
  if (!headers.includes(header) && !(headers.includes('*') && !credentials)) return `does not allow the header ${header}`;
  if (credentials && answer.headers.get('access-control-allow-credentials') !== 'true') return 'does not allow credentials';
  return undefined;
}
