import { shippedJourneys } from '../../src/catalog/shipped.js';
import type { JourneyDefinition } from '../../src/model/journey.js';

/** The shipped journeys, as discovery finds them in journeys/ (once per test process). */
export const SHIPPED: readonly JourneyDefinition[] = await shippedJourneys();

/** The shipped journey `name`; throws when there is none. */
export function journeyNamed(name: string): JourneyDefinition {
  const journey = SHIPPED.find((j) => j.name === name);
  if (journey === undefined) throw new Error(`no shipped journey ${name}; shipped: ${SHIPPED.map((j) => j.name).join(', ')}`);
  return journey;
}

/**
 * A config's `journeys` that runs only the journeys `settings` names: every
 * other shipped journey is switched off, so a test's monitor runs what the
 * test is about and nothing a later shipped journey adds.
 */
export function onlyJourneys(settings: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  return { ...Object.fromEntries(SHIPPED.map((j) => [j.name, { enabled: false }])), ...settings };
}
