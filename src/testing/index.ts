/**
 * cdk-resilience/testing: helpers for the tests and local runs of your own
 * handlers that use cdk-resilience/runtime. Not for Lambda: nothing here is
 * bundled into a function unless you import it.
 */
export { startLocalAppConfigExtension, ALL_FAILURE_FLAGS_OFF } from './local-appconfig-extension';
export type { LocalAppConfigExtension, ExtensionAnswer } from './local-appconfig-extension';
export { localCircuitBreakerClient } from './local-circuit-breaker-client';
