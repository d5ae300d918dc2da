import { z } from 'zod';
import { cronSchema } from '../model/cron.js';

/**
 * What a journey file says of itself (docs/journeys-as-code.md): its name,
 * its kind, the steps it runs in order, and its defaults. A config may
 * override the defaults per journey; the name and steps are the journey's.
 */
export const journeyDeclarationSchema = z.strictObject({
  /** Lower-case words joined by '-': a metric label value and a URL segment. */
  name: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, "must be lower-case words joined by '-' (my-checkout)"),
  kind: z.enum(['browser', 'protocol']),
  /** The steps in the order the journey runs them: snake_case, no name twice. */
  steps: z
    .array(z.string().regex(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, 'a step is snake_case (open_cart)'))
    .min(1, 'name at least one step')
    .refine((steps) => new Set(steps).size === steps.length, 'a step is named twice')
    .readonly(),
  /** Cron expression, seconds allowed (node-cron's syntax). */
  schedule: cronSchema,
  /** The whole run's deadline, ms. */
  timeoutMs: z.number().int().min(1000).max(600_000),
  description: z.string().min(1),
});

export type JourneyDeclaration = z.infer<typeof journeyDeclarationSchema>;

/** Where discovery collects declarations while it imports journey files; absent when Playwright runs them. */
export const DISCOVERY_REGISTRY = Symbol.for('gpmon.journeyDiscovery');

export interface DiscoveryRegistry {
  /** Declarations made by the file being imported, in order. */
  readonly declared: unknown[];
}

/** The registry when discovery is importing files; undefined under Playwright. */
export function discoveryRegistry(): DiscoveryRegistry | undefined {
  return (globalThis as { [DISCOVERY_REGISTRY]?: DiscoveryRegistry })[DISCOVERY_REGISTRY];
}
