import type { CliIo } from './usage.js';

/**
 * The step that runs now, on a terminal: its name and a running timer on one
 * line, redrawn in place, so a step that takes long is seen taking long
 * (`  ⠋ agent_request      3.2 s`). The step's final row replaces it when
 * the step ends. Off a terminal (a pipe, CI, a test), nothing is drawn and
 * the rows are plain lines, as before.
 */
export interface LiveProgress {
  /** A step began: draw it, and redraw its timer until it ends. */
  begin(step: string): void;
  /** Prints lines (a step's final row): the live line, if any, is cleared first, and drawn again below them while its step runs. */
  print(lines: readonly string[], stream?: 'out' | 'err'): void;
  /** The step ended: its live line goes. */
  end(step: string): void;
  /** Stops the timer and clears the line: on every way out of a run. Idempotent. */
  stop(): void;
}

export interface LiveProgressOptions {
  /** Redraw interval in ms (default 125). */
  readonly intervalMs?: number;
  /** Monotonic clock in ms (default performance.now). */
  readonly now?: () => number;
  /** The step name's column width, to line the timer up with the table's TIME column. */
  readonly nameWidth?: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Back to the start of the line and clear it (ECMA-48 EL, erase the whole line). */
const CLEAR_LINE = '\r\u001b[2K';

/** Whether `io` is a terminal that can take redraws: a TTY, a raw writer, and not TERM=dumb. */
export function canRedraw(io: CliIo): boolean {
  return io.tty === true && io.write !== undefined && io.env.TERM !== 'dumb';
}

/** A LiveProgress for `io`: drawing on a terminal (canRedraw), plain lines elsewhere. */
export function liveProgress(io: CliIo, options: LiveProgressOptions = {}): LiveProgress {
  const write = io.write;
  if (!canRedraw(io) || write === undefined) return plainProgress(io);
  const intervalMs = options.intervalMs ?? 125;
  const now = options.now ?? (() => performance.now());
  const width = options.nameWidth ?? 15;
  let current: { step: string; since: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  let drawn = false;

  const draw = () => {
    if (current === undefined) return;
    const seconds = ((now() - current.since) / 1000).toFixed(1);
    write(`${CLEAR_LINE}  ${FRAMES[frame % FRAMES.length] ?? '-'} ${current.step.padEnd(width)} ${`${seconds} s`.padStart(9)}`);
    frame++;
    drawn = true;
  };
  const clear = () => {
    if (drawn) write(CLEAR_LINE);
    drawn = false;
  };
  const stopTimer = () => {
    clearInterval(timer);
    timer = undefined;
  };

  return {
    begin(step) {
      clear();
      current = { step, since: now() };
      draw();
      if (timer === undefined) {
        timer = setInterval(draw, intervalMs);
        // A drawing never keeps the process alive: the run does, and stop() ends it on every way out.
        timer.unref();
      }
    },
    print(lines, stream = 'out') {
      clear();
      for (const line of lines) io[stream](line);
      draw();
    },
    end(step) {
      if (current?.step !== step) return;
      current = undefined;
      stopTimer();
      clear();
    },
    stop() {
      current = undefined;
      stopTimer();
      clear();
    },
  };
}

function plainProgress(io: CliIo): LiveProgress {
  return {
    begin: () => undefined,
    print: (lines, stream = 'out') => {
      for (const line of lines) io[stream](line);
    },
    end: () => undefined,
    stop: () => undefined,
  };
}
