import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { JourneyDefinition } from '../model/journey.js';
import { discoverJourneys, type JourneyFolder } from './discover.js';

/** The project's root (where journeys/, playwright.config.ts and package.json are), from this file's place in src/catalog/. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The journeys that ship with gpmon: its own journeys/ folder. */
export const SHIPPED_JOURNEYS: JourneyFolder = { path: join(PROJECT_ROOT, 'journeys'), label: 'journeys' };

/**
 * The shipped journeys as their files declare them (for benches and tests,
 * which run them without a config). Throws when a shipped file does not
 * load or declare: that is a broken checkout, not a user's mistake.
 */
export async function shippedJourneys(): Promise<JourneyDefinition[]> {
  const found = await discoverJourneys(PROJECT_ROOT, [SHIPPED_JOURNEYS]);
  if (!found.ok) throw new Error(`the shipped journeys do not load:\n  ${found.problems.join('\n  ')}`);
  return found.journeys;
}

/** The shipped journey `name`; throws when there is none (naming the ones there are). */
export async function shippedJourney(name: string): Promise<JourneyDefinition> {
  const journeys = await shippedJourneys();
  const journey = journeys.find((j) => j.name === name);
  if (journey === undefined) throw new Error(`no shipped journey "${name}"; shipped: ${journeys.map((j) => j.name).join(', ')}`);
  return journey;
}
