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

/** The frames of a run, both ways, with their times; written redacted as JSONL. */
export class Transcript {
  private readonly entries: TranscriptEntry[] = [];
  private static readonly MAX_ENTRIES = 5000;
  private static readonly MAX_FRAME_CHARS = 16_384;

  add(entry: TranscriptEntry): void {
    if (this.entries.length >= Transcript.MAX_ENTRIES) return;
    const data = entry.data !== undefined && entry.data.length > Transcript.MAX_FRAME_CHARS ? `${entry.data.slice(0, Transcript.MAX_FRAME_CHARS)}…` : entry.data;
    this.entries.push({ ...entry, t: Math.round(entry.t * 1000) / 1000, ...(data !== undefined ? { data } : {}) });
  }

  get size(): number {
    return this.entries.length;
  }

  write(path: string, redactor: Redactor): number {
    const body = this.entries.map((entry) => JSON.stringify(entry)).join('\n') + (this.entries.length > 0 ? '\n' : '');
    const redacted = redactor.text(body);
    writeFileSync(path, redacted);
    return Buffer.byteLength(redacted);
  }
}
