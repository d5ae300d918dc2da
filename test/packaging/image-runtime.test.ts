import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { freePort, startPushgateway, type Service } from '../helpers/prom-tools.js';
import {
  cronIntervalSeconds,
  envOf,
  execForm,
  finalStage,
  hasCommand,
  imageFiles,
  kustomize,
  lastOf,
  readDockerfile,
  repoPath,
  workloads,
  type Container,
  type K8sObject,
  type PodTemplate,
  type Workload,
} from './packaging-helpers.js';

/**
 * The image's files run the way the Kubernetes manifests run them, without a
 * Docker engine or a cluster: the files the Dockerfile copies, with only the
 * packages `npm ci --omit=dev` installs, mounted read-only at /app in a root
 * of their own (chroot, in a private mount namespace) with the host's Debian
 * /usr (node, Chromium) standing in for the image's; the pod's volumes where
 * its volumeMounts say; the read-only root filesystem; the pod's uid and gid;
 * the Dockerfile's ENV and WORKDIR; the container's environment as the
 * kubelet builds it from the ConfigMaps, the Secret and the downward API.
 * A runtime import of a devDependency, a write outside the volumes or a file
 * the image lacks fails here. The target is the simulator, put in place of
 * the ConfigMap's example URLs.
 */

const stage = finalStage(readDockerfile());
const WORKDIR = lastOf(stage, 'WORKDIR') ?? '/app';

function sandboxUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (mount namespace, chroot)';
  for (const tool of ['unshare', 'chroot', 'setpriv', 'kubectl']) if (!hasCommand(tool)) return `${tool} is not installed`;
  if (spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status !== 0) return 'cannot make a mount namespace here';
  return false;
}
const skip = sandboxUnavailable();

/** Hard links where the file system allows (fast, and nothing writes to them: /app is read-only), copies otherwise. */
function linkTree(source: string, target: string, skipNodeModules: boolean): void {
  mkdirSync(target, { recursive: true });
  for (const name of readdirSync(source)) {
    if (skipNodeModules && name === 'node_modules') continue;
    const from = join(source, name);
    const to = join(target, name);
    const stat = lstatSync(from);
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (stat.isDirectory()) linkTree(from, to, false);
    else {
      try {
        linkSync(from, to);
      } catch {
        copyFileSync(from, to);
      }
    }
  }
}

/** /app as the image has it: the copied files and the production node_modules. */
function buildImageTree(app: string): void {
  for (const { source, target } of imageFiles()) {
    mkdirSync(dirname(join(app, target)), { recursive: true });
    copyFileSync(repoPath(source), join(app, target));
  }
  // COPY --from=deps /app/node_modules: what `npm ci --omit=dev` installs from the lock.
  const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean; link?: boolean }> };
  for (const [path, meta] of Object.entries(lock.packages)) {
    if (path === '' || meta.dev === true) continue;
    if (!existsSync(repoPath(path))) {
      // Another platform's optional build (esbuild's, fsevents): npm skips it here too.
      if (meta.optional === true) continue;
      throw new Error(`${path} is in the lock but not installed: run npm ci`);
    }
    // Nested node_modules are entries of their own in the lock.
    linkTree(repoPath(path), join(app, path), true);
  }
  // RUN mkdir -p /app/runs: the mount point of the runs volume.
  mkdirSync(join(app, 'runs'), { recursive: true });
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  /** Host folders behind the pod's volumes, by mount path. */
  readonly volumes: ReadonlyMap<string, string>;
}

/**
 * Starts a container of a pod template as the kubelet would, in the sandbox.
 * `args` replaces the container's args (Kubernetes' args replace the image's CMD).
 */
