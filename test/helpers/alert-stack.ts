import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { targetFor } from './daemon-harness.js';
import { freePort, startAlertmanager, startPrometheus, waitFor, type Service } from './prom-tools.js';
import { OWNER_VARIABLE, killRunOrphans, newOwner } from './processes.js';
import { spawnServe } from './serve-child.js';
import { RULES_FILE } from '../../scripts/grafana-alerts.js';
import { admin } from './sim-client.js';
import { onlyJourneys } from './shipped.js';

/**
 * The whole alerting path with real parts on loopback ports: the simulator,
 * `gpmon serve` (a child process, so it can die by kill -9), Prometheus with
 * the project's own rules file, Alertmanager, and a webhook receiver that
 * keeps every notification with the time it arrived. Used by the alert
 * end-to-end test and by `npm run bench` (fault-to-alert time).
 */

export interface Notified {
  readonly receivedAt: number;
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
}

export interface AlertStack {
  readonly sim: Simulator;
  /** golden-path-api: what pageFor watches unless told another journey. */
  readonly journey: string;
  /** Every journey the monitor runs: golden-path-api, then the options' `alsoRun`. */
  readonly journeys: readonly string[];
  readonly pageAfterFailures: number;
  readonly prometheus: Service & { query: (q: string) => Promise<{ metric: Record<string, string>; value: [number, string] }[]> };
  readonly monitorUrl: string;
  readonly notifications: readonly Notified[];
  /** kill -9 the monitor: what a crash, an OOM kill or a lost node looks like. */
  killMonitor(): Promise<void>;
  startMonitor(): Promise<void>;
  /** Until Prometheus has seen every journey pass. */
  waitHealthy(): Promise<void>;
  /**
   * A simulator fault on until GoldenPathDown for the journey (golden-path-api
   * unless `journey` says) reaches the webhook, then off until that alert
   * resolves: the two notifications, and when the fault went on and off. The
   * fault is cleared whatever happens.
   */
  pageFor(fault: Record<string, unknown>, journey?: string): Promise<{ on: number; firing: Notified; off: number; resolved: Notified }>;
  /** The first notification after `since` for this alert (labels must all match) in this status. */
  waitForNotification(alertname: string, labels: Record<string, string>, status: 'firing' | 'resolved', since: number, timeoutMs?: number): Promise<Notified>;
  api(path: string): Promise<unknown>;
  /** POST to the monitor's API with its token: the status and the JSON answer. */
  post(path: string, body: unknown): Promise<{ status: number; json: unknown }>;
  stop(): Promise<void>;
}

const TOKEN = 'alert-stack-token-0123456789';

/** Whether a child has exited: one killed by a signal has a signalCode and no exitCode (waiting for its 'exit' again would wait for ever). */
const gone = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

export interface AlertStackOptions {
  readonly scheduleSeconds?: number;
  /** Each journey's timeout and step timeout, ms (default 3000: a dead monitor is stale after 3 × 3 s). */
  readonly timeoutMs?: number;
  readonly pageAfterFailures?: number;
  /** Folders of journey files beside the shipped ones (absolute paths): the config's `journeyDirs`. */
  readonly journeyDirs?: readonly string[];
  /** Journeys to run beside golden-path-api, with its settings (from journeyDirs, say). */
  readonly alsoRun?: readonly string[];
  /** The simulator serves https and wss (staging's way), the monitor's target trusting its CA through caFile. */
  readonly tls?: boolean;
  /**
   * Alert name → a shorter `for:` in Prometheus's copy of the rules file, so a
   * rule that waits minutes on purpose fires within a test; its expression and
   * labels stay the shipped ones.
   */
  readonly shortenFor?: Readonly<Record<string, string>>;
  /** The monitor's `server.externalUrl`: the alerts' run_url, console_url and runbook_url become absolute links under it. */
  readonly externalUrl?: string;
}

/**
 * The shipped rules with the `for:` of the named alerts replaced: each rule is
 * found by its `- alert: Name` line, and its own `for:` line (the next one
 * before the next rule) rewritten. Throws when a named alert has no `for:`.
 */
function rulesWithShorterFor(text: string, shorter: Readonly<Record<string, string>>): string {
  let out = text;
  for (const [alert, duration] of Object.entries(shorter)) {
    const pattern = new RegExp(String.raw`(- alert: ${alert}\n(?:(?!\s+- alert:)[\s\S])*?\n\s+for: )\S+`);
    if (!pattern.test(out)) throw new Error(`rules: ${alert} has no for: to shorten`);
    out = out.replace(pattern, `$1${duration}`);
  }
  return out;
}

