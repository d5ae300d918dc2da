import { startSimulator, type SimulatorDescription } from '../simulator/simulator.js';
import { parseFaultSpec, parseLatencySpec, type Fault } from '../simulator/profile.js';
import { UsageError, parseFlags, parsePort, parsePositiveInt, type CliIo, type ExitCode } from './usage.js';

export const SIMULATOR_USAGE = `gpmon simulator [options]   run the staging simulator alone

  --json                 first line of output: one JSON object with the URLs and credentials
  --host ADDR            address to bind (default 127.0.0.1)
  --public-host NAME     host name to put in the printed URLs (default: the bound address)
  --app-port N --auth-port N --api-port N   fixed ports (default: free ports)
  --email ADDR           the simulated user's email
  --login-page form|oauth  development password form (default) or staging's OAuth-only page
  --fault SPEC           switch a fault on at start, repeatable: name or name:key=value,...
  --latency SPEC         phase delays in ms: phase=ms,... (login, handshake, agent_start,
                         thinking, tool_start, tool, completion, render)
  --revision SHA         the git_commit /api/system/info reports
  --heartbeat-ms N       interval of heartbeat frames (default 20000)
  --tls                  serve https/wss, as staging does, with a certificate from a private CA
                         made at start; its PEM file is printed (caFile), for a target's caFile

  Secrets come from the environment when set, else are generated:
  GPMON_SIM_PASSWORD, GPMON_SIM_BYPASS_KEY (or --bypass-key), GPMON_SIM_ADMIN_TOKEN`;

export async function simulatorCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags('simulator', args, {
    json: { type: 'boolean' },
    host: { type: 'string' },
    'public-host': { type: 'string' },
    'app-port': { type: 'string' },
    'auth-port': { type: 'string' },
    'api-port': { type: 'string' },
    email: { type: 'string' },
    'bypass-key': { type: 'string' },
    'login-page': { type: 'string' },
    fault: { type: 'string', multiple: true },
    latency: { type: 'string' },
    revision: { type: 'string' },
    'heartbeat-ms': { type: 'string' },
    tls: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`gpmon simulator: unexpected argument "${positionals[0] ?? ''}"`);

  const problems: string[] = [];
  const faults: Fault[] = [];
  for (const spec of values.fault ?? []) {
    const parsed = parseFaultSpec(spec);
    if (parsed.ok) faults.push(parsed.value);
    else problems.push(`--fault: ${parsed.error}`);
  }
  const latency = values.latency === undefined ? undefined : parseLatencySpec(values.latency);
  if (latency !== undefined && !latency.ok) problems.push(`--latency: ${latency.error}`);
  const loginPage = values['login-page'] ?? 'form';
  if (loginPage !== 'form' && loginPage !== 'oauth') problems.push(`--login-page: "${loginPage}" is not form or oauth`);
  if (values.revision !== undefined && !/^[0-9a-f]{7,40}$/.test(values.revision)) {
    problems.push(`--revision: "${values.revision}" is not a hex commit id (7-40 characters)`);
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));

  const simulator = await startSimulator({
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values['public-host'] !== undefined ? { publicHost: values['public-host'] } : {}),
    ports: {
      app: parsePort('--app-port', values['app-port']),
      auth: parsePort('--auth-port', values['auth-port']),
      api: parsePort('--api-port', values['api-port']),
    },
    ...(values.email !== undefined ? { email: values.email } : {}),
    ...optional('password', io.env.GPMON_SIM_PASSWORD),
    ...optional('bypassKey', values['bypass-key'] ?? io.env.GPMON_SIM_BYPASS_KEY),
    ...optional('adminToken', io.env.GPMON_SIM_ADMIN_TOKEN),
    ...(latency?.ok === true ? { latency: latency.value } : {}),
    ...(values.revision !== undefined ? { revision: values.revision } : {}),
    faults,
    loginForm: loginPage === 'form',
    heartbeatMs: parsePositiveInt('--heartbeat-ms', values['heartbeat-ms']) ?? 20_000,
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
