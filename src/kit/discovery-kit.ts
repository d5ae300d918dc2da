import { recordDeclaration } from './journey-declaration.js';
import type { JourneyDeclaration } from '../model/journey.js';

/**
 * What `golden-path-monitor/kit` is while gpmon's discovery reads a journey
 * file (src/catalog/discover.ts): `defineJourney` records the declaration;
 * the model's names (reasons, steps, events) are the real ones; everything
 * else of the kit is a stand-in that says, if a file uses it at the top
 * level, to use it inside the journey's body. Loading the whole kit would
 * load Playwright, a second of CPU for every gpmon command; a declaration
 * needs none of it. Its names are src/kit/index.ts's (a unit test holds them
 * together).
 */

export function defineJourney(declaration: JourneyDeclaration, body: unknown): JourneyDeclaration {
  if (!recordDeclaration(declaration, body)) throw new Error('the discovery stand-in of the kit was loaded outside discovery');
  return declaration;
}

export { FAILURE_REASONS } from '../model/reasons.js';
export { GOLDEN_PATH_STEPS, CRITICAL_EVENTS } from '../model/golden-path.js';

/** A stand-in for a kit value: any use of it while the file is only being read names it and says where it belongs. */
function standIn(name: string): never {
  const refuse = (): never => {
    throw new Error(`${name} from golden-path-monitor/kit is used at the top level of the journey file, where gpmon only reads the declaration: use it inside the journey's body`);
  };
  const target: object = function standInValue() {
    return undefined;
  };
  return new Proxy(target, { get: refuse, apply: refuse, construct: refuse, has: refuse, set: refuse, ownKeys: refuse, getPrototypeOf: refuse }) as never;
}

export const expect = standIn('expect');
export const JourneyRun = standIn('JourneyRun');
export const fail = standIn('fail');
export const classify = standIn('classify');
export const JourneyFailure = standIn('JourneyFailure');
export const stepBudget = standIn('stepBudget');
export const loginOverHttp = standIn('loginOverHttp');
export const refreshOverHttp = standIn('refreshOverHttp');
export const jwtClaims = standIn('jwtClaims');
export const callJson = standIn('callJson');
export const readTargetInfo = standIn('readTargetInfo');
export const detailOf = standIn('detailOf');
export const httpEvidence = standIn('httpEvidence');
export const tokenSubprotocol = standIn('tokenSubprotocol');
export const ProtocolSocket = standIn('ProtocolSocket');
export const openRunSocket = standIn('openRunSocket');
export const handshakeFailure = standIn('handshakeFailure');
export const readCertificate = standIn('readCertificate');
export const shortProtocol = standIn('shortProtocol');
export const EventCollector = standIn('EventCollector');
export const mergeFrame = standIn('mergeFrame');
export const connectVerdict = standIn('connectVerdict');
export const agentRequestVerdict = standIn('agentRequestVerdict');
export const liveEventsVerdict = standIn('liveEventsVerdict');
export const answerVerdict = standIn('answerVerdict');
export const waitForStream = standIn('waitForStream');
export const answerFrom = standIn('answerFrom');
export const excerpt = standIn('excerpt');
export const loginInBrowser = standIn('loginInBrowser');
export const PageProbe = standIn('PageProbe');
export const goldenPathApi = standIn('goldenPathApi');
export const goldenPath = standIn('goldenPath');
export const wsAuthEnforced = standIn('wsAuthEnforced');
