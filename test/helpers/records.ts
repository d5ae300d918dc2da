import type { RunRecord } from '../../src/model/run-record.js';

/**
 * A finished run record for tests that need one without running a journey:
 * no steps, events or artifacts unless given; override what the test is about.
 */
export function runRecord(overrides: Partial<RunRecord> & Pick<RunRecord, 'id' | 'outcome'>): RunRecord {
  const startedAt = overrides.startedAt ?? '2026-01-01T00:00:00.000Z';
  return {
    journey: 'golden-path-api',
    target: 'sim',
    trigger: 'schedule',
    startedAt,
    finishedAt: startedAt,
    durationMs: 100,
    steps: [],
    events: [],
    marks: {},
    targetInfo: { version: null, revision: null },
    artifacts: [],
    inputs: { prompt: 'p', expectedAnswer: '.' },
    ...overrides,
  };
}
