import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { functionErrorsAlarm, functionErrorsMetric, thresholdAlarm } from './private/alarms';
import { AWS_DEFAULTS, DEFAULTS, LIMITS } from './private/defaults';
import { functionOf, requireRole } from './private/function-source';
import { acknowledgeGrantedWildcard } from './private/nag';
import { formatDuration, requireExactlyOne, validateDurationRange, validateNumberRange } from './private/validation';
import { WARNING_IDS } from './private/warnings';

/**
 * Properties of a `StreamConsumerFunction`.
 */
export interface StreamConsumerFunctionProps {
  /**
   * The Kinesis data stream to read. Give either `stream` or `table`, not both.
   *
   * Its retention bounds the iterator-age alarm: read from a stream created
   * in this app, assumed to be Kinesis's default of 24 hours for an imported one.
   *
   * @default - `table` is read
   * @see https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
   */
  readonly stream?: kinesis.IStream;

  /**
   * The DynamoDB table whose stream to read (a `Table` with `stream`, a
   * `TableV2` with `dynamoStream`, or a table imported with its
   * `tableStreamArn`). Give either `stream` or `table`, not both.
   *
   * DynamoDB Streams keep a record 24 hours.
   *
   * @default - `stream` is read
   * @see https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
   */
  readonly table?: dynamodb.ITable;

  /**
   * An existing function that consumes the stream. Give either `function` or
   * `functionProps`, not both. An imported function must be imported with its
   * role (`Function.fromFunctionAttributes({ functionArn, role })`): it is
   * granted read on the stream and send on the dead-letter queue.
   *
   * @default - a function is created from `functionProps`
   */
  readonly function?: lambda.IFunction;

  /**
   * The properties of a new function that consumes the stream. Give either
   * `function` or `functionProps`, not both.
   *
   * With `reportBatchItemFailures` (the default), the handler returns
   * `{ batchItemFailures: [{ itemIdentifier: <sequence number> }] }` naming the
   * first record it could not process.
   *
   * @default - `function` is used
   */
  readonly functionProps?: lambda.FunctionProps;

  /**
   * Where a new mapping starts reading: `TRIM_HORIZON` (the oldest record the
   * stream keeps) or `LATEST` (only records written after the mapping is
   * created; those written while it is being created are skipped).
   *
   * @default lambda.StartingPosition.TRIM_HORIZON
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
   */
  readonly startingPosition?: lambda.StartingPosition;

  /**
   * The largest number of records in one batch. With bisecting, a poison
   * record is alone in its batch after ceil(log2(batchSize)) splits.
   *
   * Valid range: 1-10000.
   *
   * @default 100
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
   */
  readonly batchSize?: number;

  /**
   * How long Lambda gathers records before it invokes the function.
   *
   * Valid range: 0 seconds - 5 minutes.
   *
   * @default - no batching window
   * @see https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * How many batches of one shard are processed at once. Records of one
   * partition key stay in order.
   *
   * Valid range: 1-10.
   *
   * @default 1
   * @see https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
   */
  readonly parallelizationFactor?: number;

  /**
   * Whether a failed batch is split in two and each half retried, until the
   * record that fails is alone. Splitting does not use up `retryAttempts`.
   *
   * @default true
   * @see https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
   */
  readonly bisectBatchOnError?: boolean;

  /**
   * How many times Lambda retries a batch whose invocation failed, before it
   * sends the batch's record to the failure destination and moves on.
   *
   * AWS's default, -1, retries until the record expires from the stream: a
   * poison record blocks its shard for the whole retention and is then lost
   * without a trace. It is refused. Splitting a batch does not use up
   * retries, so a poison record costs at most
   * 1 + retryAttempts + ceil(log2(batchSize)) invocations (11 with the
   * defaults), minutes rather than a day.
   *
   * Valid range: 0-10000.
   *
   * @default 3
   * @see https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
   */
  readonly retryAttempts?: number;

