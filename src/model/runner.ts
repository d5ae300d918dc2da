/**
 * A warm runner's limits, shared by the config's defaults and the executor's
 * (which also runs without a config: `gpmon run`, tests, the bench).
 */

/** Runs one loaded journey process serves before it is replaced: its memory stays flat, and a slow leak in a browser or a journey cannot grow for days. */
export const DEFAULT_RUNNER_RUNS = 50;

/** Resident memory (MB, summed over the runner's processes, its browser included) past which a runner is replaced after its run. */
export const DEFAULT_RUNNER_RSS_MB = 1_500;