function startContainer(options: { work: string; app: string; objects: readonly K8sObject[]; template: PodTemplate; container: Container; args: readonly string[]; env: Record<string, string> }): Started {
  const { work, app, objects, template, container } = options;
  const pod = template.spec.securityContext ?? {};
  const uid = pod.runAsUser ?? 0;
  const gid = pod.runAsGroup ?? uid;
  const root = join(work, 'root');
  mkdirSync(root);
  const lines = ['set -euo pipefail', `R=${quote(root)}`, 'mount -t tmpfs -o size=64m,mode=0755 tmpfs "$R"'];
  const mkdir = (path: string) => lines.push(`mkdir -p "$R"${quote(path)}`);
  for (const path of ['/usr', '/etc', '/dev', '/proc', '/sys', WORKDIR]) mkdir(path);
  // Merged /usr, as Debian has it.
  for (const link of ['bin', 'lib', 'lib64', 'sbin']) lines.push(`ln -s usr/${link} "$R/${link}"`);
  // The image's user (useradd --home-dir /home/gpmon): its home, on the read-only root.
  const home = '/home/gpmon';
  mkdir(home);
  lines.push(`chown ${uid}:${gid} "$R${home}"`);
  for (const path of ['/usr', '/etc']) lines.push(`mount --rbind ${path} "$R${path}"`, `mount -o remount,bind,ro "$R${path}"`);
  for (const path of ['/dev', '/proc', '/sys']) lines.push(`mount --rbind ${path} "$R${path}"`);
  lines.push(`mount --bind ${quote(app)} "$R${WORKDIR}"`, `mount -o remount,bind,ro "$R${WORKDIR}"`);
  const volumes = new Map<string, string>();
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => a.mountPath.length - b.mountPath.length);
  for (const mount of mounts) {
    const volume = template.spec.volumes?.find((v) => v.name === mount.name);
    assert.ok(volume !== undefined, `volumeMount ${mount.name} has no volume`);
    if (!mount.mountPath.startsWith(`${WORKDIR}/`)) mkdir(mount.mountPath);
    const target = `"$R"${quote(mount.mountPath)}`;
    if (volume.emptyDir?.medium === 'Memory') {
      lines.push(`mount -t tmpfs -o size=512m,mode=1777 tmpfs ${target}`);
      continue;
    }
    const host = join(work, `volume-${mount.name}`);
    mkdirSync(host);
    if (volume.configMap !== undefined) {
      const data = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap?.name)?.data;
      assert.ok(data !== undefined, `ConfigMap ${volume.configMap.name} is not in the manifests`);
      for (const [key, value] of Object.entries(data)) writeFileSync(join(host, key), value);
    } else if (volume.emptyDir !== undefined || volume.persistentVolumeClaim !== undefined) {
      // emptyDir is world-writable; a claim is the fsGroup's.
      chownSync(host, uid, pod.fsGroup ?? gid);
      chmodSync(host, volume.emptyDir !== undefined ? 0o777 : 0o2775);
    } else {
      assert.fail(`volume ${volume.name}: a kind this sandbox does not emulate`);
    }
    volumes.set(mount.mountPath, host);
    lines.push(`mount --bind ${quote(host)} ${target}`);
    if (mount.readOnly === true || volume.configMap !== undefined) lines.push(`mount -o remount,bind,ro ${target}`);
  }
  const passwd = join(work, 'passwd');
  writeFileSync(passwd, `root:x:0:0:root:/root:/bin/sh\ngpmon:x:${uid}:${gid}::${home}:/bin/sh\n`);
  lines.push(`mount --bind ${quote(passwd)} "$R/etc/passwd"`);
  if (container.securityContext?.readOnlyRootFilesystem === true) lines.push('mount -o remount,ro "$R"');
  // chroot is in sbin, which the container's PATH (the one exec hands on) need not have.
  lines.push(`exec "$(PATH=/usr/sbin:/sbin:$PATH command -v chroot)" "$R" setpriv --reuid ${uid} --regid ${gid} --clear-groups --no-new-privs -- env -C ${quote(WORKDIR)} "$@"`);
  const script = join(work, 'sandbox.sh');
  writeFileSync(script, `${lines.join('\n')}\n`);
  // The image's entrypoint; tini (installed from apt in the image) only where this host has it too.
  const declared = execForm(lastOf(stage, 'ENTRYPOINT') ?? '[]');
  const tini = declared[0]?.endsWith('/tini') === true && !existsSync(declared[0]);
  const entrypoint = tini ? declared.slice(declared[1] === '--' ? 2 : 1) : declared;
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, ...envOf(stage), ...options.env };
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'bash', script, ...entrypoint, ...options.args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
  return { child, output: () => output, exited, volumes };
}