  /**
   * The oldest record Lambda sends to the function; an older one goes to the
   * failure destination unprocessed.
   *
   * Lambda retries a batch it cannot invoke (throttles) until this age, not
   * `retryAttempts` times; AWS's default, -1, waits until the record expires
   * from the stream, and loses it. Keep it below the stream's retention (a
   * warning says so), so that a record that is given up on is still in the
   * stream to be read back. A short age sends healthy records to the failure
   * destination whenever the consumer lags by more: raise it for a consumer
   * that may lag, such as one that starts from `TRIM_HORIZON` on a stream
   * that already holds hours of records.
   *
   * Valid range: 60 seconds - 7 days.
   *
   * @default Duration.hours(1)
   * @see https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
   */
  readonly maxRecordAge?: Duration;

  /**
   * Whether the handler reports the first record it could not process
   * (`{ batchItemFailures: [{ itemIdentifier: <sequence number> }] }`), so
   * that Lambda checkpoints the records before it and retries from it.
   *
   * @default true
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
   */
  readonly reportBatchItemFailures?: boolean;

  /**
   * Where Lambda sends the record of a batch it gave up on: the stream, the
   * shard and the range of sequence numbers, not the data. Must be a
   * standard queue (Lambda refuses FIFO queues as stream destinations).
   *
   * @default - a new `DeadLetterQueue` (14 days retention, depth alarm)
   * @see https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
   */
  readonly deadLetterQueue?: DeadLetterQueue;

  /**
   * The KMS key that encrypts the dead-letter queue this construct creates.
   * The function is granted `kms:GenerateDataKey` and `kms:Decrypt` on it, as
   * Lambda sends the failure records with the function's role. Only for the
   * queue it creates: a `deadLetterQueue` you give has its own key.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Filter criteria: only matching records reach the function, the others
   * are skipped as processed (`lambda.FilterCriteria.filter({ ... })`).
   *
   * @default - every record reaches the function
   * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
   */
  readonly filters?: Array<{ [key: string]: any }>;

  /**
   * What the alarms do when they fire (and recover). A shared
   * `deadLetterQueue` keeps its own alarm action.
   *
   * @default - the `DefaultAlarmAction` of the nearest scope that has one, or no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/**
 * A Lambda function that consumes a Kinesis data stream or a DynamoDB stream
 * without ever blocking a shard or dropping a record silently.
 *
 * A failed batch is split until the failing record is alone, retried a
 * bounded number of times, and its record (stream, shard, sequence numbers)
 * then goes to a `DeadLetterQueue`, from which the data can be read back
 * while the stream keeps it. Records older than `maxRecordAge` go there too.
 * Alarms watch the iterator age, the function's errors and the dead-letter queue.
 */
export class StreamConsumerFunction extends Construct {
  /** The function that consumes the stream. */
  public readonly function: lambda.IFunction;

  /** The event source mapping from the stream to the function. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;

  /** Where Lambda sends the record of each batch it gave up on. */
  public readonly deadLetterQueue: DeadLetterQueue;

  /**
   * Fires when the function fails. One per function: another construct of
   * this library that alarms on the same function's errors shares it.
   */
  public readonly errorsAlarm: cloudwatch.Alarm;

  /** Fires when the iterator age reaches half the shorter of the stream's retention and `maxRecordAge`: the consumer falls behind. */
  public readonly iteratorAgeAlarm: cloudwatch.Alarm;

  /** How many times a failed batch is retried (bisecting aside). */
  public readonly retryAttempts: number;

  /** The oldest record Lambda sends to the function. */
  public readonly maxRecordAge: Duration;

  /** The largest number of records in one batch. */
  public readonly batchSize: number;

  /**
   * How long the stream keeps a record: read from a Kinesis stream created
   * in this app, 24 hours for DynamoDB Streams and (assumed) for an imported
   * Kinesis stream.
   */
  public readonly streamRetention: Duration;

