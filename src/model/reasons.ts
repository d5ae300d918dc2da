/**
 * Why a run failed: a bounded set (the `reason` label). Adding one is a code
 * change, on purpose: dashboards and alert rules enumerate them.
 */
export const FAILURE_REASONS = [
  'auth_rejected',
  'auth_unavailable',
  'http_error',
  'network',
  'ws_handshake',
  'ws_subprotocol',
  'ws_auth',
  'ws_closed',
  'event_missing',
  'event_order',
  'agent_error',
  'response_empty',
  'response_mismatch',
  'ui',
  'timeout',
  'security',
  // Another user's events on this user's socket: a leak across users, which pages like security.
  'isolation',
  'monitor_error',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export function isFailureReason(value: unknown): value is FailureReason {
  return typeof value === 'string' && (FAILURE_REASONS as readonly string[]).includes(value);
}

/** Evidence kept beside a reason: small, flat, already free of secrets when stored. */
export type Evidence = Record<string, string | number | boolean | null | readonly string[]>;

export interface Failure {
  readonly step: string;
  readonly reason: FailureReason;
  readonly message: string;
  readonly evidence: Evidence;
}
