import { Annotations, Duration, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { functionErrorsAlarm, functionErrorsMetric, thresholdAlarm } from './private/alarms';
import { DEFAULTS, LIMITS } from './private/defaults';
import { functionOf, requireRole } from './private/function-source';
import { acknowledgeCheck, addCheckedWarning } from './private/nag';
import { deterministicQueueName } from './private/names';
import { formatDuration, validateDurationRange, validateNumberRange } from './private/validation';
import { WARNING_IDS } from './private/warnings';

/**
 * Properties of a `QueueDecoupledFunction`.
 */
export interface QueueDecoupledFunctionProps {
  /**
   * An existing function that consumes the queue. Give either `function` or
   * `functionProps`, not both.
   *
   * When it is imported (its timeout is unknown), `visibilityTimeout` is required.
   *
   * @default - a function is created from `functionProps`
   */
  readonly function?: lambda.IFunction;

  /**
   * The properties of a new function that consumes the queue. Give either
   * `function` or `functionProps`, not both.
   *
   * The handler must return `{ batchItemFailures: [{ itemIdentifier: messageId }] }`
   * for the messages it could not process: the mapping reports batch item failures.
   *
   * @default - `function` is used
   */
  readonly functionProps?: lambda.FunctionProps;

  /**
   * Whether the source queue (and the dead-letter queue it creates) is FIFO.
   *
   * @default false
   */
  readonly fifo?: boolean;

  /**
   * Whether a FIFO source queue deduplicates messages by a SHA-256 hash of
   * their body, so that producers need not give a deduplication id. Only
   * with `fifo: true`.
   *
   * @default false
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html
   */
  readonly contentBasedDeduplication?: boolean;

  /**
   * How many times a message is received before it moves to the dead-letter queue.
   *
   * Lambda polls with several consumers; when the function is throttled, a
   * message can be received without being processed. Below 5 such receives
   * dead-letter healthy messages (a warning says so).
   *
   * Valid range: 1-1000.
   *
   * @default 5
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
   */
  readonly maxReceiveCount?: number;

  /**
   * Whether the consumer defers the messages that its circuit breaker refuses
   * (`BatchDeferral` of `cdk-resilience/runtime`) rather than reporting them
   * as failed. It is a promise about your handler: the construct cannot see
   * the handler's code.
   *
   * Such a consumer, invoked while the circuit is open, hides the refused
   * messages again and calls nothing downstream: a message is received about
   * once per open period, so a higher `maxReceiveCount` (20 survives about
   * 75 minutes of outage with the breaker's defaults) buys time through an
   * outage, not more attempts on the downstream. With `true`, the construct
   * acknowledges `Resilience-RetryBudget1` on the source queue with that
   * reason, for every path that starts at the queue. A path that starts at a
   * producer in the stack (an `AsyncFunction` that sends to the queue, say)
   * is reported on the producer: acknowledge it there if every path it
   * reports goes through this queue. Nothing in the template changes.
   *
   * @default false
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
   */
  readonly consumerDefers?: boolean;

  /**
   * How long a received message stays invisible to other consumers.
   *
   * Below 6 × the function timeout, a message whose batch is retried after a
   * throttle can become visible while still being processed (a warning says
   * so); below the function timeout it is refused.
   *
   * Valid range: the function timeout - 12 hours.
   *
   * @default - 6 × the function timeout + `maxBatchingWindow`
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
   */
  readonly visibilityTimeout?: Duration;

  /**
   * The largest number of messages in one batch.
   *
   * Valid range: 1-10 for a FIFO queue or without `maxBatchingWindow`; 1-10000 otherwise.
   *
   * @default 10
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
   */
  readonly batchSize?: number;

  /**
   * How long Lambda gathers messages before it invokes the function.
   * Not supported with a FIFO queue.
   *
   * Valid range: 0 seconds - 5 minutes.
   *
   * @default - no batching window
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * The most concurrent invocations this queue may cause. Prefer it to the
   * function's reserved concurrency, which throttles (and so dead-letters).
   *
   * Valid range: 2-1000.
   *
   * @default - no limit but the function's and the account's concurrency
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
   */
  readonly maxConcurrency?: number;

  /**
   * How long the source queue keeps a message.
   *
   * Valid range: 60 seconds - 14 days, and shorter than the dead-letter queue's retention.
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;

  /**
   * Where messages go after `maxReceiveCount` receives. Share one between
   * several sources of the same type (standard or FIFO).
   *
   * @default - a new `DeadLetterQueue` (14 days retention, depth alarm)
   */
  readonly deadLetterQueue?: DeadLetterQueue;

  /**
   * The KMS key that encrypts the source queue and the dead-letter queue this
   * construct creates. The function is granted decrypt.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What the alarms do when they fire (and recover). A shared
   * `deadLetterQueue` keeps its own alarm action.
   *
   * @default - the `DefaultAlarmAction` of the nearest scope that has one, or no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/**
 * Upstream sends to a queue; a Lambda function consumes it; what fails lands in a
 * `DeadLetterQueue`.
 *
 * The event source mapping always reports batch item failures, so one bad
 * message does not send the whole batch back; the visibility timeout follows
 * the function timeout; the dead-letter queue keeps messages longer than the
 * source; alarms watch the dead-letter queue, the age of the oldest message
 * and the function's errors.
 */
export class QueueDecoupledFunction extends Construct {
  /** The source queue that upstream sends to. */
  public readonly queue: sqs.Queue;

  /** Where messages go after `maxReceiveCount` receives. */
  public readonly deadLetterQueue: DeadLetterQueue;

  /** The function that consumes the queue. */
  public readonly function: lambda.IFunction;

  /** The event source mapping from the queue to the function. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;


  /** Fires when the oldest message of the source queue reaches half the retention period: the consumer lags or fails. */
  public readonly oldestMessageAgeAlarm: cloudwatch.Alarm;

  /**
   * Fires when the function fails. One per function: another construct of
   * this library that alarms on the same function's errors shares it.
   */
  public readonly errorsAlarm: cloudwatch.Alarm;

  /** The source queue's visibility timeout. */
  public readonly visibilityTimeout: Duration;

  /** How many receives before a message is dead-lettered. */
  public readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: QueueDecoupledFunctionProps) {
    super(scope, id);

    validateProps(props);

    const fifo = props.fifo ?? false;
    const retentionPeriod = props.retentionPeriod ?? DEFAULTS.sourceRetention;

    this.deadLetterQueue = props.deadLetterQueue ?? new DeadLetterQueue(this, 'DeadLetterQueue', {
      fifo,
      encryptionKey: props.encryptionKey,
      alarmAction: props.alarmAction,
    });
    validateDeadLetterQueue(this.deadLetterQueue, fifo, retentionPeriod);

    this.function = functionOf(this, 'QueueDecoupledFunction', props,
      'The queue invokes this function synchronously through its event source mapping, so a function dead-letter queue would never receive anything: failed messages go to the source queue\'s dead-letter queue.');
    this.visibilityTimeout = this.resolveVisibilityTimeout(props);
    this.maxReceiveCount = props.maxReceiveCount ?? DEFAULTS.maxReceiveCount;

    // The queue's name is known before it exists, so the dead-letter queue's
    // redrive-allow policy can name it without a dependency cycle.
    const queueName = deterministicQueueName(this, fifo);
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName,
      fifo: fifo ? true : undefined,
      contentBasedDeduplication: props.contentBasedDeduplication,
      visibilityTimeout: this.visibilityTimeout,
      retentionPeriod,
      encryption: props.encryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue.queue, maxReceiveCount: this.maxReceiveCount },
    });
    this.deadLetterQueue.addSource(this.queue);
    if (props.consumerDefers) {
      const receives = Token.isUnresolved(this.maxReceiveCount) ? 'maxReceiveCount' : `maxReceiveCount ${this.maxReceiveCount}`;
      acknowledgeCheck(this.queue, 'RetryBudget1',
        'The consumer defers the messages its circuit breaker refuses (BatchDeferral): invoked while the circuit is open, it hides them '
        + `again and calls nothing downstream, so ${receives} buys time through an outage (about one receive per open period), `
        + 'not attempts on the downstream.');
    }

    const consume = `sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility and sqs:GetQueueAttributes on the queue${props.encryptionKey ? ', and kms:Decrypt on the key' : ''}`;
    requireRole('QueueDecoupledFunction', this.function, consume);
    const consumeGrant = this.queue.grantConsumeMessages(this.function);
    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'EventSourceMapping', {
      target: this.function,
      eventSourceArn: this.queue.queueArn,
      batchSize: props.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
    Validations.of(this.eventSourceMapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: 'Lambda does not support on-failure destinations for SQS event sources: failed messages go to the source queue\'s dead-letter queue through its redrive policy.',
    });
    // The mapping must not start polling before the function may read the queue.
    consumeGrant.applyBefore(this.eventSourceMapping);

    const ageThreshold = Duration.seconds(Math.floor(retentionPeriod.toSeconds() * DEFAULTS.queueAgeAlarmFraction));
    this.oldestMessageAgeAlarm = thresholdAlarm(this, 'QueueAgeAlarm', {
      metric: this.metricApproximateAgeOfOldestMessage(),
      threshold: ageThreshold.toSeconds(),
      description: `Oldest message is ${formatDuration(ageThreshold)} old, half the retention: the consumer lags or fails.`,
      alarmAction: props.alarmAction,
    });
    this.errorsAlarm = functionErrorsAlarm(this, 'ErrorsAlarm', this.function, {
      description: 'The consumer failed: its whole batch is retried.',
      alarmAction: props.alarmAction,
    });

    const reserved = props.functionProps?.reservedConcurrentExecutions;
    if (reserved !== undefined && !Token.isUnresolved(reserved)
      && (reserved < LIMITS.sqsMinimumPollers || (props.maxConcurrency !== undefined && reserved < props.maxConcurrency))) {
      Annotations.of(this).addWarningV2(WARNING_IDS.reservedConcurrencyThrottles,
        `functionProps.reservedConcurrentExecutions is ${reserved}${props.maxConcurrency !== undefined ? ` with maxConcurrency ${props.maxConcurrency}` : ''}: the event source mapping polls with at least ${LIMITS.sqsMinimumPollers} concurrent batches and is throttled beyond the reserved concurrency, and throttled receives count towards maxReceiveCount, so healthy messages can be dead-lettered. Limit with maxConcurrency (at most the reserved concurrency) instead.`);
    }
    if (this.maxReceiveCount < DEFAULTS.maxReceiveCount && !Token.isUnresolved(this.maxReceiveCount)) {
      addCheckedWarning(this, 'Resilience-SQS6',
        `maxReceiveCount is ${this.maxReceiveCount}: when the function is throttled, Lambda can receive a message without processing it, so below ${DEFAULTS.maxReceiveCount} healthy messages can be dead-lettered.`);
    }
  }

  /** The alarms: the dead-letter queue's depth, the source queue's oldest message, the function's errors. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.deadLetterQueue.depthAlarm, this.oldestMessageAgeAlarm, this.errorsAlarm];
  }

  /**
   * Grants permission to send messages to the source queue.
   */
  public grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    return this.queue.grantSendMessages(grantee);
  }

  /**
   * The age of the oldest message of the source queue, as `oldestMessageAgeAlarm` watches it.
   *
   * @default - maximum over 5 minutes
   */
  public metricApproximateAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5), ...props });
  }

  /**
   * The errors of the function, as `errorsAlarm` watches them.
   *
   * @default - sum over 5 minutes
   */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return functionErrorsMetric(this.function, props);
  }

  private resolveVisibilityTimeout(props: QueueDecoupledFunctionProps): Duration {
    const timeout = functionTimeout(this.function, props.functionProps);
    if (timeout === undefined) {
      if (props.visibilityTimeout === undefined) {
        throw new Error('visibilityTimeout is required when function is imported (its timeout is unknown): set it to at least 6 × the function timeout');
      }
      return props.visibilityTimeout;
    }
    const window = props.maxBatchingWindow ?? Duration.seconds(0);
    if (props.visibilityTimeout === undefined) {
      if (timeout.isUnresolved() || window.isUnresolved()) {
        throw new Error('visibilityTimeout is required when the function timeout or maxBatchingWindow is a token');
      }
      return Duration.seconds(DEFAULTS.visibilityTimeoutFactor * timeout.toSeconds() + window.toSeconds());
    }
    const visibility = props.visibilityTimeout;
    if (visibility.isUnresolved() || timeout.isUnresolved()) {
      return visibility;
    }
    if (visibility.toSeconds() < timeout.toSeconds()) {
      throw new Error(`visibilityTimeout must be at least the function timeout (${formatDuration(timeout)}), got ${formatDuration(visibility)}`);
    }
    const recommended = DEFAULTS.visibilityTimeoutFactor * timeout.toSeconds();
    if (visibility.toSeconds() < recommended) {
      addCheckedWarning(this, 'Resilience-SQS2',
        `visibilityTimeout is ${formatDuration(visibility)}, below ${DEFAULTS.visibilityTimeoutFactor} × the function timeout (${formatDuration(Duration.seconds(recommended))}): a batch retried after a throttle can become visible again while it is still being processed, and be processed twice.`);
    }
    return visibility;
  }
}

