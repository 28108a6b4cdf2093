import { Duration } from 'aws-cdk-lib';

/**
 * What AWS does when a template leaves a setting out (in seconds where a
 * duration). The checks read templates with these.
 */
export const AWS_DEFAULTS = {
  /** Lambda: a function times out after 3 seconds. */
  functionTimeoutSeconds: 3,
  /** Lambda: an asynchronous invocation is retried twice. */
  asyncRetryAttempts: 2,
  /** Lambda: an SQS event source reads batches of 10. */
  sqsBatchSize: 10,
  /** SQS: a message is kept 4 days. */
  queueRetentionSeconds: 345_600,
  /** SQS: a received message is hidden 30 seconds. */
  queueVisibilityTimeoutSeconds: 30,
  /** EventBridge: a target is retried 185 times. */
  targetRetryAttempts: 185,
  /** EventBridge: a target is retried for 24 hours. */
  targetMaxEventAgeSeconds: 86_400,
  /** Lambda: an asynchronous event is kept 6 hours. */
  asyncMaxEventAgeSeconds: 21_600,
  /**
   * Lambda event source mappings and EventBridge Pipes reading a stream:
   * `MaximumRetryAttempts` -1, retries without bound until the record expires.
   */
  streamRetryAttempts: -1,
  /**
   * Lambda event source mappings and EventBridge Pipes reading a stream:
   * `MaximumRecordAgeInSeconds` -1, records never too old to retry.
   */
  streamMaxRecordAgeSeconds: -1,
  /** Lambda: a Kinesis or DynamoDB stream event source reads batches of 100. */
  streamBatchSize: 100,
  /** EventBridge Pipes: a Kinesis or DynamoDB stream source reads batches of 1. */
  pipeStreamBatchSize: 1,
  /** Kinesis: a stream keeps records 24 hours (`RetentionPeriodHours`). */
  kinesisRetentionHours: 24,
  /** DynamoDB Streams: a stream keeps records 24 hours, always. */
  dynamoDbStreamRetentionSeconds: 86_400,
} as const;

/**
 * The library's defaults, each in one place. Every value is tested.
 */
export const DEFAULTS = {
  /** SQS maximum: a dead-letter queue keeps what failed as long as SQS allows. */
  deadLetterRetention: Duration.days(14),
  /** SQS default retention for a source queue. */
  sourceRetention: Duration.seconds(AWS_DEFAULTS.queueRetentionSeconds),
  /** Lambda DG: at least 5 so that throttling does not dead-letter healthy messages. */
  maxReceiveCount: 5,
  /** Lambda DG: the source queue's visibility timeout is at least 6 × the function timeout. */
  visibilityTimeoutFactor: 6,
  /** Lambda's own default function timeout, used when `functionProps.timeout` is not set. */
  functionTimeout: Duration.seconds(AWS_DEFAULTS.functionTimeoutSeconds),
  /** Lambda's default batch size for an SQS event source. */
  batchSize: AWS_DEFAULTS.sqsBatchSize,
  /** The source queue's oldest message alarms at this fraction of the retention period. */
  queueAgeAlarmFraction: 0.5,
  /** Lambda's maximum: two retries of an asynchronous invocation. */
  asyncRetryAttempts: 2,
  /** Lambda's maximum: an asynchronous event is kept up to 6 hours. */
  asyncMaxEventAge: Duration.hours(6),
  /** EventBridge archives keep events 30 days (0 would mean forever). */
  archiveRetention: Duration.days(30),
  /** EventBridge's maximum: 185 retries of a target. */
  targetRetryAttempts: 185,
  /** EventBridge's maximum: a target is retried for 24 hours. */
  targetMaxEventAge: Duration.hours(24),
  /** How long the replay function waits for a replay to end. */
  replayFunctionTimeout: Duration.minutes(5),
} as const;

/** Limits that AWS enforces and that props are validated against. */
export const LIMITS = {
  maxReceiveCount: { min: 1, max: 1000 },
  batchSize: { min: 1, max: 10_000, withoutWindow: 10, fifo: 10 },
  maxBatchingWindow: Duration.minutes(5),
  maxConcurrency: { min: 2, max: 1000 },
  visibilityTimeout: Duration.hours(12),
  retention: { min: Duration.seconds(60), max: Duration.days(14) },
  /** SQS: a redrive-allow policy lists at most 10 source queue ARNs. */
  redriveAllowSources: 10,
  queueName: 80,
  asyncRetryAttempts: { min: 0, max: 2 },
  asyncMaxEventAge: { min: Duration.seconds(60), max: Duration.hours(6) },
  targetRetryAttempts: { min: 0, max: 185 },
  targetMaxEventAge: { min: Duration.seconds(60), max: Duration.hours(24) },
  /** EventBridge: a rule has at most 5 targets. */
  targetsPerRule: 5,
  eventBusName: 256,
  /** The replay function names replays `<prefix>-<time>-<random>`, at most 64 characters. */
  replayNamePrefix: 38,
  /** Lambda: an SQS event source mapping starts with 5 concurrent pollers. */
  sqsMinimumPollers: 5,
} as const;