  constructor(scope: Construct, id: string, props: StreamConsumerFunctionProps) {
    super(scope, id);

    const source = sourceOf(this, props);
    validateProps(props, source);

    this.retryAttempts = props.retryAttempts ?? DEFAULTS.streamRetryAttempts;
    this.maxRecordAge = props.maxRecordAge ?? DEFAULTS.streamMaxRecordAge;
    this.batchSize = props.batchSize ?? DEFAULTS.streamBatchSize;
    const retention = source.retention();
    this.streamRetention = retention ?? Duration.hours(AWS_DEFAULTS.kinesisRetentionHours);

    if (props.encryptionKey && props.deadLetterQueue) {
      throw new Error('encryptionKey encrypts the dead-letter queue StreamConsumerFunction creates, and it creates none when deadLetterQueue is given: '
        + `encrypt that queue yourself, got encryptionKey ${props.encryptionKey.node.path} and deadLetterQueue ${props.deadLetterQueue.node.path}`);
    }
    this.deadLetterQueue = props.deadLetterQueue
      ?? new DeadLetterQueue(this, 'DeadLetterQueue', { encryptionKey: props.encryptionKey, alarmAction: props.alarmAction });
    if (this.deadLetterQueue.fifo) {
      throw new Error(`deadLetterQueue must be a standard queue: Lambda does not send stream failure records to FIFO queues, got the FIFO dead-letter queue ${this.deadLetterQueue.node.path}`);
    }

    this.function = functionOf(this, 'StreamConsumerFunction', props,
      'The stream invokes this function synchronously through its event source mapping, so a function dead-letter queue would never receive anything: batches it gives up on go to the mapping\'s on-failure destination.');
    requireRole('StreamConsumerFunction', this.function, `${source.readPermissions} and sqs:SendMessage on the dead-letter queue`);

    const bisect = props.bisectBatchOnError ?? DEFAULTS.streamBisectBatchOnError;
    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'EventSourceMapping', {
      target: this.function,
      eventSourceArn: source.eventSourceArn,
      startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      batchSize: this.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      parallelizationFactor: props.parallelizationFactor,
      bisectBatchOnError: bisect,
      retryAttempts: this.retryAttempts,
      maxRecordAge: this.maxRecordAge,
      reportBatchItemFailures: props.reportBatchItemFailures ?? DEFAULTS.streamReportBatchItemFailures,
      onFailure: new sources.SqsDlq(this.deadLetterQueue.queue),
      filters: props.filters,
    });
    // Lambda checks the role when it creates the mapping: the policy that grants the reads and the sends must exist first.
    source.grantRead(this.function).applyBefore(this.eventSourceMapping);
    this.deadLetterQueue.queue.grantSendMessages(this.function).applyBefore(this.eventSourceMapping);
    if (source.listStreamsOnAnyResource) {
      acknowledgeGrantedWildcard(this.function, '*',
        'The DynamoDB event source grants the function dynamodb:ListStreams, which its mapping needs, on * (Table.grantStreamRead does; a TableV2 scopes it to the stream); the stream reads themselves are scoped to the stream.');
    }

    this.iteratorAgeAlarm = this.createIteratorAgeAlarm(props, retention !== undefined);
    // Splitting a batch does not use up retries: a poison record is alone after ceil(log2(batchSize)) splits, then retried.
    const worstCase = Token.isUnresolved(this.retryAttempts) || Token.isUnresolved(this.batchSize) ? undefined
      : 1 + this.retryAttempts + (bisect ? Math.ceil(Math.log2(this.batchSize)) : 0);
    this.errorsAlarm = functionErrorsAlarm(this, 'ErrorsAlarm', this.function, {
      description: `The consumer failed: its batch is ${bisect ? 'split and ' : ''}retried${worstCase !== undefined ? ` (at most ${worstCase} invocations for a poison record)` : ''}, `
        + 'then its record goes to the dead-letter queue.',
      alarmAction: props.alarmAction,
    });
  }