export async function startAlertStack(options: AlertStackOptions = {}): Promise<AlertStack> {
  const journey = 'golden-path-api';
  const journeys = [journey, ...(options.alsoRun ?? [])];
  const scheduleSeconds = options.scheduleSeconds ?? 2;
  const pageAfterFailures = options.pageAfterFailures ?? 2;
  const dir = mkdtempSync(join(tmpdir(), 'gpmon-alerts-'));
  const cleanups: (() => Promise<void>)[] = [];
  const notifications: Notified[] = [];
  const owner = newOwner();
  try {
    const sim = await startSimulator(options.tls === true ? { tls: true } : {});
    cleanups.push(() => sim.stop());

    // The webhook receiver: Alertmanager's webhook payload (version 4).
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const receivedAt = Date.now();
        try {
          const payload = JSON.parse(body) as { alerts?: { status: 'firing' | 'resolved'; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string }[] };
          for (const alert of payload.alerts ?? []) notifications.push({ receivedAt, status: alert.status, labels: alert.labels, annotations: alert.annotations, startsAt: alert.startsAt });
        } catch {
          // Not ours to judge here; an unparsable payload simply matches nothing.
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { receiver.close(() => { resolve(); }); receiver.closeAllConnections(); }));
    const receiverPort = (receiver.address() as { port: number }).port;

    writeFileSync(
      join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: webhook',
        '  group_by: [alertname, journey, target, step, reason]',
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: webhook',
        '    webhook_configs:',
        `      - url: http://127.0.0.1:${receiverPort}/alerts`,
        '        send_resolved: true',
        '',
      ].join('\n'),
    );
    const alertmanager = await startAlertmanager(join(dir, 'alertmanager.yml'));
    cleanups.push(() => alertmanager.stop());

    // The monitor on a fixed port, so a restarted monitor is the same scrape target.
    const monitorPort = await freePort();
    const monitorUrl = `http://127.0.0.1:${monitorPort}`;
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    const timeoutMs = options.timeoutMs ?? 3000;
    const settings = { schedule: `*/${scheduleSeconds} * * * * *`, stepTimeoutMs: timeoutMs, timeoutMs, pageAfterFailures };
    const config = {
      ...(options.journeyDirs === undefined ? {} : { journeyDirs: options.journeyDirs }),
      targets: [targetFor(sim)],
      journeys: onlyJourneys(Object.fromEntries(journeys.map((name) => [name, settings]))),
      server: { port: monitorPort, ...(options.externalUrl === undefined ? {} : { externalUrl: options.externalUrl }) },
      runs: { dir: join(dir, 'runs'), passEnv: [OWNER_VARIABLE] },
    };
    writeFileSync(join(dir, 'monitor.config.ts'), `export default ${JSON.stringify(config)};\n`);
    let monitor: ChildProcess | undefined;
    const startMonitor = async () => {
      ({ child: monitor } = await spawnServe(join(dir, 'monitor.config.ts'), { GPMON_API_TOKEN: TOKEN, SIM_BYPASS_KEY: sim.description.bypassKey, [OWNER_VARIABLE]: owner }));
    };
    const killMonitor = async () => {
      const child = monitor;
      if (child === undefined || gone(child)) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      killRunOrphans(owner);
    };
    await startMonitor();
    cleanups.push(async () => {
      const child = monitor;
      if (child !== undefined && !gone(child)) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(20_000)]);
        if (!gone(child)) await killMonitor();
      }
    });

    let rulesFile = RULES_FILE;
    if (options.shortenFor !== undefined) {
      rulesFile = join(dir, 'rules.yml');
      writeFileSync(rulesFile, rulesWithShorterFor(readFileSync(RULES_FILE, 'utf8'), options.shortenFor));
    }
    const prometheus = await startPrometheus(monitorUrl, [
      'rule_files:',
      `  - ${rulesFile}`,
      'alerting:',
      '  alertmanagers:',
      '    - static_configs:',
      `        - targets: ['${new URL(alertmanager.url).host}']`,
      '',
    ].join('\n'));
    cleanups.push(() => prometheus.stop());

    const matches = (n: Notified, alertname: string, labels: Record<string, string>) => n.labels.alertname === alertname && Object.entries(labels).every(([k, v]) => n.labels[k] === v);
    const waitForNotification: AlertStack['waitForNotification'] = (alertname, labels, status, since, timeoutMs = 90_000) =>
      waitFor(`${status} ${alertname} ${JSON.stringify(labels)}`, () => Promise.resolve(notifications.find((n) => n.receivedAt >= since && n.status === status && matches(n, alertname, labels))), timeoutMs);
    return {
      sim,
      journey,
      journeys,
      pageAfterFailures,
      prometheus,
      monitorUrl,
      notifications,
      killMonitor,
      startMonitor,
      waitForNotification,
      waitHealthy: async () => {
        for (const name of journeys) {
          await waitFor(`a passed run of ${name} in Prometheus`, async () => ((await prometheus.query(`synthetic_journey_success{journey="${name}"} == 1`)).length > 0 ? true : undefined));
        }
      },
      pageFor: async (fault, watched = journey) => {
        const down = { journey: watched, target: 'sim' };
        const on = Date.now();
        let firing: Notified;
        try {
          const switched = await admin(sim.description, 'POST', '/faults', fault);
          if (switched.status !== 200) throw new Error(`fault ${JSON.stringify(fault)}: ${switched.status} ${JSON.stringify(switched.json)}`);
          firing = await waitForNotification('GoldenPathDown', down, 'firing', on);
        } finally {
          await admin(sim.description, 'DELETE', '/faults');
        }
        const off = Date.now();
        const resolved = await waitForNotification('GoldenPathDown', { ...down, step: firing.labels.step ?? '', reason: firing.labels.reason ?? '' }, 'resolved', off);
        return { on, firing, off, resolved };
      },
      api: async (path) => (await (await fetch(`${monitorUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as unknown,
      post: async (path, body) => {
        const answer = await fetch(`${monitorUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: answer.status, json: (await answer.json()) as unknown };
      },
      stop: async () => {
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
