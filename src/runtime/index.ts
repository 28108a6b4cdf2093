/**
 * cdk-resilience/runtime: code for your Lambda handlers.
 *
 * Bundlers get an ES module build of this entry and keep only what you
 * import; each helper also has its own entry (`cdk-resilience/runtime/circuit-breaker`,
 * `.../failure-injection`, `.../configuration`, `.../batch-deferral`, `.../deadline`). The AWS SDK v3 is not
 * bundled: the Lambda Node.js runtime provides it.
 */
export { CircuitBreaker, CircuitOpenError, CIRCUIT_BREAKER_METRICS_NAMESPACE, CIRCUIT_BREAKER_CLIENT_CONFIG } from './circuit-breaker';
export type { CircuitBreakerOptions, CircuitState } from './circuit-breaker';
export { BatchDeferral, queueUrlFromArn, BATCH_DEFERRAL_CLIENT_CONFIG } from './batch-deferral';
export type {
  BatchDeferralOptions, DeferralResult, DeferredMessage, FailedDeferral, SqsBatchResponse, SqsEventLike, SqsRecordLike,
} from './batch-deferral';
export { applyDeadline, currentDeadline, Deadline, DEADLINE_DEFAULTS, DeadlineExceededError, deadlineRetryStrategy, withDeadline } from './deadline';
export type { DeadlineOptions, DeadlineRetryOptions, DeadlineRetryStrategy, LambdaContextLike, RetryErrorInfoLike, RetryTokenLike } from './deadline';
export { getConfiguration, APPCONFIG_CONFIGURATION_PATH_ENV } from './configuration';
export { clearConfigurationCache, ExtensionUnreachableError } from './appconfig-extension';
export type { ExtensionReadOptions } from './appconfig-extension';
export type { RuntimeLogger } from './logger';
export { injectFailure, FAILURE_INJECTION_PATH_ENV, FAILURE_INJECTION_DISABLED_ENV } from './failure-injection';
export type {
  FailureInjectionOptions, FailureInjectionFlags, FailureFlag, FailureMode, LatencyAttributes, TimeoutAttributes,
  DiskSpaceAttributes, DenylistAttributes, StatusCodeAttributes, ExceptionAttributes, CorruptionAttributes,
} from './failure-injection';
/** Set by `IdempotencyTable.attachTo(fn)` to the table's name: give `process.env[IDEMPOTENCY_TABLE_ENV]` to Powertools' `DynamoDBPersistenceLayer` as `tableName`. */
export { IDEMPOTENCY_TABLE_ENV } from './contract';
