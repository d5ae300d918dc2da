import { EventCollector, callJson, defineJourney, fail, goldenPathApi, jwtClaims, loginOverHttp, openRunSocket, refreshOverHttp, tokenSubprotocol, waitForStream, type Evidence, type JourneyRun, type Session } from 'golden-path-monitor/kit';

/**
 * A long session lives on refreshed tokens (contract §2, §8 "token refresh"):
 * log in, exchange the refresh token for a new access token, then run the
 * golden path's socket and agent on the refreshed token alone. A refreshed
 * token is minted by another code path than the login's and can carry other
 * claims (the platform's refresh service builds it with an empty permission
 * list), which a backend may refuse: that shows at `connect` as `ws_auth`.
 * Rotation is not assumed: only a target that sets `refreshTokenRotation`
 * has its old refresh token tried again, and its acceptance is `security`.
 */
export default defineJourney(
  {
    name: 'token-refresh',
    kind: 'protocol',
    steps: ['login', 'refresh', 'connect', 'agent_request', 'live_events', 'ai_response'],
    schedule: '30 */2 * * * *',
    timeoutMs: 45_000,
    slo: { login: 3000, refresh: 2000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000 },
    description: 'a refreshed access token opens the socket and runs the agent like a login token',
  },
  async ({ run }) => {
    let session: Session | undefined;
    await run.step('login', async (step) => {
      const started = run.clock();
      session = await loginOverHttp(run);
      step.measured(run.clock() - started);
    });

    let refreshed: Session | undefined;
    let changed: string[] = [];
    await run.step('refresh', async (step) => {
      if (session === undefined) return fail('monitor_error', 'no session after login');
      const started = run.clock();
      refreshed = await refreshOverHttp(run, session);
      step.measured(run.clock() - started);
      const rotated = refreshed.refreshToken !== session.refreshToken;
      // Claim names only (never values): what the refresh path changed, as evidence for a socket that refuses its token.
      const before = jwtClaims(session.accessToken);
      const after = jwtClaims(refreshed.accessToken);
      const volatile = new Set(['iat', 'exp', 'nbf', 'jti']);
      changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((name) => !volatile.has(name) && JSON.stringify(before[name]) !== JSON.stringify(after[name]));
      run.mark('refresh', { rotated, claimsChanged: changed, sameAccessToken: refreshed.accessToken === session.accessToken });
      if (run.target.refreshTokenRotation === true) {
        // The target promises rotation: the refresh token just used must now be refused.
        const again = await callJson(`${run.target.authUrl}/auth/refresh`, { method: 'POST', body: { refresh_token: session.refreshToken }, timeoutMs: run.stepTimeoutMs, caFile: run.target.caFile });
        if (again.status === 200) {
          if (typeof again.body === 'object' && again.body !== null) {
            const body = again.body as Record<string, unknown>;
            run.secret(typeof body.access_token === 'string' ? body.access_token : undefined);
            run.secret(typeof body.refresh_token === 'string' ? body.refresh_token : undefined);
          }
          fail('security', `the refresh token used once was accepted again (${rotated ? 'a new one was handed out' : 'the same one was handed back'}): the target promises rotation (refreshTokenRotation), so a stolen refresh token stays valid`, { path: '/auth/refresh', status: again.status, rotated });
        }
      }
    });

    if (refreshed === undefined) return;
    const login = session;
    await goldenPathApi(run, {
      session: refreshed,
      // Refused: is it the refreshed token, or every token? A login's token tried on a socket of its own tells.
      explainRefusal: async (): Promise<{ note: string; evidence: Evidence } | undefined> => {
        if (login === undefined) return undefined;
        const claims = changed.length === 0 ? 'nothing but its dates and id' : changed.join(', ');
        return (await opensSocket(run, login.accessToken))
          ? { note: `the login's access token opens the socket: the refreshed one is refused (its claims differ from the login's in: ${claims})`, evidence: { loginTokenAccepted: true, claimsChanged: changed } }
          : { note: "the login's access token is refused too: the socket refuses every token, not only refreshed ones", evidence: { loginTokenAccepted: false } };
      },
    });
  },
);

/** Whether a socket opened with `accessToken` is welcomed (connection_established) within the step timeout; closed at once after. */
async function opensSocket(run: JourneyRun, accessToken: string): Promise<boolean> {
  const collector = new EventCollector();
  const outcome = await openRunSocket(run, {
    protocols: [tokenSubprotocol(accessToken)],
    onFrame: (data, at) => {
      collector.receive(data, at);
    },
  });
  if (outcome.kind !== 'open') return false;
  try {
    await waitForStream(collector, outcome.socket.closed, () => collector.established !== undefined || collector.error !== undefined, run.stepTimeoutMs);
    return collector.established !== undefined;
  } finally {
    outcome.socket.close();
  }
}
