import { journeyTest } from '../src/kit/fixtures.js';
import { wsAuthEnforced } from '../src/journeys/ws-auth-enforced.js';

/**
 * The negative check: the socket must refuse a connection with no token and
 * one with a forged token (src/journeys/ws-auth-enforced.ts).
 */
journeyTest('ws-auth-enforced', async ({ run }) => {
  await wsAuthEnforced(run);
});
