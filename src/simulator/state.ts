import { randomBytes } from 'node:crypto';
import { DEFAULT_LATENCY, type CriticalEvent, type Fault, type FaultName, type LatencyProfile, type Phase } from './profile.js';
import { ThreadStore, type ThreadStoreOptions } from './threads.js';

export interface RevisionInfo {
  readonly version: string;
  readonly environment: string;
  readonly git_commit: string;
  readonly build_time: string;
  /** When the serving process started (contract §8, "deployed revision"). */
  readonly started_at: string;
}

/** A deploy the simulator accepted: the revision it switches to, and when (epoch ms). */
export interface PendingDeploy {
  readonly revision: RevisionInfo;
  readonly switchAt: number;
}

/**
 * What the simulator actually spent, measured on its side: the ground truth a
 * monitor's measurements are checked against (the configured delays plus the
 * server's own processing).
 */
export interface Observed {
  /** Login request arrival → answer sent, ms (last login). */
  login?: number;
  /** WebSocket upgrade request arrival → connection_established sent, ms (last connection). */
  connect?: number;
  /** start_agent arrival → each critical event's first send, ms (last run). */
  events?: Partial<Record<CriticalEvent, number>>;
}

/**
 * One agent run as the simulator served it, kept so a measurement taken under
 * load (runs of several monitors at once, where "the last run" is ambiguous)
 * can be matched to its own truth by the `run_id` its events carried.
 */
export interface ObservedRun {
  /** The run_id of its events (contract §5). */
  readonly runId: string;
  /** Epoch ms the start_agent frame arrived. */
  readonly arrivedAt: number;
  /** Its socket's upgrade request arrival → connection_established sent, ms. */
  readonly connect?: number;
  /** start_agent arrival → each critical event's first send, ms (filled in as they leave). */
  readonly events: Partial<Record<CriticalEvent, number>>;
}

/** Runs the simulator keeps in its observation log (the oldest go first): a bench's capacity round at a few hundred runs a minute fits. */
export const OBSERVED_RUNS_KEPT = 5_000;

export interface StateSnapshot {
  readonly latency: LatencyProfile;
  readonly effectiveLatency: LatencyProfile;
  readonly faults: readonly Fault[];
  readonly revision: RevisionInfo;
  readonly pendingDeploy: PendingDeploy | null;
  readonly loginForm: boolean;
  readonly rotateRefreshTokens: boolean;
  readonly observed: Observed;
}

/**
 * The simulator's switchboard: the latency profile, the faults now on, and the
 * deployed revision. The servers read it per request, the admin API writes it,
 * so a fault switched on applies to the very next request or frame.
 */
export class SimulatorState {
  private latency: LatencyProfile;
  private readonly faults = new Map<FaultName, Fault>();
  private deployed: RevisionInfo;
  private pending: PendingDeploy | undefined;

  constructor(options: {
    latency?: Partial<LatencyProfile>;
    revision?: string;
    version?: string;
    loginForm?: boolean;
    threads?: ThreadStoreOptions;
  }) {
    this.threads = new ThreadStore(options.threads);
    this.latency = { ...DEFAULT_LATENCY, ...options.latency };
    const now = new Date().toISOString();
    this.deployed = {
      version: options.version ?? '1.42.0',
      environment: 'staging',
      git_commit: options.revision ?? randomBytes(20).toString('hex'),
      build_time: now,
      started_at: now,
    };
    this.loginForm = options.loginForm ?? true;
  }

  /** Development builds show a password form; staging shows only "Access Beta". */
  loginForm: boolean;
  /** The tail of the agent-run queue under the fault `serialised` (agent-run.ts inAgentQueue). */
  agentQueue: Promise<void> = Promise.resolve();
  /** Whether a refresh hands back a new refresh token and refuses the old one from then on (the platform does not: contract §8). */
  rotateRefreshTokens = false;
  /** Written by the servers as they answer; read by tests and the admin API. */
  readonly observed: Observed = {};
  /** The last OBSERVED_RUNS_KEPT agent runs' ground truth, oldest first (the admin API's GET /observed-runs). */
  readonly observedRuns: ObservedRun[] = [];

