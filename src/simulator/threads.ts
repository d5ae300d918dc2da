import { randomUUID } from 'node:crypto';

/**
 * The threads the simulated platform remembers (contract §8, "threads"): who
 * owns each and what its first request was, so a follow-up is answered in its
 * thread's context. Bounded, for a server that runs for weeks with a run every
 * few seconds: past `maxThreads` the oldest thread (first created) is forgotten,
 * and a follow-up naming it gets THREAD_NOT_FOUND like any unknown thread.
 */

export interface ThreadRecord {
  readonly id: string;
  /** The user id of the socket that created the thread. */
  readonly owner: string;
  /** The thread's first request, kept to `maxRequestChars` (an answer quotes fewer). */
  readonly firstRequest: string;
}

export interface ThreadStoreOptions {
  /** Threads kept at most; the oldest goes first. */
  readonly maxThreads?: number;
  /** Characters of a first request kept: an answer quotes 200, so any cap above that changes no answer. */
  readonly maxRequestChars?: number;
}

export const DEFAULT_MAX_THREADS = 10_000;
export const DEFAULT_MAX_REQUEST_CHARS = 1000;

export class ThreadStore {
  /** Insertion order is creation order: the first key is the oldest thread. */
  private readonly threads = new Map<string, ThreadRecord>();
  readonly maxThreads: number;
  readonly maxRequestChars: number;

  constructor(options: ThreadStoreOptions = {}) {
    this.maxThreads = options.maxThreads ?? DEFAULT_MAX_THREADS;
    this.maxRequestChars = options.maxRequestChars ?? DEFAULT_MAX_REQUEST_CHARS;
    if (!Number.isInteger(this.maxThreads) || this.maxThreads < 1) throw new RangeError(`maxThreads must be a whole number from 1: ${this.maxThreads}`);
    if (!Number.isInteger(this.maxRequestChars) || this.maxRequestChars < 1) {
      throw new RangeError(`maxRequestChars must be a whole number from 1: ${this.maxRequestChars}`);
    }
  }

  /** A new thread of `owner`, `firstRequest` its first request; the oldest thread is forgotten past the bound. */
  create(owner: string, firstRequest: string): ThreadRecord {
    const thread: ThreadRecord = { id: `thread_${randomUUID()}`, owner, firstRequest: firstRequest.slice(0, this.maxRequestChars) };
    while (this.threads.size >= this.maxThreads) {
      const oldest = this.threads.keys().next();
      if (oldest.done === true) break;
      this.threads.delete(oldest.value);
    }
    this.threads.set(thread.id, thread);
    return thread;
  }

  /** The thread `id` if `owner` owns it; undefined for a thread unknown (or forgotten) and for another user's. */
  find(id: string, owner: string): ThreadRecord | undefined {
    const thread = this.threads.get(id);
    return thread?.owner === owner ? thread : undefined;
  }

  get size(): number {
    return this.threads.size;
  }
}
