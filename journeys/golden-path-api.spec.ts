import { defineJourney, goldenPathApi } from 'golden-path-monitor/kit';

/**
 * The golden path without a browser: HTTP login, a ws client offering the
 * token as `jwt.<base64url>`, start_agent, the five events, the answer
 * (src/journeys/golden-path-api.ts, where tests can also run it in-process).
 */
export default defineJourney(
  {
    name: 'golden-path-api',
    kind: 'protocol',
    steps: ['login', 'connect', 'agent_request', 'live_events', 'ai_response'],
    schedule: '*/15 * * * * *',
    timeoutMs: 30_000,
    slo: { login: 3000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000 },
    description: 'the same five steps with HTTP calls and a ws client, no browser',
  },
  async ({ run }) => {
    await goldenPathApi(run);
  },
);
