import { z } from 'zod';
import { CRITICAL_EVENTS } from './golden-path.js';

/**
 * The facts a run records beside its steps (RunRecord.marks): the kit's and
 * the monitor's own marks by name, each with its shape, read by the record
 * builder, the metrics, the CLI table and the store. A journey may add marks
 * of its own under other names (any JSON value); `run.mark()` types the
 * known names for it.
 */
const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

export const knownMarkSchemas = {
  /** The answer the journey read: its length and a short excerpt. */
  answer: z.object({ chars: count, excerpt: z.string() }),
  /** The subprotocol offered and the one the server selected, each shortened so it never holds the token. */
  subprotocol: z.object({ offered: z.string(), selected: z.string() }),
  /** Request sent → each critical event's first arrival, ms on the client's clock. */
  eventLatencyMs: z.partialRecord(z.enum(CRITICAL_EVENTS), ms),
  /** Per session of a journey that runs several at once (concurrent-sessions): each one's latencies, as eventLatencyMs; each goes to the usual histogram. */
  sessionEventLatencyMs: z.array(z.partialRecord(z.enum(CRITICAL_EVENTS), ms)).max(100),
  /** The longest silence between two frames of the agent's stream, ms. */
  maxGapMs: ms,
  /** Frames that were not JSON objects with a type: ignored, but counted. */
  unparsableFrames: count,
  /** Frames the page probe let go under a flood (the transcript keeps the head and the end). */
  droppedFrames: count,
  /** The page opened this many sockets during the run. */
  pageSockets: count,
  /** The page's socket, matched by its path only: its URL without secrets. */
  pageSocketUrl: z.string(),
  /** The page's socket was opened outside its own scripts (a Web Worker or a frame) and read through Playwright's relay. */
  socketRelayed: z.object({ url: z.string(), why: z.string() }),
  /** Relayed frames let go under a flood. */
  relayedFramesDropped: count,
  /** agent_completed → the answer visible in the page, ms. */
  renderLagMs: z.number(),
  /** renderLagMs is an upper bound (the page's DOM log had no entry for the answer). */
  renderLagUpperBound: z.boolean(),
  /** The services' /health words (platform-health): `degraded` is up, and flagged (synthetic_service_degraded). */
  services: z.array(z.object({ service: z.enum(['auth', 'api']), status: z.string().max(64) })).max(2),
  /** The backend's dependencies as it reports them (platform-health): gauges per dependency, the name a bounded label. */
  dependencies: z.array(z.object({ name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/), status: z.string().max(64), latencyMs: ms.nullable() })).max(16),
  /** Each https/wss origin's certificate (platform-health): its end of validity is exported as synthetic_tls_cert_expiry_timestamp_seconds. */
  tlsCertificates: z.array(z.object({ origin: z.enum(['app', 'auth', 'api', 'ws']), notAfter: z.iso.datetime(), daysLeft: z.number(), trusted: z.boolean(), issuer: z.string() })).max(4),
  /** The target's /api/system/info (the record builder moves it to `targetInfo`). */
  targetInfo: z.object({ version: z.string().nullable(), revision: z.string().nullable() }),
  /** Why the target's version and revision are unknown. */
  targetInfoError: z.string(),
  /** A failed run's trace could not be written. */
  traceProblem: z.string(),
  /** The trace folder the kit expected was not there (a Playwright that moved it). */
  traceFilesLeft: z.string(),
  /** The run was in flight when the monitor stopped: closed as error at the next start (src/store). */
  recovered: z.literal(true),
  /** The warm runner that served the run: its process, its how-manieth run, its memory after it, and how long the run waited for it. */
  runner: z.object({ pid: count, run: count, rssMb: count, waitedMs: ms }),
  /** Artifacts the executor could not store. */
  artifactProblems: z.array(z.string()),
  /** Work after the journey's body (the page's transcript) that failed: the transcript may lack the page's frames. */
  bodyEndProblem: z.string(),
  /** Marks whose value did not have its known shape: left out, each named with what was wrong. */
  badMarks: z.array(z.string()),
};

/** The words a health check uses for healthy (contract §3); any other status a dependency reports is degraded, or worse. */
const HEALTHY_STATUSES: ReadonlySet<string> = new Set(['ok', 'healthy', 'up', 'connected', 'pass']);

/** Whether a status word of the `dependencies` or `services` marks means healthy. */
export function isHealthyStatus(status: string): boolean {
  return HEALTHY_STATUSES.has(status);
}

export type KnownMarks = { -readonly [K in keyof typeof knownMarkSchemas]?: z.infer<(typeof knownMarkSchemas)[K]> };
export type KnownMarkName = keyof typeof knownMarkSchemas;

/** RunRecord.marks: the known marks, typed, and a journey's own beside them. */
export type RunMarks = Readonly<KnownMarks> & { readonly [name: string]: unknown };

function isKnown(name: string): name is KnownMarkName {
  return Object.hasOwn(knownMarkSchemas, name);
}

/**
 * The marks a run reported (name → value, as they came over the child's
 * NDJSON stream), checked: a known mark whose value has another shape is left
 * out and named in `badMarks` ("maxGapMs: expected number, received string");
 * other names pass as they are.
 */
export function readMarks(reported: Readonly<Record<string, unknown>>): RunMarks {
  const marks: Record<string, unknown> = {};
  const bad: string[] = [];
  for (const [name, value] of Object.entries(reported)) {
    if (!isKnown(name)) {
      marks[name] = value;
      continue;
    }
    const parsed = knownMarkSchemas[name].safeParse(value);
    if (parsed.success) marks[name] = parsed.data;
    else bad.push(`${name}: ${parsed.error.issues.map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')} ` : ''}${issue.message}`).join('; ')}`);
  }
  if (bad.length > 0) marks.badMarks = bad;
  return marks;
}
