import { z } from 'zod';
import { targetSchema } from '../model/target.js';
import { cronSchema } from '../model/cron.js';
import { journeyParamValue } from '../model/journey.js';

/**
 * `monitor.config.ts`: what the monitor watches and how. Every field is
 * checked at load; unknown keys are refused; every problem is named by its
 * path at once. Secrets never live here: a target names the environment
 * variables that hold them.
 */

const seconds = z.array(z.number().positive()).min(1).refine((b) => b.every((v, i) => i === 0 || v > (b[i - 1] ?? 0)), 'bucket bounds must increase');
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name (A-Z, 0-9, _)');

/** A target as the model knows it, plus the names of the environment variables that hold its secrets. */
export const targetConfigSchema = targetSchema.extend({
  /** Environment variable holding the password (form login). */
  passwordEnv: envName.optional(),
  /** Environment variable holding the E2E bypass key (bypass login). */
  bypassKeyEnv: envName.optional(),
});

export const journeyConfigSchema = z.strictObject({
  enabled: z.boolean().optional(),
  schedule: cronSchema.optional(),
  timeoutMs: z.number().int().min(1000).max(600_000).optional(),
  stepTimeoutMs: z.number().int().min(100).max(300_000).optional(),
  /** Per-step latency objectives in ms: drawn on dashboards, used as bucket bounds. */
  slo: z.record(z.string(), z.number().int().positive()).optional(),
  /** Failed runs in a row before the golden path is down and pages; one failed run alone never pages. */
  pageAfterFailures: z.number().int().min(2).max(100).optional(),
  prompt: z.string().min(1).max(4000).optional(),
  expectedAnswer: z
    .string()
    .min(1)
    .refine((source) => {
      try {
        new RegExp(source);
        return true;
      } catch {
        return false;
      }
    }, 'is not a valid regular expression')
    .optional(),
  /** Target names; all targets when absent. */
  targets: z.array(z.string()).min(1).optional(),
  /** The journey's own parameters (its file's `params`), each keeping the type of the file's default. */
  params: z.record(z.string(), journeyParamValue).optional(),
});

export const monitorConfigSchema = z.strictObject({
  targets: z.array(targetConfigSchema).optional(),
  /**
   * More folders of journey files, beside the shipped journeys/ (relative to the config file's folder): every
   * `*.spec.ts` there that declares a journey with defineJourney is one (docs/journeys-as-code.md).
   */
  journeyDirs: z.array(z.string().min(1, 'must name a folder')).max(100).optional(),
  /** Settings per journey, by the name its file declares; a journey not named here runs with its file's defaults. */
  journeys: z.record(z.string(), journeyConfigSchema).optional(),
  metrics: z
    .strictObject({
      stepBucketsSeconds: seconds.optional(),
      eventBucketsSeconds: seconds.optional(),
      journeyBucketsSeconds: seconds.optional(),
    })
    .optional(),
  retention: z
    .strictObject({
      maxAgeDays: z.number().positive().optional(),
      maxRuns: z.number().int().positive().optional(),
      failedMaxAgeDays: z.number().positive().optional(),
      failedMaxRuns: z.number().int().positive().optional(),
    })
    .optional(),
  server: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.number().int().min(0).max(65535).optional(),
      /**
       * The absolute http(s) URL people reach this gpmon at (https://gpmon.example.com, or with a path prefix
       * behind a proxy): alert annotations and the dashboard link to the console from it. No user name or
       * password, no ?query or #fragment. GPMON_EXTERNAL_URL, when set, wins.
       */
      externalUrl: z.string().optional(),
      /**
       * The runbook's base URL; its anchors are the alert names lower-cased (#goldenpathdown). Default: the
       * monitor's own copy, `<externalUrl>/runbook`. GPMON_RUNBOOK_URL, when set, wins.
       */
      runbookUrl: z.string().optional(),
    })
    .optional(),
  runs: z
    .strictObject({
      dir: z.string().min(1).optional(),
      database: z.string().min(1).optional(),
      concurrency: z.number().int().min(1).max(64).optional(),
      jitterMs: z.number().int().min(0).max(60_000).optional(),
      /** Load each journey's next run ahead of its tick (fast, costs memory per journey and target). */
      prewarm: z.boolean().optional(),
      /**
       * Runs one loaded journey process (a warm runner: Playwright's runner, a worker, a browser) serves
       * before it is replaced; each run still gets a fresh browser context, fixtures and artifact folder.
       * 1 starts a process per run. Only with prewarm.
       */
      runnerRuns: z.number().int().min(1).max(1000).optional(),
      /** A runner whose process tree holds more resident memory than this after a run (MB, summed over its processes) is replaced. */
      runnerRssMb: z.number().int().min(100).max(100_000).optional(),
      /** A failed browser run's trace has the screencast (a film strip) too; off by default, since it is most of tracing's CPU. */
      traceScreenshots: z.boolean().optional(),
      /**
       * More environment variables a journey's process inherits (a journey of your own that reads one).
       * Journeys get only an allow-list of the monitor's environment (PATH, HOME, locale, proxies, CAs)
       * and their own target's secret, never another target's secret or GPMON_API_TOKEN.
       */
      passEnv: z.array(envName).max(100).optional(),
    })
    .optional(),
});

export type MonitorConfigInput = z.input<typeof monitorConfigSchema>;
export type TargetConfigInput = z.input<typeof targetConfigSchema>;

/** Typed config with editor help; validation happens at load. */
export function defineConfig(config: MonitorConfigInput): MonitorConfigInput {
  return config;
}