/** The timeout of the function, or `undefined` when it is unknown (imported). */
function functionTimeout(fn: lambda.IFunction, functionProps?: lambda.FunctionProps): Duration | undefined {
  if (functionProps) {
    return functionProps.timeout ?? DEFAULTS.functionTimeout;
  }
  if (fn instanceof lambda.Function) {
    return fn.timeout ?? DEFAULTS.functionTimeout;
  }
  return undefined;
}

function validateProps(props: QueueDecoupledFunctionProps): void {
  const fifo = props.fifo ?? false;
  validateNumberRange('maxReceiveCount', props.maxReceiveCount, LIMITS.maxReceiveCount.min, LIMITS.maxReceiveCount.max);
  validateNumberRange('maxConcurrency', props.maxConcurrency, LIMITS.maxConcurrency.min, LIMITS.maxConcurrency.max);
  validateDurationRange('retentionPeriod', props.retentionPeriod, LIMITS.retention.min, LIMITS.retention.max);
  validateDurationRange('maxBatchingWindow', props.maxBatchingWindow, Duration.seconds(0), LIMITS.maxBatchingWindow);
  if (props.visibilityTimeout && !props.visibilityTimeout.isUnresolved()
    && props.visibilityTimeout.toSeconds() > LIMITS.visibilityTimeout.toSeconds()) {
    throw new Error(`visibilityTimeout must be at most ${formatDuration(LIMITS.visibilityTimeout)}, got ${formatDuration(props.visibilityTimeout)}`);
  }
  if (!fifo && props.contentBasedDeduplication) {
    throw new Error('contentBasedDeduplication is only supported with a FIFO queue (fifo: true), got contentBasedDeduplication: true with fifo: false');
  }
  if (fifo && props.maxBatchingWindow !== undefined) {
    throw new Error(`maxBatchingWindow is not supported with a FIFO queue, got ${formatDuration(props.maxBatchingWindow)} with fifo: true`);
  }
  const batchSize = props.batchSize;
  if (batchSize !== undefined && !Token.isUnresolved(batchSize)) {
    const hasWindow = props.maxBatchingWindow !== undefined && (props.maxBatchingWindow.isUnresolved() || props.maxBatchingWindow.toSeconds() > 0);
    const max = fifo ? LIMITS.batchSize.fifo : hasWindow ? LIMITS.batchSize.max : LIMITS.batchSize.withoutWindow;
    if (!Number.isInteger(batchSize) || batchSize < LIMITS.batchSize.min || batchSize > max) {
      const why = fifo ? ' (FIFO queue)' : hasWindow ? '' : ' without maxBatchingWindow (up to 10000 with a batching window)';
      throw new Error(`batchSize must be an integer between ${LIMITS.batchSize.min} and ${max}${why}, got ${batchSize}`);
    }
  }
}

function validateDeadLetterQueue(dlq: DeadLetterQueue, fifo: boolean, retentionPeriod: Duration): void {
  if (dlq.fifo !== fifo) {
    throw new Error(`deadLetterQueue must be ${fifo ? 'FIFO' : 'standard'} like the source queue (fifo: ${fifo}), got a ${dlq.fifo ? 'FIFO' : 'standard'} dead-letter queue`);
  }
  if (!retentionPeriod.isUnresolved() && !dlq.retentionPeriod.isUnresolved()
    && dlq.retentionPeriod.toSeconds() <= retentionPeriod.toSeconds()) {
    throw new Error(`deadLetterQueue retention must be longer than retentionPeriod (${formatDuration(retentionPeriod)}): SQS counts a message's age from its first enqueue, so it would expire on arrival; got ${formatDuration(dlq.retentionPeriod)}`);
  }
}
