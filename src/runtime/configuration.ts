import { ExtensionReadOptions, readThroughExtension } from './appconfig-extension';

export { clearConfigurationCache } from './appconfig-extension';
export type { ExtensionReadOptions } from './appconfig-extension';

import { APPCONFIG_CONFIGURATION_PATH_ENV } from './contract';

export { APPCONFIG_CONFIGURATION_PATH_ENV };

/**
 * The configuration of the `AppConfigProfile` attached to this function, read
 * through the AppConfig Lambda extension and cached for `maxAge` (default 5 s).
 * JSON is parsed. Throws when the extension cannot answer: a function that
 * needs its configuration should fail rather than guess.
 */
export async function getConfiguration<T = unknown>(options: ExtensionReadOptions = {}): Promise<T> {
  const path = options.path ?? process.env[APPCONFIG_CONFIGURATION_PATH_ENV];
  if (!path) {
    throw new Error(`getConfiguration needs options.path or ${APPCONFIG_CONFIGURATION_PATH_ENV} (AppConfigProfile.attachTo(fn) sets it)`);
  }
  return await readThroughExtension(path, options) as T;
}