  /** Keeps a run's truth in the log (its `events` object goes on filling in as the run sends them). */
  observeRun(run: ObservedRun): void {
    this.observedRuns.push(run);
    if (this.observedRuns.length > OBSERVED_RUNS_KEPT) this.observedRuns.splice(0, this.observedRuns.length - OBSERVED_RUNS_KEPT);
  }
  /** The platform's threads: each one's owner and first request, so a follow-up keeps its context. */
  readonly threads: ThreadStore;

  enable(fault: Fault): Fault {
    // A revision change needs a concrete commit so the monitor can see it move.
    const stored: Fault =
      fault.name === 'new_revision' && fault.revision === undefined
        ? { ...fault, revision: randomBytes(20).toString('hex') }
        : fault;
    this.faults.set(stored.name, stored);
    this.faultsChanged();
    return stored;
  }

  disable(name: FaultName): boolean {
    const removed = this.faults.delete(name);
    if (removed) this.faultsChanged();
    return removed;
  }

  clearFaults(): void {
    this.faults.clear();
    this.faultsChanged();
  }

  /**
   * Calls `listener` after every change of the faults on (enable, disable,
   * clear), for what the servers cannot read per request (a TLS simulator's
   * certificate). What it returns is waited for, change by change, in order:
   * see faultsApplied.
   */
  onFaultsChanged(listener: () => void | Promise<void>): void {
    this.faultListeners.push(listener);
  }

  /** Resolves once the listeners of every change so far are done: the admin API answers after it, so a fault is in force when its POST returns. */
  faultsApplied(): Promise<void> {
    return this.applied;
  }

  private readonly faultListeners: (() => void | Promise<void>)[] = [];
  private applied: Promise<void> = Promise.resolve();

  private faultsChanged(): void {
    // A listener that fails leaves the change unapplied (the listener reports its own failures); the chain goes on.
    for (const listener of this.faultListeners) this.applied = this.applied.then(listener).catch(() => undefined);
  }

  fault<N extends FaultName>(name: N): Extract<Fault, { name: N }> | undefined {
    return this.faults.get(name) as Extract<Fault, { name: N }> | undefined;
  }

  setLatency(patch: Partial<LatencyProfile>): void {
    this.latency = { ...this.latency, ...patch };
  }

  /** The delay of a phase now: the profile plus any slow_phase fault on it. */
  delay(phase: Phase): number {
    const slow = this.fault('slow_phase');
    return this.latency[phase] + (slow?.phase === phase ? slow.ms : 0);
  }

  /**
   * What /api/system/info reports now. A deploy switches over once its time
   * has come, unless the fault `deploy_stuck` holds the old revision; the
   * fault `new_revision` shows its own commit over either.
   */
  revision(): RevisionInfo {
    if (this.pending !== undefined && Date.now() >= this.pending.switchAt && this.fault('deploy_stuck') === undefined) {
      this.deployed = { ...this.pending.revision, started_at: new Date().toISOString() };
      this.pending = undefined;
    }
    const moved = this.fault('new_revision');
    if (moved?.revision === undefined) return this.deployed;
    return { ...this.deployed, git_commit: moved.revision, build_time: new Date().toISOString() };
  }

  /**
   * Accepts a deploy of `revision` (a commit), live `switchAfterMs` from now,
   * as a rollout replaces the running pods; a later deploy replaces one still
   * pending.
   */
  deploy(revision: string, switchAfterMs: number): PendingDeploy {
    this.pending = { revision: { ...this.deployed, git_commit: revision, build_time: new Date().toISOString() }, switchAt: Date.now() + switchAfterMs };
    return this.pending;
  }

  snapshot(): StateSnapshot {
    const effective = { ...this.latency };
    for (const phase of Object.keys(effective) as Phase[]) effective[phase] = this.delay(phase);
    return {
      latency: { ...this.latency },
      effectiveLatency: effective,
      faults: [...this.faults.values()],
      revision: this.revision(),
      pendingDeploy: this.pending ?? null,
      loginForm: this.loginForm,
      rotateRefreshTokens: this.rotateRefreshTokens,
      observed: structuredClone(this.observed),
    };
  }
}
