import { z } from 'zod';
import { FAILURE_REASONS } from '../model/reasons.js';

/**
 * The contract between the executor (parent) and a journey's `playwright test`
 * child: the environment it is started with, the go message that starts a
 * prepared run, and the NDJSON events the reporter streams back.
 */

export const CHILD_ENV = {
  /** Target without secrets, as JSON. */
  target: 'GPMON_TARGET_JSON',
  password: 'GPMON_PASSWORD',
  bypassKey: 'GPMON_BYPASS_KEY',
  /** Unix socket the journey connects to, then waits on for the go message. */
  goSocket: 'GPMON_GO_SOCKET',
  /** File descriptor the reporter writes NDJSON events to. */
  eventsFd: 'GPMON_EVENTS_FD',
  /** Playwright's per-test timeout for this journey. */
  testTimeoutMs: 'GPMON_TEST_TIMEOUT_MS',
  /** Tags every process of one child, so leftovers can be found and killed. */
  runTag: 'GPMON_RUN_TAG',
  /** Runs a warm runner serves: the journey's test is declared this many times (src/kit/fixtures.ts `journeyTest`). */
  runnerRuns: 'GPMON_RUNNER_RUNS',
  /** The folder of the journey's file: Playwright's testDir for the child, so a journey outside journeys/ (config journeyDirs) is found. */
  journeyDir: 'GPMON_JOURNEY_DIR',
  /** '1': a browser run's trace records the screencast too (runs.traceScreenshots). */
  traceScreenshots: 'GPMON_TRACE_SCREENSHOTS',
} as const;

export const goMessageSchema = z.strictObject({
  runId: z.string().min(1),
  inputs: z.strictObject({ prompt: z.string().min(1), expectedAnswer: z.string().min(1), params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional() }),
  stepTimeoutMs: z.number().int().positive(),
  /** Where this run writes its own artifacts (transcript, console errors): a folder of its own, since a warm runner serves many runs. */
  artifactDir: z.string().min(1).optional(),
});
export type GoMessage = z.infer<typeof goMessageSchema>;

const evidenceValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);
const failureSchema = z.object({
  reason: z.enum(FAILURE_REASONS),
  message: z.string(),
  evidence: z.record(z.string(), evidenceValue),
});
export type ReportedFailure = z.infer<typeof failureSchema>;

export const childEventSchema = z.discriminatedUnion('type', [
  /** `tests`: how many tests the child will run (one per run it can serve). */
  z.object({ type: z.literal('begin'), pid: z.number(), tests: z.number().int().nonnegative().optional() }),
  z.object({ type: z.literal('test_begin'), at: z.string() }),
  z.object({ type: z.literal('step_begin'), step: z.string(), at: z.string() }),
  z.object({
    type: z.literal('step_end'),
    step: z.string(),
    status: z.enum(['passed', 'failed']),
    startedAt: z.string(),
    durationMs: z.number(),
    /** True when the journey measured the step itself (page or client clock). */
    measured: z.boolean(),
    failure: failureSchema.optional(),
    error: z.string().optional(),
  }),
  z.object({ type: z.literal('mark'), name: z.string(), value: z.unknown() }),
  z.object({ type: z.literal('secret'), value: z.string() }),
  z.object({ type: z.literal('artifact'), name: z.string(), path: z.string(), contentType: z.string() }),
  /** `runId`: the run whose go the test took (absent when it ended before any go: its set-up failed). */
  z.object({ type: z.literal('test_end'), status: z.string(), durationMs: z.number(), error: z.string().optional(), runId: z.string().optional() }),
  z.object({ type: z.literal('runner_error'), message: z.string() }),
  z.object({ type: z.literal('end'), status: z.string() }),
]);
export type ChildEvent = z.infer<typeof childEventSchema>;

export type ParsedLine = { ok: true; event: ChildEvent } | { ok: false; error: string };

export function parseChildEvent(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: `not JSON: ${line.slice(0, 80)}` };
  }
  const parsed = childEventSchema.safeParse(value);
  return parsed.success ? { ok: true, event: parsed.data } : { ok: false, error: `unknown event: ${line.slice(0, 80)}` };
}

/** Attachment names the journey kit uses to talk to the reporter. */
export const KIT_ATTACHMENT = {
  failure: 'gpmon/failure',
  timing: 'gpmon/step-timing',
  mark: 'gpmon/mark',
  secret: 'gpmon/secret',
  artifact: 'gpmon/artifact',
  /** The go's run id, attached by the run fixture once the test has its go. */
  run: 'gpmon/run',
} as const;
