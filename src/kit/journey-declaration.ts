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

/**
 * Records a journey's declaration (and its body, when the registry keeps
 * bodies) if discovery is importing its file; true when it did, false under
 * Playwright (the caller then registers the test).
 */
export function recordDeclaration(declaration: unknown, body: unknown): boolean {
  const registry = discoveryRegistry();
  if (registry === undefined) return false;
  registry.declared.push(declaration);
  registry.bodies?.push(body);
  return true;
}

/** The registry when discovery is importing files; undefined under Playwright. */
export function discoveryRegistry(): DiscoveryRegistry | undefined {
  return (globalThis as { [DISCOVERY_REGISTRY]?: DiscoveryRegistry })[DISCOVERY_REGISTRY];
}
