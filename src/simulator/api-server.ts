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

  app.get('/health', (_req, res) => {
    res.json({ status: 'healthy' });
  });
  app.get('/api/health', (_req, res) => {
    const check = (latency_ms: number) => ({ status: 'healthy', latency_ms });
    res.json({
      status: 'healthy',
      checks: { postgres: check(3), redis: check(1), clickhouse: check(7) },
      version: state.revision().version,
    });
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
  // Body: {name, ...params}, e.g. {"name":"missing_event","event":"tool_completed"}.
  router.post('/faults', (req, res) => {
    const parsed = parseFault(req.body);
    if (!parsed.ok) {
      res.status(400).json({ detail: parsed.error });
      return;
    }
    res.json({ enabled: state.enable(parsed.value), state: snapshot() });
  });
  router.delete('/faults', (_req, res) => {
    state.clearFaults();
    res.json({ state: snapshot() });
  });
  router.delete('/faults/:name', (req, res) => {
    const name = req.params.name;
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      res.status(400).json({ detail: `unknown fault "${name}"; known: ${FAULT_NAMES.join(', ')}` });
      return;
    }
    res.json({ disabled: state.disable(name as FaultName), state: snapshot() });
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
  router.patch('/settings', (req, res) => {
    const body: unknown = req.body;
    const loginForm = typeof body === 'object' && body !== null ? (body as { loginForm?: unknown }).loginForm : undefined;
    if (typeof loginForm !== 'boolean') {
      res.status(400).json({ detail: 'settings: loginForm must be true or false' });
      return;
    }
    state.loginForm = loginForm;
    res.json({ state: snapshot() });
  });
  return router;
}
