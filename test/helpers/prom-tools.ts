import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Real Prometheus and Pushgateway from apt, on free loopback ports, stopped by the test. */

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  return port;
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`not ready at ${url}: ${log()}`);
}

export interface Service {
  readonly url: string;
  readonly stop: () => Promise<void>;
}

function track(child: ChildProcess): () => string {
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => output;
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
}

export async function startPrometheus(scrapeUrl: string, extraConfig = ''): Promise<Service & { query: (q: string) => Promise<{ metric: Record<string, string>; value: [number, string] }[]> }> {
  const dir = mkdtempSync(join(tmpdir(), 'gpmon-prom-'));
  const port = await freePort();
  const target = new URL(scrapeUrl);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: gpmon\n    static_configs:\n      - targets: ['${target.host}']\n${extraConfig}`,
  );
  const child = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=exemplar-storage'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = track(child);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/-/ready`, child, log);
  return {
    url,
    stop: () => stopChild(child, dir),
    query: async (q) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await response.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${q} failed: ${JSON.stringify(body)}`);
      return body.data.result;
    },
  };
}

export async function startPushgateway(): Promise<Service> {
  const dir = mkdtempSync(join(tmpdir(), 'gpmon-push-'));
  const port = await freePort();
  const child = spawn('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = track(child);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/-/ready`, child, log);
  return { url, stop: () => stopChild(child, dir) };
}

/** A real Alertmanager with the given config file, on a free loopback port, no cluster listener. */
export async function startAlertmanager(configFile: string): Promise<Service> {
  const dir = mkdtempSync(join(tmpdir(), 'gpmon-am-'));
  const port = await freePort();
  const child = spawn('/usr/bin/prometheus-alertmanager', [`--config.file=${configFile}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = track(child);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/-/ready`, child, log);
  return { url, stop: () => stopChild(child, dir) };
}

/** Prometheus text as {series → value}, the series written as in the text. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+(?:\{[^}]*\})?) (\S+)/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) out.set(match[1], Number(match[2]));
  }
  return out;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}
