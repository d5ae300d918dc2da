import { defineConfig } from './src/config/schema.js';

/**
 * The monitor's config. With no target here (and no GPMON_APP_URL in the
 * environment), `gpmon serve` starts the embedded staging simulator and
 * watches it. Secrets never go in this file: a target names the environment
 * variables that hold them. `gpmon validate` checks it.
 */
export default defineConfig({
  // targets: [
  //   {
  //     name: 'staging',
  //     appUrl: 'https://app.staging.example.com',
  //     authUrl: 'https://auth.staging.example.com',
  //     apiUrl: 'https://api.staging.example.com',
  //     wsUrl: 'wss://api.staging.example.com',
  //     login: 'bypass',                    // staging has no password form: the E2E bypass login
  //     email: 'synthetic-monitor@example.com',
  //     bypassKeyEnv: 'STAGING_E2E_BYPASS_KEY',
  //   },
  // ],
  journeys: {
    'golden-path': { schedule: '0 * * * * *' },
    'golden-path-api': { schedule: '*/15 * * * * *' },
    'ws-auth-enforced': { schedule: '30 */5 * * * *' },
  },
  server: { host: '127.0.0.1', port: 9595 },
});
