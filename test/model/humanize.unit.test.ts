import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { duration, percent, relativeTime, scheduleInWords, size } from '../../src/model/humanize.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('humanize', () => {
  it('says times relative to now, in the largest unit they hold', () => {
    assert.equal(relativeTime(ago(300), NOW), 'now');
    assert.equal(relativeTime(ago(45_000), NOW), '45 seconds ago');
    assert.equal(relativeTime(ago(3 * 60_000), NOW), '3 minutes ago');
    assert.equal(relativeTime(ago(90 * 60_000), NOW), '2 hours ago');
    assert.equal(relativeTime(ago(26 * 3_600_000), NOW), 'yesterday');
    assert.equal(relativeTime(ago(-2 * 3_600_000), NOW), 'in 2 hours');
    assert.equal(relativeTime('not a time', NOW), 'not a time');
  });

  it('says durations with the unit a person would use, rounding once', () => {
    assert.deepEqual(
      [0, -5, 350, 1234, 9_960, 45_000, 59_600, 200_000, 3_599_999, 7_500_000, 90_000_000].map(duration),
      ['0 ms', '0 ms', '350 ms', '1.2 s', '10 s', '45 s', '1 min', '3 min 20 s', '1 h', '2 h 5 min', '1 d 1 h'],
    );
  });

  it('says schedules in words (seconds fields included), and gives back what it cannot read', () => {
    assert.equal(scheduleInWords('*/15 * * * * *'), 'every 15 seconds');
    assert.equal(scheduleInWords('* * * * *'), 'every minute');
    assert.equal(scheduleInWords('0 */5 * * * *'), 'every 5 minutes');
    assert.equal(scheduleInWords('not cron'), 'not cron');
  });

  it('says file sizes in binary units', () => {
    assert.deepEqual([0, 1000, 1024, 15_400, 1_300_000, 52_428_800, 5e12].map(size), ['0 B', '1000 B', '1.0 KiB', '15 KiB', '1.2 MiB', '50 MiB', '4657 GiB']);
  });

  it('says ratios as percentages without rounding a shortfall away', () => {
    assert.deepEqual([1, 0.9996, 0.993, 0.5, 0.0004, 0, null].map(percent), ['100%', '99.9%', '99.3%', '50.0%', '0.1%', '0%', 'no runs']);
  });
});
