import type { Socket } from 'node:net';

/**
 * A runner's go connections, in the order its tests open them: each is one
 * test waiting for its go (src/run/runner-pool.ts). Closing it hangs up on
 * every one still queued.
 */
export class GoQueue {
  private readonly queuedNow: Socket[] = [];
  private readonly onQueued: (() => void)[] = [];
  private waiter: ((socket: Socket) => void) | undefined;
  private closed = false;
  private arrived: () => void = () => undefined;
  private readonly first = new Promise<void>((resolveFirst) => {
    this.arrived = resolveFirst;
  });

  /** A test connected and waits for its go (after close(), it is hung up on at once). */
  push(socket: Socket): void {
    this.arrived();
    for (const resolveQueued of this.onQueued.splice(0)) resolveQueued();
    if (this.closed) {
      socket.destroy();
      return;
    }
    // A test that dies while it waits (its worker crashed, its wait timed out) hangs up: it is no longer waiting.
    socket.once('close', () => {
      const at = this.queuedNow.indexOf(socket);
      if (at >= 0) this.queuedNow.splice(at, 1);
    });
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) waiter(socket);
    else this.queuedNow.push(socket);
  }

  /** The next test waiting for its go (one caller at a time: a runner serves one run at once). */
  next(): Promise<Socket> {
    let socket = this.queuedNow.shift();
    while (socket?.destroyed === true) socket = this.queuedNow.shift();
    if (socket !== undefined) return Promise.resolve(socket);
    return new Promise<Socket>((resolveNext) => {
      this.waiter = resolveNext;
    });
  }

  /** Settles once the first test waits for its go. */
  waiting(): Promise<void> {
    return this.first;
  }

  /** Settles once a test waits for its go: now, or at the next connection. */
  queued(): Promise<void> {
    if (this.queuedNow.length > 0 || this.closed) return Promise.resolve();
    return new Promise<void>((resolveQueued) => {
      this.onQueued.push(resolveQueued);
    });
  }

  /** Hangs up on every test still waiting, and on any that connects later. */
  close(): void {
    this.closed = true;
    for (const socket of this.queuedNow.splice(0)) socket.destroy();
    for (const resolveQueued of this.onQueued.splice(0)) resolveQueued();
  }
}
