/**
 * How a run is limited and what it keeps, beside its inputs: decided once,
 * where the config is resolved (src/config/resolve.ts `journeyRunSettings`),
 * and handed down whole in every run request. The executor has no defaults
 * of its own for any of it.
 */

/**
 * What a run keeps of its browser's work beyond what every run keeps (the
 * WebSocket transcript and console errors; on failure, Playwright's
 * screenshot and a trace with DOM snapshots and the network, all redacted).
 * It changes the journey's child (its environment), so a warm runner serves
 * one policy only.
 */
export interface ArtifactPolicy {
  /** A browser run's trace records the screencast (a film strip) too: config `runs.traceScreenshots`; off, it saves most of tracing's CPU. */
  readonly traceScreenshots: boolean;
}

/** A journey's limits and artifact policy for one run. */
export interface RunSettings {
  /** The run's deadline from its go, ms: Playwright's test timeout in the child; past it (and the executor's grace) the child is killed. */
  readonly timeoutMs: number;
  /** How long one step may wait for what it waits on, ms (at most `timeoutMs`); the executor keeps it inside the deadline (`stepBudget`). */
  readonly stepTimeoutMs: number;
  readonly artifacts: ArtifactPolicy;
}

/** The artifact policy with nothing asked for beyond what every run keeps: the config's default. */
export const DEFAULT_ARTIFACT_POLICY: ArtifactPolicy = { traceScreenshots: false };
