import { displayUrl } from '../metrics/push.js';
import { UsageError } from './usage.js';

/**
 * What `gpmon run --push` and `gpmon verify --push` check before any run: the
 * gateway URL is http(s), and the push's location label (GPMON_LOCATION) is a
 * label value. Both as UsageErrors naming the command and the input.
 */
export function checkPushUrl(command: string, url: string | undefined): void {
  if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url)) throw new UsageError(`gpmon ${command}: --push: "${displayUrl(url)}" is not an http(s) URL`);
}

/** The push's location (GPMON_LOCATION), or undefined: empty is unset, as a pod without a location label gets "" from its downward API. */
export function pushLocation(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const location = (env.GPMON_LOCATION ?? '') === '' ? undefined : env.GPMON_LOCATION;
  if (location !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(location)) throw new UsageError(`gpmon ${command}: GPMON_LOCATION: "${location}" must be 1-64 letters, digits, "_", "-" or "."`);
  return location;
}
