/**
 * cdk-resilience/runtime: code for your Lambda handlers.
 *
 * Everything is exported here. For the smallest bundle and the fastest cold
 * start, import each helper from its own entry instead, so that a bundler
 * keeps only what you use: `cdk-resilience/runtime/circuit-breaker`,
 * `cdk-resilience/runtime/failure-injection`, `cdk-resilience/runtime/configuration`.
 * The AWS SDK v3 is not bundled: the Lambda Node.js runtime provides it.
 */
export { CircuitBreaker, CircuitOpenError, CIRCUIT_BREAKER_METRICS_NAMESPACE } from './circuit-breaker';
export type { CircuitBreakerOptions, CircuitState } from './circuit-breaker';
export { getConfiguration, APPCONFIG_CONFIGURATION_PATH_ENV } from './configuration';
export { clearConfigurationCache } from './appconfig-extension';
export type { ExtensionReadOptions } from './appconfig-extension';
export { injectFailure, FAILURE_INJECTION_PATH_ENV, FAILURE_INJECTION_DISABLED_ENV } from './failure-injection';
export type {
  FailureInjectionOptions, FailureInjectionFlags, FailureFlag, FailureMode, LatencyAttributes, TimeoutAttributes,
  DiskSpaceAttributes, DenylistAttributes, StatusCodeAttributes, ExceptionAttributes, CorruptionAttributes,
} from './failure-injection';