/** The container's environment as the kubelet builds it; the Secret's values and the target's URLs from the test. */
function containerEnv(objects: readonly K8sObject[], template: PodTemplate, container: Container, secret: Record<string, string>, urls: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const data = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef?.name)?.data;
    assert.ok(data !== undefined, `envFrom ${from.configMapRef?.name ?? '?'}`);
    Object.assign(env, data);
  }
  for (const variable of container.env ?? []) {
    const source = variable.valueFrom;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (source?.secretKeyRef !== undefined) {
      const value = secret[source.secretKeyRef.key];
      if (value !== undefined) env[variable.name] = value;
      else assert.equal(source.secretKeyRef.optional, true, `the Secret has no ${source.secretKeyRef.key}`);
    } else if (source?.fieldRef !== undefined) {
      const label = /^metadata\.labels\['([^']+)'\]$/.exec(source.fieldRef.fieldPath)?.[1];
      assert.ok(label !== undefined, `fieldRef ${source.fieldRef.fieldPath}`);
      env[variable.name] = template.metadata?.labels?.[label] ?? '';
    }
  }
  for (const [name, value] of Object.entries(urls)) {
    assert.ok(name in env, `the manifests do not set ${name}`);
    env[name] = value;
  }
  return env;
}

function gpmonContainer(w: Workload): Container {
  const container = w.template.spec.containers.find((c) => c.image.includes('golden-path-monitor'));
  assert.ok(container !== undefined);
  return container;
}

async function stopped(started: Started, graceMs: number): Promise<number | null> {
  if (started.child.exitCode !== null) return started.child.exitCode;
  started.child.kill('SIGTERM');
  const code = await Promise.race([started.exited, sleep(graceMs, 'late' as const, { ref: false })]);
  if (code !== 'late') return code;
  started.child.kill('SIGKILL');
  await started.exited;
  throw new Error(`did not stop within ${graceMs} ms of SIGTERM: ${started.output()}`);
}

