import type { RunRecord, RunStart } from '../model/run-record.js';
import { isBusy, type RunStore } from './run-store.js';

export interface HistoryWriterOptions {
  /** First wait before a failed write is tried again, in ms; it doubles up to `maxDelayMs`. */
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
  /** How long a write is retried before it counts as lost, in ms. */
  readonly giveUpAfterMs?: number;
  /** A write failed and waits to be tried again (once per run id and episode). */
  readonly onDeferred?: (id: string, error: unknown) => void;
  /** A deferred write got through. */
  readonly onStored?: (id: string, attempts: number) => void;
  /** A write that could not be stored (in time, or at all: a full disk, a read-only or corrupt file): the run is not in the history. */
  readonly onLost?: (id: string, error: unknown) => void;
  /** Which errors are retried; others are reported lost at once. Default: SQLite's busy and locked answers. */
  readonly isTransient?: IsTransient;
}

/** Whether a failed write is worth trying again: the database was locked by another connection. */
export type IsTransient = (error: unknown) => boolean;

type Pending =
  | { readonly kind: 'started'; readonly id: string; readonly value: RunStart; readonly since: number; attempts: number; lastError: unknown }
  | { readonly kind: 'finished'; readonly id: string; readonly value: RunRecord; readonly since: number; attempts: number; lastError: unknown };

const DEFAULTS = { firstDelayMs: 250, maxDelayMs: 5_000, giveUpAfterMs: 10 * 60 * 1000 };

/**
 * Writes runs to the history without ever waiting on it: the store answers
 * at once (its busy timeout is 0, so a lock held elsewhere never blocks the
 * event loop), and a write that could not go through is kept and tried again
 * with backoff, in memory, until it is stored or `giveUpAfterMs` has passed
 * (then it is reported lost, with its run id). A run's finished record
 * replaces its pending start: a late retry never turns a finished run back
 * into one in flight.
 */
export class HistoryWriter {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private delayMs: number;
  private readonly options: Required<Pick<HistoryWriterOptions, 'firstDelayMs' | 'maxDelayMs' | 'giveUpAfterMs'>> & HistoryWriterOptions;

  constructor(
    private readonly store: Pick<RunStore, 'runStarted' | 'runFinished'>,
    options: HistoryWriterOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.delayMs = this.options.firstDelayMs;
  }

  runStarted(start: RunStart): void {
    this.write({ kind: 'started', id: start.id, value: start, since: Date.now(), attempts: 0, lastError: undefined });
  }

  runFinished(record: RunRecord): void {
    this.pending.delete(record.id);
    this.write({ kind: 'finished', id: record.id, value: record, since: Date.now(), attempts: 0, lastError: undefined });
  }

  /** Run ids whose writes wait to be tried again. */
  get waiting(): string[] {
    return [...this.pending.keys()];
  }

  /**
   * Tries every waiting write once more now; what still fails is reported
   * lost. For shutdown: returns the ids that were lost.
   */
  flush(): string[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.retry(true);
  }

  private write(entry: Pending): void {
    if (this.attempt(entry)) return;
    if (!(this.options.isTransient ?? isBusy)(entry.lastError)) {
      this.options.onLost?.(entry.id, entry.lastError);
      return;
    }
    this.pending.set(entry.id, entry);
    this.options.onDeferred?.(entry.id, entry.lastError);
    this.schedule();
  }

  /** One try; true when it went through. */
  private attempt(entry: Pending): boolean {
    entry.attempts++;
    try {
      if (entry.kind === 'started') this.store.runStarted(entry.value);
      else this.store.runFinished(entry.value);
      return true;
    } catch (error) {
      entry.lastError = error;
      return false;
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retry(false);
    }, this.delayMs);
    // A pending write never keeps a stopped monitor alive: shutdown flushes.
    this.timer.unref();
  }

  private retry(final: boolean): string[] {
    const lost: string[] = [];
    let allStored = true;
    // In the order they came: an older run's record first.
    for (const entry of [...this.pending.values()]) {
      if (this.attempt(entry)) {
        this.pending.delete(entry.id);
        this.options.onStored?.(entry.id, entry.attempts);
        continue;
      }
      allStored = false;
      if (final || Date.now() - entry.since >= this.options.giveUpAfterMs || !(this.options.isTransient ?? isBusy)(entry.lastError)) {
        this.pending.delete(entry.id);
        lost.push(entry.id);
        this.options.onLost?.(entry.id, entry.lastError);
      }
    }
    this.delayMs = allStored ? this.options.firstDelayMs : Math.min(this.delayMs * 2, this.options.maxDelayMs);
    this.schedule();
    return lost;
  }
}
