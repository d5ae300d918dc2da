/**
 * The golden path's names, as the contract gives them: one home for the steps
 * a golden-path journey declares (golden-path-contract.md §7) and the critical
 * events its live stream carries, in order (§5).
 */

/** The five steps of the golden path, in the order a run takes them (contract §7). */
export const GOLDEN_PATH_STEPS = ['login', 'connect', 'agent_request', 'live_events', 'ai_response'] as const;
export type GoldenPathStep = (typeof GOLDEN_PATH_STEPS)[number];

/** The five critical events of one agent run, in the order they must arrive (contract §5). */
export const CRITICAL_EVENTS = ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed'] as const;
export type CriticalEvent = (typeof CRITICAL_EVENTS)[number];
