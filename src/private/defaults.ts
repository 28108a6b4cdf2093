import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

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
  /** API Gateway: a REST API's integration times out after 29 seconds (`TimeoutInMillis`). */
  restApiIntegrationTimeoutMillis: 29_000,
  /** API Gateway: an HTTP API's integration times out after 30 seconds. */
  httpApiIntegrationTimeoutMillis: 30_000,
  /** API Gateway: a WebSocket API's integration times out after 29 seconds. */
  webSocketApiIntegrationTimeoutMillis: 29_000,
  /** EventBridge Scheduler: a target is retried 185 times, then the invocation is dropped unless it has a dead-letter queue. */
  scheduleRetryAttempts: 185,
  /** EventBridge Scheduler: a target is retried for 24 hours. */
  scheduleMaxEventAgeSeconds: 86_400,
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
  /** Lambda's own default, which is also its maximum: two retries of an asynchronous invocation. */
  asyncRetryAttempts: AWS_DEFAULTS.asyncRetryAttempts,
  /** Lambda's own default, which is also its maximum: an asynchronous event is kept up to 6 hours. */
  asyncMaxEventAge: Duration.seconds(AWS_DEFAULTS.asyncMaxEventAgeSeconds),
  /** EventBridge archives keep events 30 days (0 would mean forever). */
  archiveRetention: Duration.days(30),
  /** EventBridge's own default, which is also its maximum: 185 retries of a target. */
  targetRetryAttempts: AWS_DEFAULTS.targetRetryAttempts,
  /** EventBridge's own default, which is also its maximum: a target is retried for 24 hours. */
  targetMaxEventAge: Duration.seconds(AWS_DEFAULTS.targetMaxEventAgeSeconds),
  /** How long the replay function waits for a replay to end. */
  replayFunctionTimeout: Duration.minutes(5),
  /** The replay function makes two API calls and holds no data: the smallest size that starts fast enough. */
  replayFunctionMemorySize: 256,
  /** `AppConfigProfile`: the environment the configuration deploys to. */
  appConfigEnvironmentName: 'default',
  /** `AppConfigProfile`: the name of the hosted configuration profile. */
  appConfigProfileName: 'configuration',
  /** `FailureInjection`: the AppConfig environment of the experiments. */
  failureInjectionEnvironmentName: 'chaos',
  /** `FailureInjection`: the name of its feature-flags profile. */
  failureInjectionProfileName: 'failure-injection',
  /** FIS: how long a Lambda fault lasts when the props do not say. */
  fisExperimentDuration: Duration.minutes(10),
  /** FIS action reference: a Lambda fault strikes every invocation unless told otherwise. */
  fisInvocationPercentage: 100,
  /** The folder of the configuration bucket that FIS writes and the extension reads (the FIS user guide's own example). */
  fisConfigurationPrefix: 'FisConfigs/',
  /** FIS writes a configuration when an action starts and deletes it when it ends (at most 12 h later): anything older is left over. */
  fisConfigurationExpiration: Duration.days(1),
  /** Experiment logs are an audit trail of what was injected where; kept three months. */
  fisLogRetention: RetentionDays.THREE_MONTHS,
  /** The content type of an injected HTTP response. */
  fisContentType: 'application/json',
  // StreamConsumerFunction (Kinesis Data Streams, DynamoDB Streams); the README's table repeats them.
  /**
   * Lambda's own default for Kinesis and DynamoDB Streams, written into the
   * template so that it says what it does. With bisecting, a poison record
   * is alone in its batch after ceil(log2(100)) = 7 splits.
   */
  streamBatchSize: AWS_DEFAULTS.streamBatchSize,
  /**
   * Retries of a batch that failed (bisecting does not use them up): a poison
   * record costs at most 1 + 3 + ceil(log2(batchSize)) invocations, 11 with
   * the default batch size, and then goes to the failure destination.
   */
  streamRetryAttempts: 3,
  /**
   * Lambda retries a batch it cannot invoke (throttles) until the record is
   * this old, whatever `retryAttempts` says: one hour bounds how long a shard
   * can wait, and leaves 23 of the default 24 hours of retention to read the
   * data back.
   */
  streamMaxRecordAge: Duration.hours(1),
  /** A failing batch is split until the record that fails is alone. */
  streamBisectBatchOnError: true,
  /** The handler names the first record it could not process, so the records before it are not retried. */
  streamReportBatchItemFailures: true,
  /** The iterator age alarms at this fraction of the shorter of the stream's retention and `maxRecordAge`. */
  iteratorAgeAlarmFraction: 0.5,
  // QueueBackedApi (API Gateway REST API -> SQS); the README's table repeats them.
  /** The resource path that takes the requests. */
  apiPath: '/',
  /** The method that takes the requests: it carries a body. */
  apiMethod: 'POST',
  /** Callers sign their requests (SigV4): API Gateway's `AWS_IAM`; no anonymous writes to the queue. */
  apiAuthorizationType: 'AWS_IAM',
  /**
   * Requests per second the stage lets through. The queue takes any rate, but its consumer drains it only as fast
   * as its downstream allows: 100/s bounds how fast one client can grow the backlog (360,000 messages an hour),
   * and keeps this API from using up the 10,000 requests per second that every API of the account and region shares.
   */
  apiThrottleRateLimit: 100,
  /** Requests the stage lets through at once, above the rate: two seconds' worth of the rate. */
  apiThrottleBurstLimit: 200,
  /** Access logs: who sent what, and what SQS answered, kept for an incident review a quarter later. */
  apiAccessLogRetention: RetentionDays.THREE_MONTHS,
  /**
   * SQS answers SendMessage in tens of milliseconds: a p99 integration latency of 1 second means SQS (or the
   * queue's KMS key) is struggling, long before requests reach API Gateway's 29-second integration timeout.
   */
  apiIntegrationLatencyThreshold: Duration.seconds(1),
  /** The header whose value becomes a FIFO message's deduplication id (the IETF draft's name). */
  apiIdempotencyKeyHeader: 'Idempotency-Key',
} as const;

