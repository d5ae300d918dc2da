import { randomBytes } from 'node:crypto';
import { DEFAULT_LATENCY, type CriticalEvent, type Fault, type FaultName, type LatencyProfile, type Phase } from './profile.js';
import { ThreadStore, type ThreadStoreOptions } from './threads.js';

export interface RevisionInfo {
  readonly version: string;
  readonly environment: string;
  readonly git_commit: string;
  readonly build_time: string;
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

export interface StateSnapshot {
  readonly latency: LatencyProfile;
  readonly effectiveLatency: LatencyProfile;
  readonly faults: readonly Fault[];
  readonly revision: RevisionInfo;
  readonly loginForm: boolean;
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
  private readonly baseRevision: RevisionInfo;

  constructor(options: {
    latency?: Partial<LatencyProfile>;
    revision?: string;
    version?: string;
    loginForm?: boolean;
    threads?: ThreadStoreOptions;
  }) {
    this.threads = new ThreadStore(options.threads);
    this.latency = { ...DEFAULT_LATENCY, ...options.latency };
    this.baseRevision = {
      version: options.version ?? '1.42.0',
      environment: 'staging',
      git_commit: options.revision ?? randomBytes(20).toString('hex'),
      build_time: new Date().toISOString(),
    };
    this.loginForm = options.loginForm ?? true;
  }

  /** Development builds show a password form; staging shows only "Access Beta". */
  loginForm: boolean;
  /** Written by the servers as they answer; read by tests and the admin API. */
  readonly observed: Observed = {};
  /** The platform's threads: each one's owner and first request, so a follow-up keeps its context. */
  readonly threads: ThreadStore;

  enable(fault: Fault): Fault {
    // A revision change needs a concrete commit so the monitor can see it move.
    const stored: Fault =
      fault.name === 'new_revision' && fault.revision === undefined
        ? { ...fault, revision: randomBytes(20).toString('hex') }
        : fault;
    this.faults.set(stored.name, stored);
    return stored;
  }

  disable(name: FaultName): boolean {
    return this.faults.delete(name);
  }

  clearFaults(): void {
    this.faults.clear();
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

  revision(): RevisionInfo {
    const moved = this.fault('new_revision');
    if (moved?.revision === undefined) return this.baseRevision;
    return { ...this.baseRevision, git_commit: moved.revision, build_time: new Date().toISOString() };
  }

  snapshot(): StateSnapshot {
    const effective = { ...this.latency };
    for (const phase of Object.keys(effective) as Phase[]) effective[phase] = this.delay(phase);
    return {
      latency: { ...this.latency },
      effectiveLatency: effective,
      faults: [...this.faults.values()],
      revision: this.revision(),
      loginForm: this.loginForm,
      observed: structuredClone(this.observed),
    };
  }
}
