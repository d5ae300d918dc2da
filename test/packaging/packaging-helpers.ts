import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { scheduleIntervalSeconds } from '../../src/config/resolve.js';

/**
 * What the packaging tests read: the Dockerfile, the Compose file and the
 * Kubernetes manifests as the tools would (no Docker engine or cluster here),
 * and the import graph of what the image copies.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const repoPath = (...parts: string[]): string => join(ROOT, ...parts);

// ---------------------------------------------------------------- Dockerfile

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Stages and their instructions, continuation lines joined, comments dropped. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (line.trim().startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const match = /^\s*(\S+)\s+([\s\S]*)$/.exec(line);
    if (match === null) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    const args = (match[2] ?? '').trim();
    if (keyword === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      stages.push({ from: image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword, args });
    }
  }
  return stages;
}

/** An exec-form (JSON array) argument list, or a shell-form line split on spaces. */
export function execForm(args: string): string[] {
  if (args.startsWith('[')) return JSON.parse(args) as string[];
  return args.split(/\s+/).filter((word) => word !== '');
}

export interface Copy {
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly dest: string;
}

export function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = execForm(i.args);
      const flags = words.filter((w) => w.startsWith('--'));
      const rest = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      return { from, sources: rest.slice(0, -1), dest: rest.at(-1) ?? '' };
    });
}

/** ENV lines (KEY=value pairs) of a stage. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.keyword === 'ENV')) {
    for (const pair of i.args.split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

export function lastOf(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
}

export function readDockerfile(): Stage[] {
  return parseDockerfile(readFileSync(repoPath('Dockerfile'), 'utf8'));
}

/** The final stage: what the image is. */
export function finalStage(stages: readonly Stage[]): Stage {
  const stage = stages.at(-1);
  if (stage === undefined) throw new Error('the Dockerfile has no stage');
  return stage;
}

// ------------------------------------------------------------- .dockerignore

/**
 * Whether .dockerignore keeps a context path out of the build. Docker matches
 * each pattern against the path from the context root (and so against every
 * parent folder of it); `!` re-includes; the last matching line wins.
 */
export function dockerIgnored(path: string, patterns: readonly string[]): boolean {
  const parts = path.split('/');
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const matcher = globToRegExp(pattern);
    const hit = parts.some((_, i) => matcher.test(parts.slice(0, i + 1).join('/')));
    if (hit) ignored = !negate;
  }
  return ignored;
}

export function dockerignorePatterns(): string[] {
  return readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

// ------------------------------------------------------ what the image holds

/** Every file under a path of the repo (a file or a folder), as repo-relative paths. */
export function filesUnder(path: string): string[] {
  const absolute = repoPath(path);
  if (!statSync(absolute).isDirectory()) return [path];
  return readdirSync(absolute).flatMap((name) => filesUnder(`${path}/${name}`));
}

/**
 * The repo files the image's final stage copies from the build context, with
 * the paths they get under the image's WORKDIR (relative to it).
 */
export function imageFiles(): { source: string; target: string }[] {
  const stages = readDockerfile();
  const stage = finalStage(stages);
  const ignore = dockerignorePatterns();
  const out: { source: string; target: string }[] = [];
  for (const copy of copiesOf(stage)) {
    if (copy.from !== undefined) continue;
    const toFolder = copy.sources.length > 1 || copy.dest.endsWith('/');
    const dest = copy.dest.replace(/^\.\/?/, '').replace(/\/$/, '');
    for (const source of copy.sources) {
      const clean = source.replace(/^\.\//, '').replace(/\/$/, '');
      const isDir = statSync(repoPath(clean)).isDirectory();
      for (const file of filesUnder(clean)) {
        if (dockerIgnored(file, ignore)) continue;
        const target = isDir ? join(dest, relative(clean, file)) : toFolder ? join(dest, basename(file)) : dest;
        out.push({ source: file, target });
      }
    }
  }
  return out;
}

// ----------------------------------------------------------- the import graph

export interface ImportProblem {
  readonly file: string;
  readonly specifier: string;
  readonly problem: string;
}

/**
 * The modules a source file loads at run time: static imports and re-exports
 * (not `import type`), dynamic `import('…')`, `require('…')` and
 * `require.resolve('…')` with a literal name.
 */
export function runtimeImports(file: string, text: string): string[] {
  const kind = file.endsWith('.ts') || file.endsWith('.mts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && node.importClause?.phaseModifier !== ts.SyntaxKind.TypeKeyword && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node)) {
      const first = node.arguments[0];
      const literal = first !== undefined && ts.isStringLiteralLike(first) ? first.text : undefined;
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isResolve = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'require' && callee.name.text === 'resolve';
      if (literal !== undefined && (isImport || isRequire || isResolve)) out.push(literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] ?? specifier;
}

const BUILTINS = new Set(builtinModules);

/** The package itself, as its own files may import it by name (`golden-path-monitor/kit`): its name and `exports`. */
export interface SelfPackage {
  readonly name: string;
  /** Subpath ('./kit') → file ('./src/kit/index.ts'). */
  readonly exports: Readonly<Record<string, string>>;
}

/**
 * Checks each import of the given files (repo-relative path → text): a
 * built-in, a package in `dependencies`, a file among `files` (the image's),
 * or the package's own name with a subpath its `exports` maps to such a file.
 */
export function checkImports(sources: ReadonlyMap<string, string>, dependencies: ReadonlySet<string>, self?: SelfPackage): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const [file, text] of sources) {
    for (const specifier of runtimeImports(file, text)) {
      if (specifier.startsWith('node:') || BUILTINS.has(specifier)) continue;
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        const base = join(dirname(file), specifier);
        const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, `${base}.js`];
        if (!candidates.some((c) => sources.has(c))) problems.push({ file, specifier, problem: 'a file the image does not copy' });
        continue;
      }
      const name = packageOf(specifier);
      if (self !== undefined && name === self.name) {
        const subpath = `.${specifier.slice(name.length)}`;
        const target = self.exports[subpath];
        if (target === undefined) problems.push({ file, specifier, problem: `package.json "exports" has no ${subpath}` });
        else if (!sources.has(join(target))) problems.push({ file, specifier, problem: `${target}, which "exports" maps it to, is a file the image does not copy` });
        continue;
      }
      if (!dependencies.has(name)) problems.push({ file, specifier, problem: `package ${name} is not in package.json "dependencies"` });
    }
  }
  return problems;
}

