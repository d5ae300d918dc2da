import { test } from '@playwright/test';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Target, TargetSecrets } from '../model/target.js';
import type { RunInputs } from '../model/run-record.js';
import type { KnownMarkName, KnownMarks } from '../model/marks.js';
import { JourneyFailure, classify } from './failure.js';
import { KIT_ATTACHMENT } from '../protocol/child.js';
import { Redactor } from '../secrets/redactor.js';
import { Transcript } from './transcript.js';
import { raceTimeout } from '../time/race-timeout.js';

export interface StepControl {
  /** The step's duration as the journey measured it where the user is (page or client clock). */
  measured(ms: number): void;
}

/** Records one of the kit's attachments (a mark, a secret, a failure, a step's timing, an artifact) for the reporter. */
export type Attacher = (name: string, options: { body: string; contentType: string }) => Promise<void>;

/**
 * Where a run's steps run. Under Playwright (the default) each is a
 * `test.step`, so it shows in the report, the trace and UI mode, and its
 * attachments reach the NDJSON reporter; a test may run a journey's code
 * in-process with a host that records the same attachments
 * (test/helpers/in-process-run.ts).
 */
export interface StepHost {
  /** Runs `body` as the step `name`; what it attaches belongs to that step. Rethrows what `body` throws. */
  step(name: string, body: (attach: Attacher) => Promise<void>): Promise<void>;
  /** The failures recorded without a throw so far (Playwright's expect.soft), in order: a step that adds one has failed. */
  softFailures?(): readonly { readonly message?: string }[];
}

/** Steps as Playwright test steps, their attachments on the step; soft assertions from the test's errors. */
export const PLAYWRIGHT_STEPS: StepHost = {
  step: (name, body) => test.step(name, (stepInfo) => body((n, options) => stepInfo.attach(n, options))),
  softFailures: () => test.info().errors,
};

/**
 * How long past its step timeout a step may run before the kit ends it as
 * `timeout`, ms: a quarter of the step timeout, at least 2 s. A step's own
 * waits end at the step timeout and name what they waited for; this catches a
 * call that takes no timeout (a fetch without a signal, a promise that never
 * settles), which would otherwise run into the journey's deadline.
 */
export function stepGraceMs(stepTimeoutMs: number): number {
  return Math.max(2000, Math.round(stepTimeoutMs / 4));
}

/**
 * One run of a journey, as the journey code sees it: the target, its inputs,
 * a monotonic clock, the transcript, and `step()`, which wraps `test.step` so
 * every failure leaves with a reason, a message and evidence.
 */
export class JourneyRun {
  readonly redactor: Redactor;
  readonly transcript = new Transcript();
  /** Epoch ms (high resolution) when the run began: the zero of `clock()`. */
  readonly startedAtEpochMs: number;
  private readonly origin: number;
  private pendingMarks: { name: string; value: unknown }[] = [];
  private pendingSecrets: string[] = [];
  private readonly extraArtifacts: { name: string; write: (path: string) => void }[] = [];
  private readonly refiners: ((failure: JourneyFailure) => Promise<JourneyFailure>)[] = [];
  private readonly bodyEndWork: (() => Promise<void>)[] = [];
  /** Declared steps begun so far, in order. */
  private readonly ranSteps: string[] = [];
  private declaredSteps: readonly string[] | undefined;
  /** The journey file that declared them, as a step error names it. */
  private declaringFile: string | undefined;

  constructor(
    readonly runId: string,
    readonly target: Target,
    readonly secrets: TargetSecrets,
    readonly inputs: RunInputs,
    readonly stepTimeoutMs: number,
    readonly artifactDir: string,
    /** Secrets travel to the executor only when one listens (never in a by-hand run's report). */
    private readonly reportSecrets: boolean,
    private readonly host: StepHost = PLAYWRIGHT_STEPS,
  ) {
    this.origin = performance.now();
    this.startedAtEpochMs = performance.timeOrigin + this.origin;
    this.redactor = new Redactor([secrets.password, secrets.bypassKey]);
    mkdirSync(artifactDir, { recursive: true });
  }

  /** ms since the run began, monotonic. */
  clock = (): number => performance.now() - this.origin;

  /**
   * A parameter of the journey (its file's `params`, as the config set it),
   * or `fallback` when the run was given none of that type (a run by hand, or
   * a file that declares none): pass the file's own default.
   */
  param<T extends number | string | boolean>(name: string, fallback: T): T {
    const value = this.inputs.params?.[name];
    return (typeof value === typeof fallback ? value : fallback) as T;
  }

  /** Converts an epoch time (such as a page's timeOrigin + now) to the run clock. */
  fromEpoch(epochMs: number): number {
    return epochMs - this.startedAtEpochMs;
  }

  /**
   * Records a fact of the run in its record's `marks`: a known name
   * (src/model/marks.ts) takes its known shape; a journey's own name, any
   * JSON value. Redacted with the run's secrets before it leaves the process.
   */
  mark<K extends KnownMarkName>(name: K, value: KnownMarks[K]): void;
  mark(name: string, value: unknown): void;
  mark(name: string, value: unknown): void {
    this.pendingMarks.push({ name, value });
  }

  /** A token or other secret the run obtained: redacted from everything it stores. */
  secret(value: string | undefined): void {
    if (value === undefined || value === '') return;
    this.redactor.add(value);
    this.pendingSecrets.push(value);
  }

  /**
   * The steps the journey's file declares (defineJourney): a step of another name is an authoring error,
   * the monitor's (`monitor_error`), never a verdict on the target; and it would be a metric label no
   * dashboard or alert expects.
   */
  declareSteps(steps: readonly string[], file?: string): void {
    this.declaredSteps = steps;
    this.declaringFile = file;
  }

