/**
 * How a journey file's `defineJourney` call reaches the monitor: while
 * discovery (src/catalog/discover.ts) imports the file, the call records its
 * declaration (src/model/journey.ts) here instead of registering a test.
 */

/** Where discovery collects declarations while it imports journey files; absent when Playwright runs them. */
export const DISCOVERY_REGISTRY = Symbol.for('gpmon.journeyDiscovery');

export interface DiscoveryRegistry {
  /** Declarations made by the file being imported, in order. */
  readonly declared: unknown[];
  /** When present, each declaration's body too, in the same order (a test running a journey's body in-process). */
  readonly bodies?: unknown[];
}

/** The registry when discovery is importing files; undefined under Playwright. */
export function discoveryRegistry(): DiscoveryRegistry | undefined {
  return (globalThis as { [DISCOVERY_REGISTRY]?: DiscoveryRegistry })[DISCOVERY_REGISTRY];
}
