/**
 * Why a scheduled tick did not run (the `reason` label of
 * synthetic_scheduler_skipped_runs_total): `overlap`, its journey's last run
 * still ran; `missed`, the tick came too late to run (a stalled process, the
 * clock swapped), from node-cron's `execution:missed` event.
 */
export type SkipReason = 'overlap' | 'missed';