/** Prometheus text: each sample's name, labels and value. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text.split('\n').flatMap((line) => {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (match === null) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    return [{ name: match[1] ?? '', labels, value: Number(match[3]) }];
  });
}

describe('the image, run as the Kubernetes manifests run it', { skip }, () => {
  let work: string;
  let app: string;
  let sim: Simulator;
  let gateway: Service;
  let urls: Record<string, string>;
  let secret: Record<string, string>;
  let runs = 0;
  const workDir = () => {
    const dir = join(work, `pod-${runs++}`);
    mkdirSync(dir);
    return dir;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'gpmon-image-'));
    chmodSync(work, 0o755);
    app = join(work, 'app');
    buildImageTree(app);
    sim = await startSimulator();
    gateway = await startPushgateway();
    const d = sim.description;
    urls = { GPMON_APP_URL: d.app, GPMON_AUTH_URL: d.auth, GPMON_API_URL: d.api, GPMON_WS_URL: d.ws };
    secret = { GPMON_API_TOKEN: randomBytes(24).toString('hex'), GPMON_BYPASS_KEY: d.bypassKey };
  });
  after(async () => {
    await gateway.stop();
    await sim.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('the Deployment: gpmon serve starts as uid 10001 on a read-only root, answers its probes, and runs both golden paths', async () => {
    const objects = kustomize('deploy/kubernetes/monitor') ?? [];
    const deployment = workloads(objects).find((w) => w.kind === 'Deployment' && w.template.spec.containers.some((c) => c.image.includes('golden-path-monitor')));
    assert.ok(deployment !== undefined);
    const container = gpmonContainer(deployment);
    const env = containerEnv(objects, deployment.template, container, secret, urls);
    const port = await freePort();
    // The manifest's args; the address moves to loopback and a free port for the test.
    const args = [...(container.args ?? []), '--host', '127.0.0.1', '--port', String(port)];
    const started = startContainer({ work: workDir(), app, objects, template: deployment.template, container, args, env });
    const base = `http://127.0.0.1:${port}`;
    try {
      const probe = async (path: string | undefined) => {
        const deadline = Date.now() + 120_000;
        for (;;) {
          if (started.child.exitCode !== null) assert.fail(`gpmon exited ${String(started.child.exitCode)}:\n${started.output()}`);
          try {
            const response = await fetch(`${base}${path ?? ''}`);
            if (response.ok) return;
          } catch {
            // Not listening yet.
          }
          if (Date.now() > deadline) assert.fail(`${path ?? ''} never answered 200:\n${started.output()}`);
          await sleep(250);
        }
      };
      await probe(container.startupProbe?.httpGet?.path);
      await probe(container.readinessProbe?.httpGet?.path);
      await probe(container.livenessProbe?.httpGet?.path);
      const metrics = samples(await (await fetch(`${base}/metrics`)).text());
      assert.ok(metrics.some((s) => s.name === 'synthetic_journey_runs_total' && s.labels.target === env.GPMON_TARGET), `the target from the ConfigMap (${env.GPMON_TARGET ?? ''}) is not watched`);

      for (const journey of ['golden-path', 'golden-path-api']) {
        const headers = { authorization: `Bearer ${secret.GPMON_API_TOKEN ?? ''}`, 'content-type': 'application/json' };
        const response = await fetch(`${base}/api/journeys/${journey}/runs`, { method: 'POST', headers, body: '{}' });
        const body = (await response.json()) as { id?: string; runningId?: string };
        // A scheduled run may be in flight: then that one is the run to wait for.
        const id = response.status === 409 ? body.runningId : body.id;
        assert.ok(response.status === 202 || response.status === 409, `${journey}: ${String(response.status)} ${JSON.stringify(body)}`);
        assert.ok(id !== undefined);
        const deadline = Date.now() + 120_000;
        let record: { outcome?: string; failure?: unknown } | undefined;
        while (record === undefined) {
          const answer = await fetch(`${base}/api/runs/${id}`);
          if (answer.status === 200) record = (await answer.json()) as { outcome?: string; failure?: unknown };
          else if (Date.now() > deadline) assert.fail(`${journey}: run ${id} did not finish:\n${started.output()}`);
          else await sleep(500);
        }
        assert.equal(record.outcome, 'passed', `${journey}: ${JSON.stringify(record.failure)}\n${started.output()}`);
        // The history and the run folder are on the runs volume.
        const runsVolume = started.volumes.get('/app/runs');
        assert.ok(runsVolume !== undefined && existsSync(join(runsVolume, id)), `${journey}: no run folder on the runs volume`);
      }
      const runsVolume = started.volumes.get('/app/runs') ?? '';
      assert.ok(existsSync(join(runsVolume, 'gpmon.db')));
    } finally {
      const grace = ((deployment.template.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30) * 1000;
      assert.equal(await stopped(started, grace), 0, `SIGTERM: not a clean stop:\n${started.output()}`);
    }
  });

  it('the CronJobs: each runs its journey once and pushes it with its location and its schedule interval', async () => {
    const overlay = 'deploy/kubernetes/overlays/us-east-1';
    const objects = kustomize(overlay) ?? [];
    const cronJobs = workloads(objects).filter((w) => w.kind === 'CronJob');
    assert.ok(cronJobs.length > 0, `${overlay} has no CronJobs`);
    // Each CronJob is its own pod with its own journey (its own Pushgateway job): they run side by side, as in a cluster.
    await Promise.all(cronJobs.map(async (w) => {
        const container = gpmonContainer(w);
        const env = containerEnv(objects, w.template, container, secret, urls);
        const args = [...(container.args ?? [])];
        const at = args.indexOf('--push');
        const pushTo = new URL(args[at + 1] ?? '');
        assert.ok(objects.some((o) => o.kind === 'Service' && o.metadata.name === pushTo.hostname), `${w.name}: no Service ${pushTo.hostname}`);
        // The Pushgateway Service's address, as the test's Pushgateway.
        args[at + 1] = gateway.url;
        const spec = w.object.spec as { schedule: string; jobTemplate: { spec: { activeDeadlineSeconds: number } } };
        const started = startContainer({ work: workDir(), app, objects, template: w.template, container, args, env });
        // The Job's deadline; an unref'd timer, so a finished run leaves nothing waiting.
        const code = await Promise.race([started.exited, sleep(spec.jobTemplate.spec.activeDeadlineSeconds * 1000, 'deadline' as const, { ref: false })]);
        if (code === 'deadline') await stopped(started, 5000).catch(() => undefined);
        assert.equal(code, 0, `${w.name}:\n${started.output()}`);
        const journey = args[1] ?? '';
        const pushed = samples(await (await fetch(`${gateway.url}/metrics`)).text()).filter(
          (s) => s.labels.job === journey && s.labels.journey === journey && s.labels.location === env.GPMON_LOCATION && s.labels.target === env.GPMON_TARGET,
        );
        assert.ok(env.GPMON_LOCATION !== undefined && env.GPMON_LOCATION !== '');
        assert.equal(pushed.find((s) => s.name === 'synthetic_journey_success')?.value, 1, `${w.name}: no pushed success for ${journey} in ${env.GPMON_LOCATION ?? ""}`);
        assert.equal(pushed.find((s) => s.name === 'synthetic_journey_interval_seconds')?.value, cronIntervalSeconds(spec.schedule), `${w.name}: the pushed interval is not the CronJob's`);
    }));
  });
});
