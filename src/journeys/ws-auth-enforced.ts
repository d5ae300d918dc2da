import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { JourneyRun } from '../kit/journey-run.js';
import { EventCollector } from '../kit/event-collector.js';
import { openRunSocket } from '../kit/run-socket.js';
import { waitForStream } from '../kit/golden-path-checks.js';
import { JourneyFailure } from '../kit/failure.js';

/**
 * The negative check: the socket must refuse a connection that carries no
 * token, and one that carries a well-formed token signed with the wrong key.
 * An accepted connection (connection_established) is a `security` failure:
 * staging has been seen to invent a user for such a connection.
 */
export async function wsAuthEnforced(run: JourneyRun): Promise<void> {
  await run.step('no_token', async (step) => {
    step.measured(await expectRefused(run, {}, 'no token', 'noToken'));
  });
  await run.step('forged_token', async (step) => {
    const forged = await forgeToken(run.target.email);
    run.secret(forged);
    // Sent as a header, not a subprotocol: a bad subprotocol echo must not pass for a refusal.
    step.measured(await expectRefused(run, { authorization: `Bearer ${forged}` }, 'a forged token', 'forgedToken'));
  });
}

/** A token with the platform's claims, signed with a key the platform has never seen. */
async function forgeToken(email: string): Promise<string> {
  return new SignJWT({ email, type: 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(`gpmon-forged-${randomUUID().slice(0, 8)}`)
    .setIssuer('netra-auth-service')
    .setAudience('netra-platform')
    .setIssuedAt()
    .setExpirationTime('10m')
    .setJti(randomUUID())
    .sign(randomBytes(32));
}

/** Connects and expects a refusal: a failed handshake, or a close before connection_established. Returns ms to the refusal. */
async function expectRefused(run: JourneyRun, headers: Record<string, string>, what: string, key: string): Promise<number> {
  const collector = new EventCollector();
  const started = run.clock();
  const outcome = await openRunSocket(run, {
    protocols: [],
    headers,
    onFrame: (data, at) => {
      collector.receive(data, at);
    },
  });
  if (outcome.kind === 'timeout') throw new JourneyFailure('timeout', `the handshake with ${what} did not finish in ${run.stepTimeoutMs} ms`);
  if (outcome.kind === 'refused') {
    run.mark(`refusal.${key}`, { status: outcome.status });
    return run.clock() - started;
  }
  if (outcome.kind === 'error') {
    if (outcome.untrusted !== undefined) throw outcome.untrusted;
    // Nothing was offered, so no subprotocol answer can fail the handshake: an error means the server was not reached.
    throw new JourneyFailure('network', `cannot reach the WebSocket: ${outcome.message}`, { error: outcome.message });
  }
  const socket = outcome.socket;
  try {
    await waitForStream(collector, socket.closed, () => collector.established !== undefined, run.stepTimeoutMs);
    const established = collector.established;
    if (established !== undefined) {
      throw new JourneyFailure('security', `the WebSocket accepted a connection with ${what} as user ${JSON.stringify(established.user_id ?? null)}`, {
        connectedUser: typeof established.user_id === 'string' ? established.user_id : null,
        sent: headers.authorization === undefined ? 'no token' : 'a forged token in Authorization',
      });
    }
    const close = socket.closeState;
    if (close === undefined) {
      throw new JourneyFailure('security', `the WebSocket kept a connection with ${what} open for ${run.stepTimeoutMs} ms without refusing it`, { lastFrames: [...collector.lastTypes] });
    }
    run.mark(`refusal.${key}`, { closeCode: close.code, closeReason: close.reason, errorCode: collector.error?.code ?? null });
    return close.at - started;
  } finally {
    socket.close();
  }
}