  /** The alarms: the dead-letter queue's depth, the iterator age, the function's errors. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.deadLetterQueue.depthAlarm, this.iteratorAgeAlarm, this.errorsAlarm];
  }

  /**
   * The age of the last record of each batch when the function received it
   * (Lambda's `IteratorAge`, in milliseconds), as `iteratorAgeAlarm` watches it.
   * It is per function: a function that reads several streams reports the oldest.
   *
   * @default - maximum over 5 minutes
   * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
   */
  public metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5), ...props });
  }

  /**
   * The errors of the function, as `errorsAlarm` watches them.
   *
   * @default - sum over 5 minutes
   */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return functionErrorsMetric(this.function, props);
  }

  private createIteratorAgeAlarm(props: StreamConsumerFunctionProps, retentionKnown: boolean): cloudwatch.Alarm {
    // Lambda sends no record older than maxRecordAge, and the stream keeps none longer than its retention:
    // the iterator age never exceeds the shorter one, so the alarm sits below it.
    const age = this.maxRecordAge;
    const retention = this.streamRetention;
    if (!age.isUnresolved() && !retention.isUnresolved() && age.toSeconds() >= retention.toSeconds()) {
      const known = retentionKnown
        ? `the stream's retention (${formatDuration(retention)})`
        : `Kinesis's default retention (${formatDuration(retention)}), assumed because the retention of an imported stream is unknown here`;
      Annotations.of(this).addWarningV2(WARNING_IDS.streamRecordAgeBeyondRetention,
        `maxRecordAge is ${formatDuration(age)}, not below ${known}: a record the consumer falls behind on can expire from the stream before Lambda gives up on it, and is then lost without a failure record. Keep maxRecordAge below the retention.`);
    }
    const bound = age.isUnresolved() || age.toSeconds() >= retention.toSeconds() ? retention : age;
    const boundName = bound === age ? 'maxRecordAge' : 'the stream\'s retention';
    // Whole seconds: the alarm's description says them, and IteratorAge is reported in milliseconds anyway.
    const thresholdMillis = 1000 * Math.floor(bound.toSeconds() * DEFAULTS.iteratorAgeAlarmFraction);
    const threshold = Duration.millis(thresholdMillis);
    const assumed = props.stream && !retentionKnown ? ' (Kinesis\'s default, assumed: the stream\'s own is unknown here)' : '';
    return thresholdAlarm(this, 'IteratorAgeAlarm', {
      metric: this.metricIteratorAge(),
      threshold: thresholdMillis,
      description: `Iterator age is ${formatDuration(threshold)}, half of ${boundName} (${formatDuration(bound)}${bound === retention ? assumed : ''}): the consumer falls behind; `
        + 'records older than maxRecordAge go to the dead-letter queue unprocessed.',
      alarmAction: props.alarmAction,
    });
  }
}

/** The stream a consumer reads: a Kinesis stream or a DynamoDB table's stream. */
interface StreamSource {
  /** The name used in messages: `Kinesis stream` or `DynamoDB stream`. */
  readonly kind: string;
  /** The permissions the function is granted, for the error about a role-less function. */
  readonly readPermissions: string;
  /** Whether the grant includes an action on `*`: `Table.grantStreamRead` grants `dynamodb:ListStreams` on `*` (a `TableV2` scopes it to the stream). */
  readonly listStreamsOnAnyResource: boolean;
  /** The ARN the event source mapping reads: the Kinesis stream's, or the table's stream's. */
  readonly eventSourceArn: string;
  /** How long the stream keeps a record, or `undefined` when the app cannot tell. */
  retention(): Duration | undefined;
  /** Grants `fn` what its mapping needs to read the stream. */
  grantRead(fn: lambda.IFunction): iam.Grant;
}

function sourceOf(owner: Construct, props: StreamConsumerFunctionProps): StreamSource {
  requireExactlyOne('StreamConsumerFunction', ['stream (a Kinesis stream)', props.stream], ['table (a DynamoDB table with a stream)', props.table]);
  if (props.stream) {
    const stream = props.stream;
    return {
      kind: 'Kinesis stream',
      readPermissions: `read on the Kinesis stream${stream.encryptionKey ? ' and kms:Decrypt on its key' : ''}`,
      listStreamsOnAnyResource: false,
      eventSourceArn: stream.streamArn,
      retention: () => kinesisRetention(stream),
      grantRead: fn => stream.grantRead(fn),
    };
  }
  const table = props.table!;
  requireTableStream(owner, table);
  return {
    kind: 'DynamoDB stream',
    readPermissions: 'read on the table\'s stream',
    listStreamsOnAnyResource: table instanceof dynamodb.TableBase,
    eventSourceArn: table.tableStreamArn!,
    retention: () => Duration.seconds(AWS_DEFAULTS.dynamoDbStreamRetentionSeconds),
    grantRead: fn => table.grantStreamRead(fn),
  };
}