/** Limits that AWS enforces and that props are validated against. */
export const LIMITS = {
  /** The retry budget lists at most this many paths from one resource (fan-outs multiply them), and says where it stopped. */
  retryPathsPerResource: 1000,
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
  /** FIS quotas: a target lists at most 5 resource ARNs. */
  fisTargetArns: 5,
  /** FIS quotas: a template has at most 5 stop conditions. */
  fisStopConditions: 5,
  /**
   * FIS quotas: an action lasts at most 12 h. The library's minimum is one poll
   * of the extension (60 s by default): a shorter fault may reach no invocation.
   */
  fisDuration: { min: Duration.seconds(60), max: Duration.hours(12) },
  /** FIS action reference: `invocationPercentage` is 1-100. */
  fisInvocationPercentage: { min: 1, max: 100 },
  /** FIS action reference: `startupDelayMilliseconds` is 0-900,000. */
  fisStartupDelay: { min: Duration.millis(0), max: Duration.millis(900_000) },
  /** FIS action reference: `statusCode` is 000-999. */
  fisStatusCode: { min: 0, max: 999 },
  /** CloudFormation: an experiment template's description has at most 512 characters. */
  fisDescription: 512,
  /** AppConfig: an application name has at most 64 characters. */
  appConfigApplicationName: 64,
  /** SNS: a topic name has at most 256 characters, a FIFO topic's `.fifo` suffix included. */
  topicName: 256,
  // Stream event source mappings (Kinesis Data Streams, DynamoDB Streams).
  /** Kinesis and DynamoDB Streams alike: 1-10,000 records per batch. */
  streamBatchSize: { min: 1, max: 10_000 },
  /** 0-10,000 retries (AWS's -1, retry until the record expires, is refused). */
  streamRetryAttempts: { min: 0, max: 10_000 },
  /** 60 seconds - 7 days (AWS's -1, no limit, is refused). */
  streamMaxRecordAge: { min: Duration.seconds(60), max: Duration.days(7) },
  /** Concurrent batches per shard. */
  parallelizationFactor: { min: 1, max: 10 },
  // QueueBackedApi: API Gateway's default quotas per account and region, which a stage's throttle cannot exceed.
  /** API Gateway: 10,000 requests per second per account and region (default quota). */
  apiThrottleRateLimit: { min: 1, max: 10_000 },
  /** API Gateway: a burst of 5,000 requests per account and region (default quota). */
  apiThrottleBurstLimit: { min: 1, max: 5_000 },
  /** API Gateway: a REST API's integration times out after 29 seconds by default. */
  apiIntegrationLatencyThreshold: { min: Duration.millis(1), max: Duration.millis(AWS_DEFAULTS.restApiIntegrationTimeoutMillis) },
} as const;

/** SNS: the alias of its AWS managed key, whose key policy no one can change. */
export const AWS_MANAGED_SNS_KEY_ALIAS = 'alias/aws/sns';