export const SOURCE_FILE = /\.(ts|mts|js|mjs|cjs)$/;

// --------------------------------------------------------------------- YAML

export function yamlDocuments(text: string, where: string): unknown[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${where} (document ${i + 1}): ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as unknown;
  });
}

/** The first document of a repo YAML file; the caller states the shape it reads. */
export function readYaml(path: string): unknown {
  return yamlDocuments(readFileSync(repoPath(path), 'utf8'), path)[0];
}

/** Every YAML file the packaging ships or reads (compose, deploy/, alerts/). */
export function packagingYamlFiles(): string[] {
  const roots = ['docker-compose.yml', 'deploy', 'alerts'].filter((p) => existsSync(repoPath(p)));
  return roots.flatMap((p) => filesUnder(p)).filter((f) => /\.ya?ml$/.test(f));
}

// -------------------------------------------------------------- Compose

export interface ComposeService {
  readonly image?: string;
  readonly build?: string | { context?: string; dockerfile?: string };
  readonly command?: string[] | string;
  readonly environment?: string[] | Record<string, string | number | boolean | null>;
  readonly ports?: string[];
  readonly volumes?: string[];
  readonly depends_on?: string[] | Record<string, unknown>;
}
export interface ComposeFile {
  readonly services: Record<string, ComposeService>;
  readonly volumes?: Record<string, unknown>;
}

export interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** A path in the repo (bind mount) rather than a named volume. */
  readonly bind: boolean;
}

export function mountsOf(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((spec) => {
    const [source = '', target = '', mode] = spec.split(':');
    const bind = source.startsWith('.') || source.startsWith('/');
    return { source: bind ? source.replace(/^\.\//, '') : source, target, readOnly: mode === 'ro', bind };
  });
}

/** A container path seen through a service's bind mounts, as a repo path. */
export function hostPathOf(service: ComposeService, containerPath: string): string | undefined {
  for (const mount of mountsOf(service)) {
    if (!mount.bind) continue;
    if (containerPath === mount.target) return mount.source;
    if (containerPath.startsWith(`${mount.target}/`)) return join(mount.source, containerPath.slice(mount.target.length + 1));
  }
  return undefined;
}

export function environmentOf(service: ComposeService): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  const raw = service.environment ?? [];
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const at = item.indexOf('=');
      env.set(at < 0 ? item : item.slice(0, at), at < 0 ? undefined : item.slice(at + 1));
    }
  } else {
    for (const [key, value] of Object.entries(raw)) env.set(key, value === null ? undefined : String(value));
  }
  return env;
}

