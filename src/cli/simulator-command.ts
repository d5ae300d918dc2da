import { Command } from 'commander';
import { startSimulator, type SimulatorDescription } from '../simulator/simulator.js';
import { parseFaultSpec, parseLatencySpec, type Fault } from '../simulator/profile.js';
import { UsageError, parsePort, parsePositiveInt, type CliIo, type ExitCode } from './usage.js';
import { collect, parseCommand } from './grammar.js';

const SIMULATOR_HELP = `
Secrets come from the environment when set, else are generated:
  GPMON_SIM_PASSWORD, GPMON_SIM_BYPASS_KEY (or --bypass-key),
  GPMON_SIM_ADMIN_TOKEN

The admin API (adminUrl, with Authorization: Bearer <adminToken>) switches
faults at run time: POST /faults {"name":"subprotocol_mismatch"},
DELETE /faults (all), DELETE /faults/<name>, PATCH /latency {"thinking":3000},
GET /state, GET /observed-runs?since=<epoch ms> (each agent run's ground truth by run_id). Ctrl-C stops it (exit 0).`;

/** What `gpmon simulator` takes, as commander parses it. */
export interface SimulatorFlags {
  readonly json?: boolean;
  readonly host?: string;
  readonly publicHost?: string;
  readonly appPort?: string;
  readonly authPort?: string;
  readonly apiPort?: string;
  readonly email?: string;
  readonly bypassKey?: string;
  readonly loginPage?: string;
  readonly fault?: readonly string[];
  readonly latency?: string;
  readonly revision?: string;
  readonly heartbeatMs?: string;
  readonly tls?: boolean;
}

/** `gpmon simulator`'s grammar and help; main.ts gives it its action. */
export function simulatorSpec(): Command {
  return new Command('simulator')
    .description('run the staging simulator alone (the golden-path contract on three local ports), for demos and journey authors')
    .option('--json', 'first line of output: one JSON object with the URLs and credentials')
    .option('--host <addr>', 'address to bind (default 127.0.0.1)')
    .option('--public-host <name>', 'host name to put in the printed URLs (default: the bound address)')
    .option('--app-port <n>', 'a fixed port for the app (default: a free one)')
    .option('--auth-port <n>', 'a fixed port for the auth service (default: a free one)')
    .option('--api-port <n>', 'a fixed port for the API and WebSocket (default: a free one)')
    .option('--email <addr>', "the simulated user's email")
    .option('--bypass-key <key>', 'the E2E bypass key (default GPMON_SIM_BYPASS_KEY, else generated)')
    .option('--login-page <kind>', "form: the development password form (default); oauth: staging's OAuth-only page")
    .option('--fault <spec>', 'switch a fault on at start, repeatable: name or name:key=value,...', collect)
    .option('--latency <spec>', 'phase delays in ms: phase=ms,... (login, handshake, agent_start, thinking, tool_start, tool, completion, render)')
    .option('--revision <sha>', 'the git_commit /api/system/info reports')
    .option('--heartbeat-ms <n>', 'interval of heartbeat frames (default 20000)')
    .option('--tls', 'serve https/wss, as staging does, with a certificate from a private CA made at start; its PEM file is printed (caFile), for a target\'s caFile')
    .addHelpText('after', SIMULATOR_HELP);
}

/**
 * `gpmon simulator` with its arguments as strings (what follows the command's
 * name), for callers in this process; the command line goes through main.ts,
 * which parses the same grammar.
 */
export async function simulatorCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  return serveSimulator(parseCommand(simulatorSpec(), args).options, io);
}

/** Runs the simulator until a signal, printing its URLs and credentials (or, with --json, one JSON line). */
export async function serveSimulator(values: SimulatorFlags, io: CliIo): Promise<ExitCode> {
  const problems: string[] = [];
  const faults: Fault[] = [];
  for (const spec of values.fault ?? []) {
    const parsed = parseFaultSpec(spec);
    if (parsed.ok) faults.push(parsed.value);
    else problems.push(`--fault: ${parsed.error}`);
  }
  const latency = values.latency === undefined ? undefined : parseLatencySpec(values.latency);
  if (latency !== undefined && !latency.ok) problems.push(`--latency: ${latency.error}`);
  const loginPage = values.loginPage ?? 'form';
  if (loginPage !== 'form' && loginPage !== 'oauth') problems.push(`--login-page: "${loginPage}" is not form or oauth`);
  if (values.revision !== undefined && !/^[0-9a-f]{7,40}$/.test(values.revision)) {
    problems.push(`--revision: "${values.revision}" is not a hex commit id (7-40 characters)`);
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));

  const simulator = await startSimulator({
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.publicHost !== undefined ? { publicHost: values.publicHost } : {}),
    ports: {
      app: parsePort('--app-port', values.appPort),
      auth: parsePort('--auth-port', values.authPort),
      api: parsePort('--api-port', values.apiPort),
    },
    ...(values.email !== undefined ? { email: values.email } : {}),
    ...optional('password', io.env.GPMON_SIM_PASSWORD),
    ...optional('bypassKey', values.bypassKey ?? io.env.GPMON_SIM_BYPASS_KEY),
    ...optional('adminToken', io.env.GPMON_SIM_ADMIN_TOKEN),
    ...(latency?.ok === true ? { latency: latency.value } : {}),
    ...(values.revision !== undefined ? { revision: values.revision } : {}),
    faults,
    loginForm: loginPage === 'form',
    heartbeatMs: parsePositiveInt('--heartbeat-ms', values.heartbeatMs) ?? 20_000,
    tls: values.tls === true,
  });
  const d = simulator.description;
  if (values.json === true) io.out(JSON.stringify(d));
  else for (const line of describe(d, faults)) io.out(line);

  const signal = await io.stopSignal;
  io.err(`simulator: ${signal}, stopping`);
  await simulator.stop();
  return 0;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined || value === '' ? {} : ({ [key]: value } as Record<K, string>);
}

function describe(d: SimulatorDescription, faults: readonly Fault[]): string[] {
  return [
    'Staging simulator running (contract: shared/golden-path-contract.md)',
    `  app          ${d.app}   open ${d.app}/login in a browser`,
    `  auth         ${d.auth}`,
    `  api          ${d.api}`,
    `  ws           ${d.ws}/ws`,
    `  admin        ${d.adminUrl}   (Authorization: Bearer <admin token>)`,
    `  email        ${d.email}`,
    `  password     ${d.password}`,
    `  bypass key   ${d.bypassKey}`,
    `  admin token  ${d.adminToken}`,
    ...(d.caFile === undefined ? [] : [`  CA file      ${d.caFile}   (trust it: a target's caFile, or GPMON_CA_FILE)`]),
    `  faults on    ${faults.length === 0 ? 'none' : faults.map((f) => f.name).join(', ')}`,
    'Ctrl-C stops it.',
  ];
}
