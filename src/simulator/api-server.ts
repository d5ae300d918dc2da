import express, { type Express, type RequestHandler } from 'express';
import type { SimulatorState } from './state.js';
import { FAULT_NAMES, eventOffsets, parseFault, parseLatencyPatch, type FaultName } from './profile.js';
import { bearerToken, jsonErrors, notFound, secretEquals } from './http-common.js';

export interface ApiDeps {
  readonly state: SimulatorState;
  readonly appOrigin: string;
  readonly adminToken: string;
  readonly wsConnections: () => number;
}

export const ADMIN_PATH = '/__admin';

/** The backend's HTTP side (contract §3) plus the simulator's own admin API. */
export function createApiApp(deps: ApiDeps): Express {
  const { state } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Token-bearing answers are never cached, so a browser always sees the CORS headers of now.
  app.set('etag', false);
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  app.use((req, res, next) => {
    if (req.headers.origin === deps.appOrigin) {
      res.setHeader('Access-Control-Allow-Origin', deps.appOrigin);
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
      res.status(204).end();
      return;
    }
    next();
  });
  app.use(express.json({ limit: '64kb' }));

  // Up is 200 with ok, healthy or degraded (contract §3); a degraded dependency degrades the backend, not downs it.
  app.get('/health', (_req, res) => {
    res.json({ status: state.fault('dependency_degraded') === undefined ? 'healthy' : 'degraded' });
  });
  app.get('/api/health', (_req, res) => {
    const checks = dependencyChecks(state);
    const degraded = Object.values(checks).some((check) => check.status !== 'healthy');
    res.json({ status: degraded ? 'degraded' : 'healthy', checks, version: state.revision().version });
  });
  app.get('/api/health/database', (_req, res) => {
    const checks = dependencyChecks(state);
    const entries = Object.values(checks);
    res.json({
      databases: { postgresql: checks.postgres, redis: checks.redis, clickhouse: checks.clickhouse },
      summary: {
        healthy_count: entries.filter((c) => c.status === 'healthy').length,
        degraded_count: entries.filter((c) => c.status === 'degraded').length,
        failed_count: 0,
      },
    });
  });
  app.get('/ws/health', (_req, res) => {
    res.json({ status: 'healthy', components: { websocket: { status: 'healthy', connections: deps.wsConnections() }, agent_pipeline: { status: 'healthy' } } });
  });
  app.get('/api/system/info', (_req, res) => {
    res.json(state.revision());
  });
  app.get('/api/mcp/servers', (_req, res) => {
    res.json({
      data: [
        { name: 'knowledge-search', status: 'connected', version: '0.9.3' },
        { name: 'supply-chain-tools', status: 'connected', version: '1.2.0' },
      ],
    });
  });

  app.use(ADMIN_PATH, adminRouter(deps));
  app.use(notFound);
  app.use(jsonErrors);
  return app;
}

/** The backend's dependency checks: fixed small latencies, and the one the fault `dependency_degraded` names slow and degraded. */
function dependencyChecks(state: SimulatorState): Record<'postgres' | 'redis' | 'clickhouse', { status: string; latency_ms: number }> {
  const degraded = state.fault('dependency_degraded');
  const check = (name: 'postgres' | 'redis' | 'clickhouse', latency_ms: number) =>
    degraded?.dependency === name ? { status: 'degraded', latency_ms: degraded.latency_ms } : { status: 'healthy', latency_ms };
  return { postgres: check('postgres', 3), redis: check('redis', 1), clickhouse: check('clickhouse', 7) };
}