export function commandFlag(service: ComposeService, flag: string): string | undefined {
  const words = Array.isArray(service.command) ? service.command : (service.command ?? '').split(/\s+/);
  return words.find((w) => w.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

// --------------------------------------------------------------- Kubernetes

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name: string; readonly key: string; readonly optional?: boolean };
    readonly configMapKeyRef?: { readonly name: string; readonly key: string };
    readonly fieldRef?: { readonly fieldPath: string };
  };
}
export interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
}
export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  readonly readOnlyRootFilesystem?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly capabilities?: { readonly drop?: readonly string[] };
}
export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
}
export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly { readonly configMapRef?: { readonly name: string }; readonly secretRef?: { readonly name: string } }[];
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly resources?: { readonly requests?: Record<string, string>; readonly limits?: Record<string, string> };
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: readonly VolumeMount[];
}
export interface Volume {
  readonly name: string;
  readonly configMap?: { readonly name: string };
  readonly secret?: { readonly secretName: string };
  readonly emptyDir?: { readonly medium?: string };
  readonly persistentVolumeClaim?: { readonly claimName: string };
}
export interface PodTemplate {
  readonly metadata?: { readonly labels?: Record<string, string> };
  readonly spec: {
    readonly containers: readonly Container[];
    readonly securityContext?: SecurityContext;
    readonly volumes?: readonly Volume[];
    readonly restartPolicy?: string;
  };
}
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
  // The fields each kind has; read through the accessors below.
  readonly spec?: Record<string, unknown>;
}

export interface Workload {
  readonly kind: string;
  readonly name: string;
  readonly object: K8sObject;
  readonly template: PodTemplate;
}

/** Deployments' and CronJobs' pod templates. */
export function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects.flatMap((object): Workload[] => {
    const spec = object.spec as { template?: PodTemplate; jobTemplate?: { spec: { template: PodTemplate } } } | undefined;
    if (object.kind === 'Deployment' && spec?.template !== undefined) return [{ kind: object.kind, name: object.metadata.name, object, template: spec.template }];
    if (object.kind === 'CronJob' && spec?.jobTemplate !== undefined) return [{ kind: object.kind, name: object.metadata.name, object, template: spec.jobTemplate.spec.template }];
    return [];
  });
}

export function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** `kubectl kustomize <dir>` (kustomize is built into kubectl), or undefined without kubectl. */
export function kustomize(dir: string): K8sObject[] | undefined {
  if (!hasCommand('kubectl')) return undefined;
  const text = execFileSync('kubectl', ['kustomize', repoPath(dir)], { encoding: 'utf8' });
  return yamlDocuments(text, dir).filter((doc) => doc !== null) as K8sObject[];
}

/** The kustomizations to render: the two variants and every overlay. */
export function kustomizations(): string[] {
  const base = 'deploy/kubernetes';
  const overlays = existsSync(repoPath(base, 'overlays')) ? readdirSync(repoPath(base, 'overlays')).map((name) => `${base}/overlays/${name}`) : [];
  return [`${base}/monitor`, `${base}/push`, ...overlays].filter((dir) => existsSync(repoPath(dir, 'kustomization.yaml')));
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Every `GPMON_*` name the monitor's sources mention: the variables it reads. */
export function gpmonVariables(): Set<string> {
  const names = new Set<string>();
  for (const file of filesUnder('src').filter((f) => f.endsWith('.ts'))) {
    for (const match of readFileSync(repoPath(file), 'utf8').matchAll(/\bGPMON_[A-Z0-9_]*[A-Z0-9]\b/g)) names.add(match[0]);
  }
  return names;
}

/** The GET routes src/http/server.ts serves. */
export function servedRoutes(): Set<string> {
  const text = readFileSync(repoPath('src/http/server.ts'), 'utf8');
  return new Set([...text.matchAll(/app\.get\(\s*'([^']+)'/g)].map((m) => m[1] ?? ''));
}

/**
 * The longest gap in seconds between two ticks of a cron expression (5 fields
 * as Kubernetes has them, or 6 with seconds as gpmon's config has them): the
 * monitor's own reading of a schedule.
 */
export const cronIntervalSeconds = scheduleIntervalSeconds;

/** Inside a repo path (for messages), or the path as given. */
export function shown(path: string): string {
  const absolute = resolve(path);
  return absolute.startsWith(ROOT) ? absolute.slice(ROOT.length) : path.split(sep).join('/');
}
