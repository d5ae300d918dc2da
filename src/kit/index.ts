/**
 * The journey kit: what a journey file imports, as `golden-path-monitor/kit`
 * (package.json `exports`). Authoring guide: journeys/README.md.
 *
 * A journey file is one `defineJourney(declaration, body)` call, its default
 * export. The body is a Playwright test body: it gets Playwright's fixtures
 * (`page`, `context`, `request`…) and the kit's `run`, whose `run.step(name,
 * fn)` runs each declared step. A step fails with one of FAILURE_REASONS: by
 * `fail(reason, message, evidence)`, or, for anything else it throws, by the
 * verdict rules (classify: a Playwright timeout is `timeout`, a refused
 * connection `network`, a failed expect() `ui`…). A later step of a failed run
 * is `skipped`.
 */

// Declaring a journey, and Playwright's own expect (a failed expect() in a step is reason `ui`).
export { defineJourney, expect, type JourneyTestArgs } from './fixtures.js';
export type { JourneyDeclaration } from '../model/journey.js';
export { JourneyRun, type StepControl } from './journey-run.js';

// Failing a step with a reason.
export { fail, classify, JourneyFailure } from './failure.js';
export { FAILURE_REASONS, type FailureReason, type Evidence } from '../model/reasons.js';
export { stepBudget } from './step-budget.js';

// The target: its URLs (run.target) and what a run was asked (run.inputs).
export type { Target } from '../model/target.js';
export type { RunInputs } from '../model/run-record.js';

// Protocol journeys: HTTP login, a WebSocket client, the agent's event stream and its verdicts.
export { loginOverHttp, refreshOverHttp, jwtClaims, tokenSubprotocol, type Session, type LoginOptions } from './login.js';
export { callJson, detailOf, httpEvidence, type HttpAnswer } from './http.js';
export { readTargetInfo } from './target-info.js';
export { ProtocolSocket, handshakeFailure, shortProtocol } from './ws-client.js';
export { openRunSocket, type RunSocketOptions } from './run-socket.js';
/**
 * TLS (contract §8): `readCertificate(url, { caFile, timeoutMs })` reads the
 * certificate an https/wss origin presents, trusted or not, as data:
 * `{ ok: true, notAfter, notBefore, daysLeft, subject, issuer, trusted,
 * authorizationError? }` or `{ ok: false, error }`; it never throws. Pass
 * `caFile: run.target.caFile` to it, to callJson and to ProtocolSocket.open,
 * so a target's private CA is trusted beside the system's.
 */
export { readCertificate, type CertificateReading } from './tls.js';
export { EventCollector, mergeFrame } from './event-collector.js';
export { connectVerdict, agentRequestVerdict, liveEventsVerdict, answerVerdict, waitForStream, type CloseState, type Waited } from './golden-path-checks.js';
export { answerFrom, excerpt } from './answer.js';
export { GOLDEN_PATH_STEPS, CRITICAL_EVENTS, type CriticalEvent, type GoldenPathStep } from '../model/golden-path.js';

// Browser journeys: the login through the web app, and the page's own WebSocket.
export { loginInBrowser, type BrowserSession } from './browser-login.js';
export { PageProbe } from './page-probe.js';

// The shipped journeys' bodies, to build on (thread-follow-up runs the golden path, then its own step).
export { goldenPathApi, type OpenGoldenPath, type GoldenPathOptions } from '../journeys/golden-path-api.js';
export { goldenPath } from '../journeys/golden-path.js';
export { wsAuthEnforced } from '../journeys/ws-auth-enforced.js';
