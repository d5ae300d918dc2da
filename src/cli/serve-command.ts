import { urlWithoutSecrets } from '../secrets/url.js';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { StartupError, startDaemon, type Daemon } from '../monitor/daemon.js';
import { SIGNAL_EXIT } from './run-once.js';
import { UsageError, parseFlags, parsePort, type CliIo, type ExitCode } from './usage.js';
import { monitorVersion, playwrightVersion } from './versions.js';
import { PROJECT_ROOT } from '../catalog/shipped.js';

export const SERVE_USAGE = `gpmon serve [--config FILE] [--port N] [--host ADDR]   the monitor: schedules, metrics, history, API
  --config FILE   default ./monitor.config.ts (none: defaults, watching an embedded simulator)
  --port N        overrides server.port; --host ADDR overrides server.host (127.0.0.1)
  GPMON_API_TOKEN is the bearer token for writes and artifacts (generated and shown once when unset);
  GPMON_LOG_LEVEL sets the log level (info).`;

export const VALIDATE_USAGE = `gpmon validate [--config FILE]   check the config; every problem at once, exit 2 on any`;


export async function validateCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags('validate', args, { config: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`gpmon validate: unexpected argument "${positionals[0] ?? ''}"`);
  const loaded = await loadConfig(values.config, io.env);
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

export async function serveCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags('serve', args, { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`gpmon serve: unexpected argument "${positionals[0] ?? ''}"`);
  const port = parsePort('--port', values.port);
  const loaded = await loadConfig(values.config, io.env);
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
      ...(values.host !== undefined ? { host: values.host } : {}),
    });
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    io.err(`gpmon serve: ${error.message}; not starting`);
    return 2;
  }
  io.err(`gpmon serve: ${daemon.url}  (status page /, metrics /metrics, API /api)`);
  if (daemon.tokenGenerated) io.err(`gpmon serve: API token (shown once; set GPMON_API_TOKEN to choose one): ${daemon.token}`);
  if (daemon.simulator !== undefined) io.err(`gpmon serve: watching the embedded simulator; open ${daemon.simulator.description.app}/login as ${daemon.simulator.description.email} / ${daemon.simulator.description.password}`);
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
