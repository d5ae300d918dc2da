import { defineJourney, wsAuthEnforced } from 'golden-path-monitor/kit';

/**
 * The negative check: the socket must refuse a connection with no token and
 * one with a forged token (src/journeys/ws-auth-enforced.ts).
 */
export default defineJourney(
  {
    name: 'ws-auth-enforced',
    kind: 'protocol',
    steps: ['no_token', 'forged_token'],
    schedule: '30 */5 * * * *',
    timeoutMs: 20_000,
    slo: { no_token: 1000, forged_token: 1000 },
    description: 'a connection with no or a forged token must be refused',
  },
  async ({ run }) => {
    await wsAuthEnforced(run);
  },
);
