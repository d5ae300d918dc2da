// gpmon serve's config in the cluster, mounted from a ConfigMap at
// /config/monitor.config.mjs (`gpmon serve --config ...`). A plain module: the
// same fields as monitor.config.ts (src/config/schema.ts), checked at start.
// No target here: the target comes from the environment (the ConfigMap
// gpmon-target and the Secret gpmon-secrets). To watch several targets, list
// them here with the names of the variables holding their secrets, e.g.
//   targets: [{ name: 'staging', appUrl: ..., login: 'bypass', email: ...,
//               bypassKeyEnv: 'STAGING_E2E_BYPASS_KEY' }],
// and add those variables to the Deployment's env from the Secret.
export default {
  journeys: {
    'golden-path': { schedule: '0 * * * * *' },
    'golden-path-api': { schedule: '*/15 * * * * *' },
    'thread-follow-up': { schedule: '45 */2 * * * *' },
    'token-refresh': { schedule: '30 */2 * * * *' },
    'concurrent-sessions': { schedule: '50 */2 * * * *' },
    'platform-health': { schedule: '20 * * * * *' },
    'ws-auth-enforced': { schedule: '30 */5 * * * *' },
  },
  // Kept on the runs volume (a PersistentVolumeClaim): history survives restarts.
  runs: { dir: '/app/runs' },
  retention: { maxAgeDays: 7, failedMaxAgeDays: 30 },
  // All interfaces: the kubelet's probes and Prometheus reach the pod's IP.
  // externalUrl: where people reach this location's console (the Ingress host), for the links in alerts and on
  // the dashboard; or set GPMON_EXTERNAL_URL in the overlay. runbookUrl defaults to <externalUrl>/runbook.
  server: { host: '0.0.0.0', port: 9595 },
};
