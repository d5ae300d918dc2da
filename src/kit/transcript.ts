import { writeFileSync } from 'node:fs';
import type { Redactor } from '../secrets/redactor.js';

/** One line of the WebSocket transcript artifact. */
export interface TranscriptEntry {
  /** ms since the run's clock started (monotonic). */
  readonly t: number;
  readonly dir: 'in' | 'out' | 'event';
  readonly data?: string;
  readonly event?: string;
  readonly detail?: Record<string, unknown>;
}

/**
 * The frames of a run, both ways, with their times; written redacted as
 * JSONL. A long stream keeps its first HEAD entries and its last TAIL, with
 * one line between them that counts what was let go: the end of a run (its
 * last events, its close) is never the part lost.
 */
export class Transcript {
  private readonly head: TranscriptEntry[] = [];
  private tail: TranscriptEntry[] = [];
  private dropped = 0;
  private firstDroppedAt: number | undefined;
  private static readonly HEAD = 1000;
  private static readonly TAIL = 4000;
  private static readonly MAX_FRAME_CHARS = 16_384;

  add(entry: TranscriptEntry): void {
    const data = entry.data !== undefined && entry.data.length > Transcript.MAX_FRAME_CHARS ? `${entry.data.slice(0, Transcript.MAX_FRAME_CHARS)}…` : entry.data;
    const kept = { ...entry, t: Math.round(entry.t * 1000) / 1000, ...(data !== undefined ? { data } : {}) };
    if (this.head.length < Transcript.HEAD) {
      this.head.push(kept);
      return;
    }
    this.tail.push(kept);
    // Trimmed in batches, so a flood costs amortised O(1) per entry.
    if (this.tail.length >= Transcript.TAIL * 2) {
      const cut = this.tail.length - Transcript.TAIL;
      this.firstDroppedAt ??= this.tail[0]?.t;
      this.tail = this.tail.slice(cut);
      this.dropped += cut;
    }
  }

  /** Entries kept (head and tail), and how many were let go between them. */
  get size(): number {
    return this.head.length + Math.min(this.tail.length, Transcript.TAIL);
  }

  get droppedEntries(): number {
    return this.dropped + Math.max(0, this.tail.length - Transcript.TAIL);
  }

  write(path: string, redactor: Redactor): number {
    const over = Math.max(0, this.tail.length - Transcript.TAIL);
    const tail = this.tail.slice(over);
    const dropped = this.dropped + over;
    const gap: TranscriptEntry[] = dropped > 0 ? [{ t: this.firstDroppedAt ?? this.tail[0]?.t ?? 0, dir: 'event', event: 'entries_dropped', detail: { entries: dropped } }] : [];
    const entries = [...this.head, ...gap, ...tail];
    const body = entries.map((entry) => JSON.stringify(entry)).join('\n') + (entries.length > 0 ? '\n' : '');
    const redacted = redactor.text(body);
    writeFileSync(path, redacted);
    return Buffer.byteLength(redacted);
  }
}
