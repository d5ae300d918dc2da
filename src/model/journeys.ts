/** The journeys the monitor ships (design.md, "Journeys shipped"). */

export const GOLDEN_PATH_STEPS = ['login', 'connect', 'agent_request', 'live_events', 'ai_response'] as const;
export const AUTH_ENFORCED_STEPS = ['no_token', 'forged_token'] as const;

export interface JourneyDefinition {
  readonly name: string;
  /** Relative to the project root. */
  readonly file: string;
  readonly kind: 'browser' | 'protocol';
  readonly steps: readonly string[];
  /** Cron expression (seconds allowed). */
  readonly schedule: string;
  readonly timeoutMs: number;
  readonly description: string;
}

export const JOURNEYS: readonly JourneyDefinition[] = [
  {
    name: 'golden-path',
    file: 'journeys/golden-path.spec.ts',
    kind: 'browser',
    steps: GOLDEN_PATH_STEPS,
    schedule: '0 * * * * *',
    timeoutMs: 60_000,
    description: 'the five steps through the web app; live events read from the page’s own WebSocket',
  },
  {
    name: 'golden-path-api',
    file: 'journeys/golden-path-api.spec.ts',
    kind: 'protocol',
    steps: GOLDEN_PATH_STEPS,
    schedule: '*/15 * * * * *',
    timeoutMs: 30_000,
    description: 'the same five steps with HTTP calls and a ws client, no browser',
  },
  {
    name: 'ws-auth-enforced',
    file: 'journeys/ws-auth-enforced.spec.ts',
    kind: 'protocol',
    steps: AUTH_ENFORCED_STEPS,
    schedule: '30 */5 * * * *',
    timeoutMs: 20_000,
    description: 'a connection with no or a forged token must be refused',
  },
];

export function findJourney(name: string): JourneyDefinition | undefined {
  return JOURNEYS.find((journey) => journey.name === name);
}

export const DEFAULT_INPUTS = {
  prompt: 'gpmon synthetic check: summarise the status of the golden path in one sentence.',
  // Any non-blank answer; a target's config narrows it.
  expectedAnswer: '\\S',
} as const;
