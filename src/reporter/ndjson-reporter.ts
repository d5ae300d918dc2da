import { writeSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestError, TestResult, TestStep } from '@playwright/test/reporter';
import { CHILD_ENV, KIT_ATTACHMENT, type ChildEvent } from '../protocol/child.js';

type Attachment = TestResult['attachments'][number];

/**
 * Streams a journey run as typed NDJSON events to a file descriptor the
 * executor reads (GPMON_EVENTS_FD): step begin and end (user `test.step`s at
 * the top level only), marks, secrets to redact, artifacts, and the end. It
 * never breaks the run: a write that fails turns the reporter off, nothing more.
 */
export default class NdjsonReporter implements Reporter {
  private fd: number | undefined;
  // Step attachments reappear in the test result's list: each is reported once.
  private readonly seen = new WeakSet<Attachment>();

  constructor(options: { fd?: number } = {}) {
    const fromEnv = Number(process.env[CHILD_ENV.eventsFd]);
    this.fd = options.fd ?? (Number.isInteger(fromEnv) && fromEnv > 2 ? fromEnv : undefined);
  }

  printsToStdio(): boolean {
    return false;
  }

  onBegin(_config: FullConfig, suite: Suite): void {
    this.emit({ type: 'begin', pid: process.pid, tests: suite.allTests().length });
  }

  onTestBegin(_test: TestCase, result: TestResult): void {
    this.emit({ type: 'test_begin', at: result.startTime.toISOString() });
  }

  onStepBegin(_test: TestCase, _result: TestResult, step: TestStep): void {
    if (!isJourneyStep(step)) return;
    this.emit({ type: 'step_begin', step: step.title, at: step.startTime.toISOString() });
  }

  onStepEnd(_test: TestCase, _result: TestResult, step: TestStep): void {
    if (step.category !== 'test.step') return;
    // Marks and secrets may come from nested steps too; only top-level steps are reported as steps.
    const kit = readKitAttachments(this.fresh(step.attachments));
    for (const event of kit.events) this.emit(event);
    if (!isJourneyStep(step)) return;
    this.emit({
      type: 'step_end',
      step: step.title,
      status: step.error === undefined ? 'passed' : 'failed',
      startedAt: step.startTime.toISOString(),
      durationMs: kit.timing?.durationMs ?? step.duration,
      measured: kit.timing?.measured ?? false,
      ...(kit.failure !== undefined ? { failure: kit.failure } : {}),
      ...(step.error !== undefined ? { error: firstLine(step.error) } : {}),
    });
  }

  onTestEnd(_test: TestCase, result: TestResult): void {
    const attachments = this.fresh(result.attachments);
    const kit = readKitAttachments(attachments);
    for (const event of kit.events) this.emit(event);
    for (const attachment of attachments) {
      // Playwright's own artifacts: the trace and the failure screenshot.
      if (attachment.path !== undefined && !attachment.name.startsWith('gpmon/')) {
        this.emit({ type: 'artifact', name: attachment.name, path: attachment.path, contentType: attachment.contentType });
      }
    }
    this.emit({
      type: 'test_end',
      status: result.status,
      durationMs: result.duration,
      ...(result.error !== undefined ? { error: firstLine(result.error) } : {}),
      ...(kit.runId !== undefined ? { runId: kit.runId } : {}),
    });
  }

  onError(error: TestError): void {
    this.emit({ type: 'runner_error', message: firstLine(error) });
  }

  onEnd(result: FullResult): void {
    this.emit({ type: 'end', status: result.status });
  }

  private fresh(attachments: readonly Attachment[]): Attachment[] {
    const out = attachments.filter((attachment) => !this.seen.has(attachment));
    for (const attachment of out) this.seen.add(attachment);
    return out;
  }

  private emit(event: ChildEvent): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, `${JSON.stringify(event)}\n`);
    } catch {
      // The executor is gone or the pipe broke: the run goes on, unreported.
      this.fd = undefined;
    }
  }
}

function isJourneyStep(step: TestStep): boolean {
  return step.category === 'test.step' && step.parent === undefined;
}

function firstLine(error: TestError): string {
  return plainFirstLine(error.message ?? error.value ?? 'unknown error');
}

/** An error message as the record keeps it: plain text (Playwright colours messages for terminals), its first line, 500 characters at most. */
export function plainFirstLine(message: string): string {
  return (stripVTControlCharacters(message).split('\n')[0] ?? '').slice(0, 500);
}

/** What the journey kit attached to a step or a test, read back as child events. */
export interface KitAttachments {
  timing?: { durationMs: number; measured: boolean };
  failure?: Extract<ChildEvent, { type: 'step_end' }>['failure'];
  /** The run whose go the test took. */
  runId?: string;
  events: ChildEvent[];
}

/**
 * Reads the kit's attachments (names under `gpmon/`, JSON bodies): the step's
 * timing and failure, and the marks, secrets and artifacts as events, in the
 * order attached. Other attachments and unreadable bodies are passed over.
 */
export function readKitAttachments(attachments: readonly { readonly name: string; readonly body?: Buffer | undefined }[]): KitAttachments {
  const out: KitAttachments = { events: [] };
  for (const attachment of attachments) {
    if (!attachment.name.startsWith('gpmon/') || attachment.body === undefined) continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(attachment.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      continue;
    }
    switch (attachment.name) {
      case KIT_ATTACHMENT.timing:
        out.timing = { durationMs: Number(value.durationMs), measured: value.measured === true };
        break;
      case KIT_ATTACHMENT.failure:
        out.failure = value as unknown as KitAttachments['failure'];
        break;
      case KIT_ATTACHMENT.mark:
        out.events.push({ type: 'mark', name: String(value.name), value: value.value });
        break;
      case KIT_ATTACHMENT.secret:
        out.events.push({ type: 'secret', value: String(value.value) });
        break;
      case KIT_ATTACHMENT.run:
        if (typeof value.runId === 'string') out.runId = value.runId;
        break;
      case KIT_ATTACHMENT.artifact:
        out.events.push({ type: 'artifact', name: String(value.name), path: String(value.path), contentType: 'application/octet-stream' });
        break;
    }
  }
  return out;
}
