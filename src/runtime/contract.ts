/**
 * What the constructs and the runtime helpers agree on: environment variable
 * names, table keys, metric names and IAM actions, in one place. This module
 * imports nothing, so the constructs can use it without loading any runtime code.
 */

/** Set by `CircuitBreakerTable.attachTo(fn)`: the table of the circuits. */
export const CIRCUIT_BREAKER_TABLE_ENV = 'CIRCUIT_BREAKER_TABLE';
/** The CloudWatch namespace of the metrics the circuit breaker emits. */
export const CIRCUIT_BREAKER_METRICS_NAMESPACE = 'CdkResilience/CircuitBreaker';
/** The partition key of the circuit table: the circuit id, a string. */
export const CIRCUIT_BREAKER_PARTITION_KEY = 'id';
/** The TTL attribute of the circuit table: epoch seconds after which DynamoDB deletes an abandoned circuit. */
export const CIRCUIT_BREAKER_TTL_ATTRIBUTE = 'expiresAt';
/** The metric the circuit breaker emits (value 1, unit Count) when a circuit enters each state. */
export const CIRCUIT_BREAKER_METRICS = {
  /** CLOSED or HALF_OPEN -> OPEN: the alarm of `CircuitBreakerTable` watches this one. */
  OPEN: 'CircuitOpened',
  /** OPEN -> HALF_OPEN: an environment claimed the probe. */
  HALF_OPEN: 'CircuitHalfOpened',
  /** HALF_OPEN -> CLOSED: enough probes succeeded. */
  CLOSED: 'CircuitClosed',
} as const;
/** The dimensions of those metrics: each is emitted per table, and per table and circuit. */
export const CIRCUIT_BREAKER_DIMENSIONS = {
  /** The name of the circuit table. */
  tableName: 'TableName',
  /** The circuit id. */
  circuitId: 'CircuitId',
} as const;
/** Exactly the DynamoDB actions the runtime circuit breaker uses: a consistent read, and conditional updates. */
export const CIRCUIT_BREAKER_RUNTIME_ACTIONS: readonly string[] = Object.freeze(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
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


/** Set by `IdempotencyTable.attachTo(fn)`: the table of the idempotency records that Powertools for AWS Lambda keeps. */
export const IDEMPOTENCY_TABLE_ENV = 'IDEMPOTENCY_TABLE';
/** The partition key of the idempotency table: Powertools' default `keyAttr`, the idempotency key, a string. */
export const IDEMPOTENCY_PARTITION_KEY = 'id';
/** The TTL attribute of the idempotency table: Powertools' default `expiryAttr`, epoch seconds after which a record has expired. */
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';
/** Exactly the DynamoDB actions of Powertools' `DynamoDBPersistenceLayer`: claim (put), read, complete (update), and release after a failure (delete). */
export const IDEMPOTENCY_RUNTIME_ACTIONS: readonly string[] = Object.freeze(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
