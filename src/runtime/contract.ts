/**
 * What the constructs and the runtime helpers agree on: environment variable
 * names and metric names, in one place. This module imports nothing, so the
 * constructs can use it without loading any runtime code.
 */

/** Set by `CircuitBreakerTable.attachTo(fn)`: the table of the circuits. */
export const CIRCUIT_BREAKER_TABLE_ENV = 'CIRCUIT_BREAKER_TABLE';
/** The CloudWatch namespace of the metrics the circuit breaker emits. */
export const CIRCUIT_BREAKER_METRICS_NAMESPACE = 'CdkResilience/CircuitBreaker';
/** Set by `AppConfigProfile.attachTo(fn)`: the extension route of the profile. */
export const APPCONFIG_CONFIGURATION_PATH_ENV = 'APPCONFIG_CONFIGURATION_PATH';
/** Set by `FailureInjection.attachTo(fn)`: the extension route of its feature-flag profile. */
export const FAILURE_INJECTION_PATH_ENV = 'FAILURE_INJECTION_CONFIGURATION_PATH';
/** The kill switch: when this environment variable is `true`, the handler runs untouched and nothing is read. */
export const FAILURE_INJECTION_DISABLED_ENV = 'FAILURE_INJECTION_DISABLED';

/** The environment of the replay function that `ArchivedEventBus` deploys: what the construct sets and the handler reads. */
export const REPLAY_ENV = {
  /** The ARN of the archive to replay from. */
  archiveArn: 'ARCHIVE_ARN',
  /** The ARN of the bus the events are replayed onto. */
  eventBusArn: 'EVENT_BUS_ARN',
  /** How many days the archive keeps events (0: forever): a window that starts earlier is refused. */
  archiveRetentionDays: 'ARCHIVE_RETENTION_DAYS',
  /** The prefix of the replays' names, which `grantReplay()` covers. */
  replayNamePrefix: 'REPLAY_NAME_PREFIX',
} as const;

