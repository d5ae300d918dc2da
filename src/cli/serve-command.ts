import { urlWithoutSecrets } from '../secrets/url.js';
import { Command } from 'commander';
import { pino } from 'pino';
import type { SimulatorDescription } from '../simulator/simulator.js';
import { loadConfig } from '../config/load.js';
import { StartupError, startDaemon, type Daemon } from '../monitor/daemon.js';
import { SIGNAL_EXIT } from './run-once.js';
import { parsePort, type CliIo, type ExitCode } from './usage.js';
import { monitorVersion, playwrightVersion } from './versions.js';
import { PROJECT_ROOT } from '../catalog/shipped.js';

const SERVE_HELP = `
Environment:
  GPMON_API_TOKEN   the bearer token for writes and artifacts, and the
                    console's sign-in (generated and shown once when unset)
  GPMON_LOG_LEVEL   the log level (info): logs are JSON lines on stdout, this
                    command's own lines are on stderr

With no target configured (and no GPMON_APP_URL), it starts the embedded
staging simulator and watches it. It prints the simulator's admin URL and
token (the simulator's own, thrown away with it) and a curl that breaks a
step: inject a fault and watch the console react.

Exit: 0 stopped by a signal, after the runs in flight finished; 2 the config
      has problems or it cannot start; 130/143 stopped at once by a second
      SIGINT/SIGTERM.`;

/** `gpmon serve`'s grammar and help; main.ts gives it its action. */
export function serveSpec(): Command {
  return new Command('serve')
    .description('the monitor: schedules, metrics, the run history, the console and the API')
    .option('--config <file>', 'the config (default ./monitor.config.ts; none: defaults, watching an embedded simulator)')
    .option('--port <n>', 'the port to listen on, instead of server.port (0: a free one)')
    .option('--host <addr>', 'the address to listen on, instead of server.host (127.0.0.1)')
    .addHelpText('after', SERVE_HELP);
}

/** `gpmon validate`'s grammar and help; main.ts gives it its action. */
export function validateSpec(): Command {
  return new Command('validate')
    .description('check the config and the journey files: every problem at once, exit 2 on any')
    .option('--config <file>', 'the config (default ./monitor.config.ts)')
    .addHelpText('after', '\nExit: 0 valid (its targets and journeys are listed), 2 a problem (each one\n      is listed).');
}

/** `gpmon validate`: the config as loaded, or every problem with it (exit 2). */
export async function validateCommand(flags: { readonly config?: string }, io: CliIo): Promise<ExitCode> {
  const loaded = await loadConfig(flags.config, io.env);
  if (!loaded.ok) {
    io.err(`${loaded.file ?? 'config'}: ${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}`);
    for (const problem of loaded.problems) io.err(`  ${problem}`);
    return 2;
  }
  const c = loaded.config;
  const targets = c.targets === 'simulator' ? 'the embedded simulator' : c.targets.map((t) => t.target.name).join(', ');
  io.out(`${loaded.file ?? 'no config file (defaults)'}: OK`);
  io.out(`  targets: ${targets}`);
  // The URLs as the journeys will use them: the socket's path included, so a doubled or missing /ws shows here.
  if (c.targets !== 'simulator') for (const { target } of c.targets) io.out(`  ${target.name}: app ${urlWithoutSecrets(target.appUrl)}, auth ${urlWithoutSecrets(target.authUrl)}, api ${urlWithoutSecrets(target.apiUrl)}, socket ${urlWithoutSecrets(target.wsUrl)}${target.caFile === undefined ? '' : `, trusting the CA in ${target.caFile}`}`);
  for (const j of c.journeys) io.out(`  ${j.definition.name}: ${j.enabled ? `${j.schedule} against ${j.targets.join(', ')}` : 'off'}`);
  return 0;
}

/** What `gpmon serve` takes, as commander parses it. */
export interface ServeFlags {
  readonly config?: string;
  readonly port?: string;
  readonly host?: string;
}

/** `gpmon serve`: the daemon until a signal; a second signal cuts the runs in flight. */
export async function serveCommand(flags: ServeFlags, io: CliIo): Promise<ExitCode> {
  const port = parsePort('--port', flags.port);
  const loaded = await loadConfig(flags.config, io.env);
  if (!loaded.ok) {
    io.err(`gpmon serve: the config has ${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}; not starting`);
    for (const problem of loaded.problems) io.err(`  ${problem}`);
    return 2;
  }
  const logger = pino({ level: io.env.GPMON_LOG_LEVEL ?? 'info', base: { service: 'gpmon' } });
  const envToken = io.env.GPMON_API_TOKEN;
  let daemon: Daemon;
  try {
    daemon = await startDaemon({
      config: loaded.config,
      projectRoot: PROJECT_ROOT,
      logger,
      version: monitorVersion(),
      playwrightVersion: playwrightVersion(),
      ...(envToken !== undefined && envToken !== '' ? { token: envToken } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(flags.host !== undefined ? { host: flags.host } : {}),
    });
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    io.err(`gpmon serve: ${error.message}; not starting`);
    return 2;
  }
  io.err(`gpmon serve: ${daemon.url}  (console /, metrics /metrics, API /api)`);
  if (daemon.tokenGenerated) io.err(`gpmon serve: API token (shown once; set GPMON_API_TOKEN to choose one): ${daemon.token}`);
  if (daemon.simulator !== undefined) for (const line of simulatorLines(daemon.simulator.description, daemon.url)) io.err(`gpmon serve: ${line}`);
  const signal = await io.stopSignal;
  io.err(`gpmon serve: ${signal}: finishing runs in flight, then stopping (again to stop at once)`);
  let forcedBy: string | undefined;
  void io.forceSignal?.then((again) => {
    forcedBy = again;
    io.err(`gpmon serve: ${again}: stopping now; runs in flight are cut and recorded as interrupted`);
    return daemon.stop({ now: true });
  });
  await daemon.stop();
  return forcedBy === undefined ? 0 : (SIGNAL_EXIT[forcedBy] ?? 130);
}

/** A fault that breaks a step at once and visibly: the server answers a WebSocket subprotocol that was not offered (connect fails, ws_subprotocol). */
export const EXAMPLE_FAULT = 'subprotocol_mismatch';

/**
 * What a newcomer needs to try the monitor on the embedded simulator: how to
 * sign in to the simulated app, the simulator's admin API and token (its
 * own, made at start and gone with it: no secret of a real target), a curl
 * that breaks a step and one that heals it, and where to watch it happen.
 */
export function simulatorLines(d: SimulatorDescription, consoleUrl: string): string[] {
  const auth = `-H 'Authorization: Bearer ${d.adminToken}'`;
  return [
    `watching the embedded simulator; open ${d.app}/login as ${d.email} / ${d.password}`,
    `simulator admin API: ${d.adminUrl}  admin token: ${d.adminToken}  (the simulator's own, thrown away when it stops)`,
    `break a step (the socket's connect): curl -X POST ${auth} -H 'Content-Type: application/json' -d '{"name":"${EXAMPLE_FAULT}"}' ${d.adminUrl}/faults`,
    `heal it: curl -X DELETE ${auth} ${d.adminUrl}/faults   (what is on: curl ${auth} ${d.adminUrl}/state)`,
    `then watch the console react: ${consoleUrl}/`,
  ];
}
