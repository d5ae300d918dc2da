import { defineJourney, goldenPath } from 'golden-path-monitor/kit';

/**
 * The golden path as a user walks it, in the web app, with live events read
 * from the page's own WebSocket (src/journeys/golden-path.ts, where tests can
 * also run it in-process).
 */
export default defineJourney(
  {
    name: 'golden-path',
    kind: 'browser',
    steps: ['login', 'connect', 'agent_request', 'live_events', 'ai_response'],
    schedule: '0 * * * * *',
    timeoutMs: 60_000,
    slo: { login: 3000, connect: 1000, agent_request: 2000, live_events: 10_000, ai_response: 2000 },
    description: 'the five steps through the web app; live events read from the page’s own WebSocket',
  },
  async ({ page, run }) => {
    await goldenPath(page, run);
  },
);