/** The retention of a Kinesis stream of this app (its `RetentionPeriodHours`), or `undefined` when unknown. */
function kinesisRetention(stream: kinesis.IStream): Duration | undefined {
  const cfn = stream.node.defaultChild;
  if (!(cfn instanceof kinesis.CfnStream)) return undefined;
  const hours = cfn.retentionPeriodHours;
  if (hours === undefined) return Duration.hours(AWS_DEFAULTS.kinesisRetentionHours);
  return Token.isUnresolved(hours) ? undefined : Duration.hours(hours);
}

/** The error for a table without a stream. */
function noStreamError(table: dynamodb.ITable): Error {
  return new Error(`table must have a stream, got ${table.node.path} without one: set stream (Table) or dynamoStream (TableV2), `
    + 'e.g. dynamodb.StreamViewType.NEW_AND_OLD_IMAGES, or import the table with its tableStreamArn');
}

/**
 * Throws unless the table has a stream. A `TableV2` reports a stream ARN
 * whether or not it has one, and gains a stream when a replica is added
 * later, so its resource is asked at synth (`owner` carries the check).
 */
function requireTableStream(owner: Construct, table: dynamodb.ITable): void {
  const cfn = table.node.defaultChild;
  if (cfn instanceof dynamodb.CfnGlobalTable) {
    owner.node.addValidation({
      validate: () => Stack.of(cfn).resolve(cfn.streamSpecification) === undefined ? [noStreamError(table).message] : [],
    });
    return;
  }
  const hasStream = cfn instanceof dynamodb.CfnTable ? cfn.streamSpecification !== undefined : table.tableStreamArn !== undefined;
  if (!hasStream) throw noStreamError(table);
}

function validateProps(props: StreamConsumerFunctionProps, source: StreamSource): void {
  const retries = props.retryAttempts;
  if (retries === -1) {
    throw new Error(`retryAttempts must be an integer between ${LIMITS.streamRetryAttempts.min} and ${LIMITS.streamRetryAttempts.max}, got -1: `
      + 'AWS\'s -1 retries until the record expires from the stream, so a poison record would block its shard and then be lost');
  }
  validateNumberRange('retryAttempts', retries, LIMITS.streamRetryAttempts.min, LIMITS.streamRetryAttempts.max);
  validateDurationRange('maxRecordAge', props.maxRecordAge, LIMITS.streamMaxRecordAge.min, LIMITS.streamMaxRecordAge.max);
  validateDurationRange('maxBatchingWindow', props.maxBatchingWindow, Duration.seconds(0), LIMITS.maxBatchingWindow);
  validateNumberRange('parallelizationFactor', props.parallelizationFactor, LIMITS.parallelizationFactor.min, LIMITS.parallelizationFactor.max);
  const batchSize = props.batchSize;
  if (batchSize !== undefined && !Token.isUnresolved(batchSize)
    && (!Number.isInteger(batchSize) || batchSize < LIMITS.streamBatchSize.min || batchSize > LIMITS.streamBatchSize.max)) {
    throw new Error(`batchSize must be an integer between ${LIMITS.streamBatchSize.min} and ${LIMITS.streamBatchSize.max} for a ${source.kind}, got ${batchSize}`);
  }
  if (props.startingPosition === lambda.StartingPosition.AT_TIMESTAMP) {
    throw new Error('startingPosition must be TRIM_HORIZON or LATEST, got AT_TIMESTAMP: it needs a timestamp this construct does not take, and DynamoDB streams do not support it');
  }
}
