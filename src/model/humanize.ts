import cronstrue from 'cronstrue';

/**
 * Times, durations, schedules and ratios as a person says them, for the
 * console and the CLI. Relative times come from Intl.RelativeTimeFormat (in
 * Node and every browser: no library, no locale data to ship); schedules from
 * cronstrue (cron to English, seconds fields included, as node-cron takes them).
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Largest unit first: a time is said in the largest unit it holds at least once. */
const UNITS: readonly (readonly [Intl.RelativeTimeFormatUnit, number])[] = [
  ['year', 365 * DAY],
  ['month', 30 * DAY],
  ['week', 7 * DAY],
  ['day', DAY],
  ['hour', HOUR],
  ['minute', MINUTE],
  ['second', SECOND],
];

const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'auto', style: 'long' });

/**
 * `iso` relative to `now` (epoch ms): "3 minutes ago", "in 2 hours", "yesterday",
 * "now" (under a second). An unreadable time is returned as given.
 */
export function relativeTime(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return iso;
  const diff = at - now;
  const size = Math.abs(diff);
  for (const [unit, ms] of UNITS) {
    if (size >= ms || unit === 'second') {
      // Half a unit rounds away from now either way (Math.round alone would round -1.5 to -1).
      const amount = Math.round(size / ms);
      return RELATIVE.format(amount === 0 ? 0 : Math.sign(diff) * amount, unit);
    }
  }
  return iso;
}

/**
 * A duration in ms as a person reads it: "350 ms", "1.2 s", "45 s", "3 min 20 s",
 * "2 h 5 min", "3 d 4 h". Negative or not finite: "0 ms".
 */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0 ms';
  if (Math.round(ms) < SECOND) return `${Math.round(ms)} ms`;
  if (ms < 9.95 * SECOND) return `${(ms / SECOND).toFixed(1)} s`;
  // Whole seconds from here: each unit is said with the next smaller one, rounded once (59.6 s is "1 min").
  const seconds = Math.round(ms / SECOND);
  if (seconds < 60) return `${seconds} s`;
  const two = (big: number, bigUnit: string, small: number, smallUnit: string, of: number): string => {
    const whole = Math.floor(of / big);
    const rest = Math.floor((of % big) / small);
    return rest === 0 ? `${whole} ${bigUnit}` : `${whole} ${bigUnit} ${rest} ${smallUnit}`;
  };
  if (seconds < 3600) return two(60, 'min', 1, 's', seconds);
  const minutes = Math.round(seconds / 60);
  if (minutes < 24 * 60) return two(60, 'h', 1, 'min', minutes);
  const hours = Math.round(minutes / 60);
  return two(24, 'd', 1, 'h', hours);
}

/**
 * A cron expression (node-cron's, seconds allowed) in words, first letter
 * lower-case to sit in a sentence: "every 15 seconds", "every minute". An
 * expression cronstrue cannot read is returned as it is (the config check
 * has already refused any node-cron cannot run).
 */
export function scheduleInWords(cron: string): string {
  try {
    const words = cronstrue.toString(cron, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
    return words.charAt(0).toLowerCase() + words.slice(1);
  } catch {
    return cron;
  }
}

/**
 * A ratio (0..1) as a percentage with one decimal, without rounding a
 * shortfall away: 0.9996 is "99.9%", never "100%"; 1 is "100%"; null (no
 * runs to judge) is "no runs".
 */
export function percent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return 'no runs';
  if (ratio >= 1) return '100%';
  if (ratio <= 0) return '0%';
  // Floor, not round: a journey that failed once in 3,000 runs is not at 100% (nor one that passed once at 0%).
  return `${Math.max(0.1, Math.floor(ratio * 1000) / 10).toFixed(1)}%`;
}

/** A file size: "512 B", "15 KiB", "1.2 MiB" (binary units, as `ls -h` and browsers show them). */
export function size(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(Number.isFinite(bytes) ? bytes : 0))} B`;
  const units = ['KiB', 'MiB', 'GiB'] as const;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit] ?? 'GiB'}`;
}
