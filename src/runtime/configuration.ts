import { checkReadOptions, ExtensionReadOptions, readThroughExtension } from './appconfig-extension';
import { APPCONFIG_CONFIGURATION_PATH_ENV } from './contract';

export { clearConfigurationCache, ExtensionUnreachableError } from './appconfig-extension';
export type { ExtensionReadOptions } from './appconfig-extension';
export { APPCONFIG_CONFIGURATION_PATH_ENV };

/**
 * The configuration of the `AppConfigProfile` attached to this function, read
 * through the AppConfig Lambda extension and cached for `maxAge` (default 5 s).
 * JSON is parsed. A function that needs its configuration should fail rather
 * than guess, so it throws:
 *
 * - an `Error` naming the option when an option is of the wrong type or out
 *   of range (`port` an integer 1-65,535, `maxAge` ≥ 0, `timeout` ≥ 1 ms);
 * - an `Error` naming `APPCONFIG_CONFIGURATION_PATH` when there is no path
 *   (`AppConfigProfile.attachTo(fn)` sets it);
 * - an `ExtensionUnreachableError` when the extension cannot be reached (as
 *   outside Lambda): it names the URL, the AppConfig Lambda extension, and how to
 *   run locally (`startLocalAppConfigExtension()` of cdk-resilience/testing);
 * - an `Error` with the status and the start of the body when the extension
 *   answers with an error (a profile it does not know: 404).
 *
 * A failed read is not cached: the next call asks the extension again.
 */
export async function getConfiguration<T = unknown>(options: ExtensionReadOptions = {}): Promise<T> {
  options = checkReadOptions(options);
  const path = options.path ?? process.env[APPCONFIG_CONFIGURATION_PATH_ENV];
  if (!path) {
    throw new Error(`getConfiguration needs options.path or ${APPCONFIG_CONFIGURATION_PATH_ENV} (AppConfigProfile.attachTo(fn) sets it)`);
  }
  return await readThroughExtension(path, options) as T;
}
