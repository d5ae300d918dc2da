import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatorState } from './state.js';
import { TokenIssuer } from './tokens.js';
import { createAuthApp } from './auth-server.js';
import { createApiApp, ADMIN_PATH } from './api-server.js';
import { createAppApp } from './app-server.js';
import { attachWebSocket } from './ws-server.js';
import type { Fault, LatencyProfile } from './profile.js';
import { withDefaults, type Target } from '../model/target.js';

export interface SimulatorOptions {
  /** Address to bind; 127.0.0.1 unless a container needs 0.0.0.0. */
  readonly host?: string;
  /** Host name used in the URLs handed out (defaults to host, or 127.0.0.1 for a wildcard bind). */
  readonly publicHost?: string;
  readonly ports?: { readonly app?: number; readonly auth?: number; readonly api?: number };
  readonly email?: string;
  readonly password?: string;
  readonly bypassKey?: string;
  readonly adminToken?: string;
  readonly latency?: Partial<LatencyProfile>;
  readonly faults?: readonly Fault[];
  readonly revision?: string;
  readonly loginForm?: boolean;
  readonly heartbeatMs?: number;
  readonly tokenTtlSeconds?: number;
}

/** What `gpmon simulator --json` prints as its first line (design.md, CLI). */
export interface SimulatorDescription {
  readonly app: string;
  readonly auth: string;
  readonly api: string;
  readonly ws: string;
  readonly email: string;
  readonly password: string;
  readonly bypassKey: string;
  readonly adminUrl: string;
  readonly adminToken: string;
}

/** The target that points at a simulator (its account's email; the password and bypass key stay in the description). */
export function simulatorTarget(d: SimulatorDescription, login: 'form' | 'bypass' = 'form'): Target {
  return withDefaults({ name: 'simulator', appUrl: d.app, authUrl: d.auth, apiUrl: d.api, wsUrl: d.ws, login, email: d.email });
}

export interface Simulator {
  readonly description: SimulatorDescription;
  readonly state: SimulatorState;
  /** Tokens the auth service issued so far (for secret scans in tests). */
  readonly issuedTokens: () => readonly string[];
  readonly stop: () => Promise<void>;
}

export const DEFAULT_SIM_EMAIL = 'monitor@gpmon.test';

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const publicHost = options.publicHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const secret = () => randomBytes(18).toString('base64url');
  const email = options.email ?? DEFAULT_SIM_EMAIL;
  const password = options.password ?? secret();
  const bypassKey = options.bypassKey ?? secret();
  const adminToken = options.adminToken ?? secret();

  const state = new SimulatorState({
    ...(options.latency ? { latency: options.latency } : {}),
    ...(options.revision ? { revision: options.revision } : {}),
    loginForm: options.loginForm ?? true,
  });
  for (const fault of options.faults ?? []) state.enable(fault);
  const issuer = new TokenIssuer(options.tokenTtlSeconds ?? 900);

  const servers: Server[] = [];
  const listen = async (port: number | undefined): Promise<{ server: Server; origin: string }> => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = (server.address() as AddressInfo).port;
    return { server, origin: `http://${formatHost(publicHost)}:${bound}` };
  };

  try {
    const app = await listen(options.ports?.app);
    const auth = await listen(options.ports?.auth);
    const api = await listen(options.ports?.api);
    const wsUrl = api.origin.replace(/^http/, 'ws');

    let sequence = 0;
    const ws = attachWebSocket(api.server, {
      state,
      issuer,
      heartbeatMs: options.heartbeatMs ?? 20_000,
      nextSequence: () => sequence++,
    });
    const user = { id: `user_${randomBytes(6).toString('hex')}`, email };
    auth.server.on(
      'request',
      createAuthApp({ state, issuer, account: { email, password, user }, bypassKey, appOrigin: app.origin, version: '1.42.0' }),
    );
    api.server.on('request', createApiApp({ state, appOrigin: app.origin, adminToken, wsConnections: ws.connections }));
    app.server.on('request', createAppApp({ state, authUrl: auth.origin, apiUrl: api.origin, wsUrl }));

    const description: SimulatorDescription = {
      app: app.origin,
      auth: auth.origin,
      api: api.origin,
      ws: wsUrl,
      email,
      password,
      bypassKey,
      adminUrl: `${api.origin}${ADMIN_PATH}`,
      adminToken,
    };
    return {
      description,
      state,
      issuedTokens: () => [...issuer.issued],
      stop: async () => {
        ws.close();
        await closeAll(servers);
      },
    };
  } catch (error) {
    await closeAll(servers);
    throw error;
  }
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function closeAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          if (!server.listening) {
            resolve();
            return;
          }
          server.close(() => {
            resolve();
          });
          server.closeAllConnections();
        }),
    ),
  );
}
