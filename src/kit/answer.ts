/**
 * Contract §5: the answer is the first non-empty of the agent_completed
 * `result` (a string, or an object's content, text, summary or message),
 * `final_response`, `response`; or the content of an agent_response message
 * sent before agent_completed.
 */
export function answerFrom(completed: Record<string, unknown>, agentResponseContent: string | undefined): string {
  const candidates: unknown[] = [];
  const result = completed.result;
  if (typeof result === 'string') candidates.push(result);
  else if (typeof result === 'object' && result !== null) {
    const r = result as Record<string, unknown>;
    candidates.push(r.content, r.text, r.summary, r.message);
  }
  candidates.push(completed.final_response, completed.response, agentResponseContent);
  const found = candidates.find((value): value is string => typeof value === 'string' && value.trim() !== '');
  return found ?? '';
}

/** A short, single-line form of the answer for messages and evidence. */
export function excerpt(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