  async step(name: string, body: (control: StepControl) => Promise<void> | void): Promise<void> {
    await this.host.step(name, async (attach) => {
      const started = this.clock();
      let measured: number | undefined;
      const control: StepControl = {
        measured: (ms) => {
          measured = ms;
        },
      };
      try {
        if (this.declaredSteps !== undefined) this.checkOrder(name, this.declaredSteps);
        const softBefore = this.host.softFailures?.().length ?? 0;
        const limit = this.stepTimeoutMs + stepGraceMs(this.stepTimeoutMs);
        const late = Symbol('late');
        const ended = await raceTimeout(Promise.resolve(body(control)), limit, late);
        if (ended === late) {
          throw new JourneyFailure('timeout', `step "${name}" did not finish within its step timeout of ${this.stepTimeoutMs} ms (ended at ${limit} ms): something it waited on never answered, and had no timeout of its own`, { stepTimeoutMs: this.stepTimeoutMs });
        }
        // A soft assertion (expect.soft) fails its step as a thrown one does: the run stops there.
        const soft = this.host.softFailures?.().slice(softBefore) ?? [];
        if (soft[0] !== undefined) throw new Error(soft[0].message ?? 'a soft assertion failed');
      } catch (error) {
        let failure = classify(error);
        for (const refine of this.refiners) failure = await refine(failure).catch(() => failure);
        // What Playwright prints and keeps (the terminal, the trace, the error context) gets the redacted failure only.
        const redacted = new JourneyFailure(failure.reason, this.redactor.text(failure.detail), this.redactor.value(failure.evidence));
        await attach(KIT_ATTACHMENT.failure, json({ reason: redacted.reason, message: redacted.detail, evidence: redacted.evidence }));
        throw redacted;
      } finally {
        await attach(KIT_ATTACHMENT.timing, json({ durationMs: measured ?? this.clock() - started, measured: measured !== undefined }));
        await this.flush(attach);
      }
    });
  }

  async flush(attach: Attacher): Promise<void> {
    const marks = this.pendingMarks;
    const secrets = this.pendingSecrets;
    this.pendingMarks = [];
    this.pendingSecrets = [];
    if (this.reportSecrets) for (const value of secrets) await attach(KIT_ATTACHMENT.secret, json({ value }));
    for (const mark of marks) await attach(KIT_ATTACHMENT.mark, json({ name: mark.name, value: this.redactor.value(mark.value) }));
  }

  /**
   * Adds a second look at a step's failure before it is reported: what the
   * journey knows that an exception does not (a browser journey asks whether
   * its page still answers, since a frozen page makes every action time out).
   * A refiner that throws leaves the failure as it was.
   */
  refine(refiner: (failure: JourneyFailure) => Promise<JourneyFailure>): void {
    this.refiners.push(refiner);
  }

  /** A file the journey adds to the run's artifacts, written (redacted by the writer) when the run ends. */
  addArtifact(name: string, write: (path: string) => void): void {
    this.extraArtifacts.push({ name, write });
  }

  /** Writes the run's own artifacts and hands their paths to the reporter through `attach` (the test's, not a step's). */
  /**
   * A step may run only if the file declares it, once, and after the
   * declared steps before it that ran: the record lists steps in the declared
   * order, and a metric label or an alert must never name a step out of it.
   * Throws the monitor's error (an authoring error, not a verdict on the target).
   */
  private checkOrder(name: string, declared: readonly string[]): void {
    const where = this.declaringFile === undefined ? 'the journey declares' : `${this.declaringFile} declares`;
    const evidence = { step: name, declared: [...declared] };
    if (!declared.includes(name)) throw new JourneyFailure('monitor_error', `step "${name}" is not one of the steps ${where} (${declared.join(', ')})`, evidence);
    if (this.ranSteps.includes(name)) throw new JourneyFailure('monitor_error', `step "${name}" runs a second time; ${where} each step once, in order (${declared.join(', ')})`, evidence);
    const last = this.ranSteps.at(-1);
    if (last !== undefined && declared.indexOf(name) < declared.indexOf(last)) {
      throw new JourneyFailure('monitor_error', `step "${name}" runs after "${last}", but ${where} it before (${declared.join(', ')})`, evidence);
    }
    this.ranSteps.push(name);
  }

  /**
   * Work to do once the journey's body has ended, pass or fail, while its
   * page is still open (the page probe writes the page's socket activity into
   * the transcript). The kit's fixtures run it; a failure of one is noted as
   * a mark, never a verdict.
   */
  whenBodyEnds(work: () => Promise<void>): void {
    this.bodyEndWork.push(work);
  }

  /** Runs the whenBodyEnds work, once (the page fixture's teardown, or finish for a journey without a page). */
  async bodyEnded(): Promise<void> {
    const work = this.bodyEndWork.splice(0);
    for (const item of work) {
      try {
        await item();
      } catch (error) {
        this.mark('bodyEndProblem', this.redactor.text(error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error)));
      }
    }
  }

  async finish(attach: Attacher): Promise<void> {
    await this.bodyEnded();
    await this.flush(attach);
    const files = [{ name: 'transcript.jsonl', write: (path: string) => this.transcript.write(path, this.redactor) }, ...this.extraArtifacts];
    for (const file of files) {
      const path = join(this.artifactDir, file.name);
      file.write(path);
      await attach(KIT_ATTACHMENT.artifact, json({ name: file.name, path }));
    }
  }
}

function json(value: unknown): { body: string; contentType: string } {
  return { body: JSON.stringify(value), contentType: 'application/json' };
}