function adminRouter(deps: ApiDeps): express.Router {
  const { state } = deps;
  const router = express.Router();
  const requireToken: RequestHandler = (req, res, next) => {
    const token = bearerToken(req.header('authorization'));
    if (token === undefined || !secretEquals(token, deps.adminToken)) {
      res.status(401).json({ detail: 'admin token required: Authorization: Bearer <adminToken>' });
      return;
    }
    next();
  };
  router.use(requireToken);
  // A body sent without its JSON content type would reach the handlers as no body at all: say why instead.
  // (`req.is` is null for a request with no body, which the handlers answer themselves; false for another type.)
  router.use((req, res, next) => {
    if ((req.method === 'POST' || req.method === 'PATCH') && req.is('application/json') === false) {
      res.status(415).json({ detail: `send the body as JSON, with Content-Type: application/json (got ${req.headers['content-type'] ?? 'none'})` });
      return;
    }
    next();
  });

  const snapshot = () => ({ ...state.snapshot(), eventOffsetsMs: eventOffsets(state.snapshot().effectiveLatency), wsConnections: deps.wsConnections() });

  router.get('/state', (_req, res) => {
    res.json(snapshot());
  });
  // The per-run ground truth (state.ts ObservedRun), oldest first; `?since=<epoch ms>` keeps runs that arrived from then on.
  router.get('/observed-runs', (req, res) => {
    const given = req.query.since;
    // Absent: every run kept. Given: once, whole epoch milliseconds (a time in seconds would silently match every run).
    const since = given === undefined ? 0 : typeof given === 'string' && /^\d{13}$/.test(given) ? Number(given) : NaN;
    if (!Number.isFinite(since)) {
      res.status(400).json({ detail: 'since: must be epoch milliseconds' });
      return;
    }
    res.json({ runs: state.observedRuns.filter((run) => run.arrivedAt >= since) });
  });
  // Body: {name, ...params}, e.g. {"name":"missing_event","event":"tool_completed"}.
  // A fault some server applies out of band (a TLS simulator's new certificate) is in force when these answer.
  router.post('/faults', async (req, res) => {
    const parsed = parseFault(req.body);
    if (!parsed.ok) {
      res.status(400).json({ detail: parsed.error });
      return;
    }
    const enabled = state.enable(parsed.value);
    await state.faultsApplied();
    res.json({ enabled, state: snapshot() });
  });
  router.delete('/faults', async (_req, res) => {
    state.clearFaults();
    await state.faultsApplied();
    res.json({ state: snapshot() });
  });
  router.delete('/faults/:name', async (req, res) => {
    const name = req.params.name;
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      res.status(400).json({ detail: `unknown fault "${name}"; known: ${FAULT_NAMES.join(', ')}` });
      return;
    }
    const disabled = state.disable(name as FaultName);
    await state.faultsApplied();
    res.json({ disabled, state: snapshot() });
  });
  router.patch('/latency', (req, res) => {
    const parsed = parseLatencyPatch(req.body);
    if (!parsed.ok) {
      res.status(400).json({ detail: parsed.error });
      return;
    }
    state.setLatency(parsed.value);
    res.json({ state: snapshot() });
  });
  // Body: {revision: a commit, switchAfterMs?: ms (default 2000)}: /api/system/info reports it once switched over.
  router.post('/deploy', (req, res) => {
    const body: unknown = req.body;
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const problems: string[] = [];
    if (typeof fields.revision !== 'string' || !/^[0-9a-f]{7,40}$/.test(fields.revision)) problems.push('revision: required, a commit of 7 to 40 lowercase hex digits');
    const after = fields.switchAfterMs ?? 2000;
    if (typeof after !== 'number' || !Number.isInteger(after) || after < 0 || after > 3_600_000) problems.push('switchAfterMs: a whole number of ms from 0 to 3600000');
    const unknown = Object.keys(fields).filter((key) => key !== 'revision' && key !== 'switchAfterMs');
    if (unknown.length > 0) problems.push(`unknown field ${unknown.map((k) => `"${k}"`).join(', ')}; known: revision, switchAfterMs`);
    if (problems.length > 0) {
      res.status(400).json({ detail: problems.join('; ') });
      return;
    }
    res.json({ pending: state.deploy(fields.revision as string, after as number), state: snapshot() });
  });
  // Body: {loginForm?: boolean, rotateRefreshTokens?: boolean}; at least one, nothing else.
  router.patch('/settings', (req, res) => {
    const body: unknown = req.body;
    const settings = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const known = ['loginForm', 'rotateRefreshTokens'] as const;
    const unknown = Object.keys(settings).filter((key) => !(known as readonly string[]).includes(key));
    const problems = [
      ...unknown.map((key) => `settings: unknown setting "${key}"; known: ${known.join(', ')}`),
      ...known.filter((key) => key in settings && typeof settings[key] !== 'boolean').map((key) => `settings: ${key} must be true or false`),
    ];
    if (!known.some((key) => key in settings)) problems.push(`settings: name at least one of ${known.join(', ')}`);
    if (problems.length > 0) {
      res.status(400).json({ detail: problems.join('; ') });
      return;
    }
    if (typeof settings.loginForm === 'boolean') state.loginForm = settings.loginForm;
    if (typeof settings.rotateRefreshTokens === 'boolean') state.rotateRefreshTokens = settings.rotateRefreshTokens;
    res.json({ state: snapshot() });
  });
  return router;
}
