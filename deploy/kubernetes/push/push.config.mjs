// The config of the CronJob variant, mounted at /config/monitor.config.mjs.
// `gpmon run --push` pushes each journey's schedule interval beside its run,
// and the staleness alert measures "no run lately" in it: so each schedule
// here must tick as often as that journey's CronJob (cronjobs.yaml), not as
// the daemon's schedules do. The target comes from the environment.
export default {
  journeys: {
    'golden-path': { schedule: '0 * * * * *' },
    'golden-path-api': { schedule: '0 * * * * *' },
    'thread-follow-up': { schedule: '0 */2 * * * *' },
    'token-refresh': { schedule: '0 */2 * * * *' },
    'concurrent-sessions': { schedule: '0 */2 * * * *' },
    'platform-health': { schedule: '0 * * * * *' },
    'ws-auth-enforced': { schedule: '0 */5 * * * *' },
  },
};
