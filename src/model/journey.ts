import { z } from 'zod';
import { cronSchema } from './cron.js';

/**
 * What a journey file says of itself (docs/journeys-as-code.md): its name,
 * its kind, the steps it runs in order, and its defaults. A config may
 * override the defaults per journey; the name and steps are the journey's.
 */
/** A journey parameter's value: what a config file and an environment can both say plainly. */
export const journeyParamValue = z.union([z.number(), z.string(), z.boolean()], { error: 'must be a number, a string or a boolean' });
export type JourneyParamValue = z.infer<typeof journeyParamValue>;

/** A number parameter with its bounds: a config's value outside them is a config error, never clamped in silence. */
const boundedNumberParam = z
  .strictObject({ default: z.number(), min: z.number().optional(), max: z.number().optional(), integer: z.boolean().optional() })
  .superRefine((spec, context) => {
    const problem = paramProblem(spec, spec.default);
    if (problem !== undefined) context.addIssue({ code: 'custom', path: ['default'], message: problem });
  });
export type JourneyParamSpec = JourneyParamValue | z.infer<typeof boundedNumberParam>;

/** A parameter's default, whichever way its file declares it. */
export function paramDefault(spec: JourneyParamSpec): JourneyParamValue {
  return typeof spec === 'object' ? spec.default : spec;
}

/** What is wrong with `value` for a parameter declared as `spec` (its type, its bounds), or undefined. */
export function paramProblem(spec: JourneyParamSpec, value: JourneyParamValue): string | undefined {
  const fallback = paramDefault(spec);
  if (typeof value !== typeof fallback) return `must be a ${typeof fallback}, as the journey's default ${JSON.stringify(fallback)} is (got ${JSON.stringify(value)})`;
  if (typeof spec !== 'object' || typeof value !== 'number') return undefined;
  if (spec.integer === true && !Number.isInteger(value)) return `must be a whole number (got ${value})`;
  if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min} (got ${value})`;
  if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max} (got ${value})`;
  return undefined;
}

export const journeyDeclarationSchema = z
  .strictObject({
    /** Lower-case words joined by '-': a metric label value and a URL segment. */
    name: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, "must be lower-case words joined by '-' (my-checkout)"),
    /** `browser`: a page in Chromium; `protocol`: HTTP calls and a WebSocket client, no browser. */
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
    /** How long one step may wait for what it waits on, ms; default min(15 s, timeoutMs). */
    stepTimeoutMs: z.number().int().min(100).max(300_000).optional(),
    /** Step name → latency objective, ms; a step not named gets DEFAULT_STEP_SLO_MS. */
    slo: z.record(z.string(), z.number().int().positive()).optional(),
    description: z.string().min(1),
    /**
     * The journey's own settings and their defaults (camelCase name → a number,
     * a string or a boolean, or a number with its bounds:
     * `{ default: 3, min: 2, max: 20, integer: true }`): a config's
     * `journeys.<name>.params` may change them, keeping each one's type and
     * bounds; the body reads them with `run.param()`.
     */
    params: z.record(z.string().regex(/^[a-z][a-zA-Z0-9]*$/, 'a parameter is camelCase (maxUsers)'), z.union([journeyParamValue, boundedNumberParam])).optional(),
  })
  .superRefine((declaration, context) => {
    for (const step of Object.keys(declaration.slo ?? {})) {
      if (!declaration.steps.includes(step)) context.addIssue({ code: 'custom', path: ['slo', step], message: `not a step of the journey (${declaration.steps.join(', ')})` });
    }
    if (declaration.stepTimeoutMs !== undefined && declaration.stepTimeoutMs > declaration.timeoutMs) {
      context.addIssue({ code: 'custom', path: ['stepTimeoutMs'], message: `${declaration.stepTimeoutMs} is longer than timeoutMs ${declaration.timeoutMs}` });
    }
  });

export type JourneyDeclaration = z.infer<typeof journeyDeclarationSchema>;

/**
 * A journey as the monitor knows it: its file's declaration, and the file.
 * `file` is relative to the project root ('/'-separated) when the file is
 * inside it, else absolute; `path.resolve(root, file)` gives the file either way.
 */
export interface JourneyDefinition extends JourneyDeclaration {
  readonly file: string;
}

/** A step's latency objective when neither the journey's file nor the config names one, ms. */
export const DEFAULT_STEP_SLO_MS = 5000;

/** A step's wait limit when neither the file nor the config gives one, ms (within the deadline: defaultStepTimeoutMs). */
export const DEFAULT_STEP_TIMEOUT_MS = 15_000;

/** A step's wait limit when neither the file nor the config gives one: DEFAULT_STEP_TIMEOUT_MS, or the whole deadline when shorter (ms). */
export function defaultStepTimeoutMs(timeoutMs: number): number {
  return Math.min(DEFAULT_STEP_TIMEOUT_MS, timeoutMs);
}
