import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /**
   * Serve https and wss, as staging does, with a leaf certificate signed by a
   * private CA made at start (see tls.ts); the CA's PEM is written to
   * `description.caFile`. Default: plain http and ws.
   */
  readonly tls?: boolean;
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
  /** With `tls`: the absolute path of the private CA's certificate (PEM), a target's `caFile`; removed at stop. */
  readonly caFile?: string;
}

/** The target that points at a simulator (its account's email; the password and bypass key stay in the description). */
export function simulatorTarget(d: SimulatorDescription, login: 'form' | 'bypass' = 'form'): Target {
  return withDefaults({ name: 'simulator', appUrl: d.app, authUrl: d.auth, apiUrl: d.api, wsUrl: d.ws, login, email: d.email, ...(d.caFile === undefined ? {} : { caFile: d.caFile }) });
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
  const tls = options.tls === true ? await startTls(state, [publicHost, '127.0.0.1', '::1', 'localhost']) : undefined;
  const listen = async (port: number | undefined): Promise<{ server: Server; origin: string }> => {
    const server = tls === undefined ? createServer() : tls.createServer();
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = (server.address() as AddressInfo).port;
    return { server, origin: `${tls === undefined ? 'http' : 'https'}://${formatHost(publicHost)}:${bound}` };
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
      ...(tls === undefined ? {} : { caFile: tls.caFile }),
    };
    return {
      description,
      state,
      issuedTokens: () => [...issuer.issued],
      stop: async () => {
        ws.close();
        await closeAll(servers);
        tls?.remove();
      },
    };
  } catch (error) {
    await closeAll(servers);
    tls?.remove();
    throw error;
  }
}

interface TlsServing {
  /** An https server with the certificate now in force; swapped on every server made here when `cert_expiring` changes. */
  createServer(): HttpsServer;
  /** The CA's PEM file, in a folder of its own. */
  readonly caFile: string;
  /** Removes the CA's folder. */
  remove(): void;
}

/**
 * The simulator's certificates (tls.ts), and the fault `cert_expiring`
 * applied to them: while it is on, every server presents a leaf that ends
 * `days` days after the fault was switched on; once off, the normal leaf.
 * The PKI code is loaded only here, so a plain-http simulator never pays for it.
 */
async function startTls(state: SimulatorState, hosts: readonly string[]): Promise<TlsServing> {
  const { createSimulatorPki, daysAfter } = await import('./tls.js');
  const pki = await createSimulatorPki(hosts);
  const folder = mkdtempSync(join(tmpdir(), 'gpmon-sim-ca-'));
  const caFile = join(folder, 'ca.pem');
  writeFileSync(caFile, pki.caPem);
  const made: HttpsServer[] = [];
  let leaf = pki.leaf;
  let appliedDays: number | undefined;
  const apply = async () => {
    const days = state.fault('cert_expiring')?.days;
    if (days === appliedDays) return;
    leaf = days === undefined ? pki.leaf : await pki.issueLeaf(daysAfter(new Date(), days));
    appliedDays = days;
    for (const server of made) server.setSecureContext({ key: leaf.keyPem, cert: leaf.certPem });
  };
  await apply();
  state.onFaultsChanged(apply);
  return {
    caFile,
    createServer: () => {
      const server = createHttpsServer({ key: leaf.keyPem, cert: leaf.certPem });
      made.push(server);
      return server;
    },
    remove: () => {
      rmSync(folder, { recursive: true, force: true });
    },
  };
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
