/**
 * What the checks need to know of a stream consumer: an
 * `AWS::Lambda::EventSourceMapping` or an `AWS::Pipes::Pipe` that reads a
 * Kinesis stream (or an enhanced fan-out consumer of one) or a DynamoDB
 * stream, and what it does with a record that always fails (a poison record).
 *
 * Read through the model (`CfnModel.streamKind` decides what is a stream)
 * and the accessors of `cfn-properties.ts`; AWS's defaults come from
 * `AWS_DEFAULTS` (-1: unbounded).
 */
import { Duration } from 'aws-cdk-lib';
import { CFN_TYPE, CfnModel, flatten, ModelResource, StreamKind } from './cfn-model';
import { readEventSourceMapping, readKinesisStream, readPipe, readStreamConsumer, ResolvedValue } from './cfn-properties';
import { AWS_DEFAULTS } from './defaults';
import { formatDuration } from './validation';

/** The settings of a stream consumer that decide what happens to a poison record. */
export interface StreamConsumer {
  readonly resource: ModelResource;
  readonly kind: StreamKind;
  /** Where failed records go: the mapping's on-failure destination, the pipe's dead-letter queue or topic. */
  readonly onFailure: ResolvedValue;
  /** -1: until the record expires. */
  readonly retryAttempts: number;
  /** -1: no limit. */
  readonly maxRecordAgeSeconds: number;
  /** How long the stream keeps a record (a Kinesis stream's retention; 24 hours for DynamoDB). */
  readonly retentionSeconds: number;
  readonly batchSize: number;
  /** `BisectBatchOnFunctionError`, or a pipe's `AUTOMATIC_BISECT`. */
  readonly bisect: boolean;
  /**
   * Whether the retries or the record age are set to a value the template
   * leaves to deployment (a `Ref` to a parameter, `Fn::If`): the checks
   * cannot tell whether they are bounded, and report nothing on them.
   */
  readonly boundsUnknown: boolean;
  /**
   * A mapping's `ReportBatchItemFailures`, or a pipe whose target takes
   * batches through a batch API (SQS, SNS, EventBridge, Kinesis, Firehose,
   * CloudWatch Logs), whose partial failures EventBridge retries itself.
   */
  readonly partialBatchResponses: boolean;
}

/** Services whose batch APIs report partial failures that EventBridge Pipes retries on its own. */
const PIPE_BATCH_TARGETS = /^arn:[^:]*:(sqs|sns|events|kinesis|firehose|logs):/;
const BATCH_TARGET_TYPES: readonly string[] = [
  CFN_TYPE.QUEUE, CFN_TYPE.TOPIC, CFN_TYPE.BUS, CFN_TYPE.KINESIS_STREAM, 'AWS::KinesisFirehose::DeliveryStream', 'AWS::Logs::LogGroup',
];

/** The stream consumer that `resource` is, if it is an event source mapping or a pipe that reads a stream. */
export function streamConsumerOf(model: CfnModel, resource: ModelResource | undefined): StreamConsumer | undefined {
  if (resource?.type === CFN_TYPE.EVENT_SOURCE_MAPPING) {
    const mapping = readEventSourceMapping(resource);
    const kind = model.streamKind(mapping.eventSourceArn);
    if (!kind) return undefined;
    return {
      resource,
      kind,
      onFailure: mapping.onFailureDestination,
      retryAttempts: mapping.maximumRetryAttempts,
      maxRecordAgeSeconds: mapping.maximumRecordAgeSeconds,
      retentionSeconds: retentionSecondsOf(model, mapping.eventSourceArn, kind),
      batchSize: mapping.batchSize ?? AWS_DEFAULTS.streamBatchSize,
      bisect: mapping.bisectBatchOnFunctionError,
      partialBatchResponses: mapping.functionResponseTypes.includes('ReportBatchItemFailures'),
      boundsUnknown: isIntrinsic(resource.properties.MaximumRetryAttempts) || isIntrinsic(resource.properties.MaximumRecordAgeInSeconds),
    };
  }
  if (resource?.type === CFN_TYPE.PIPE) {
    const pipe = readPipe(resource);
    const kind = model.streamKind(pipe.source);
    if (!kind) return undefined;
    const batchTarget = model.referencedBy(pipe.target).some(target => BATCH_TARGET_TYPES.includes(target.type))
      || model.crossStackTypes(pipe.target).some(type => BATCH_TARGET_TYPES.includes(type))
      || PIPE_BATCH_TARGETS.test(flatten(pipe.target));
    return {
      resource,
      kind,
      onFailure: pipe.stream.deadLetterArn,
      retryAttempts: pipe.stream.maximumRetryAttempts,
      maxRecordAgeSeconds: pipe.stream.maximumRecordAgeSeconds,
      retentionSeconds: retentionSecondsOf(model, pipe.source, kind),
      batchSize: pipe.stream.batchSize,
      bisect: pipe.stream.bisect,
      partialBatchResponses: batchTarget,
      boundsUnknown: isIntrinsic(pipe.stream.rawMaximumRetryAttempts) || isIntrinsic(pipe.stream.rawMaximumRecordAgeSeconds),
    };
  }
  return undefined;
}

/** A value the template leaves to deployment: an object (`Ref`, `Fn::If`, ...) where a literal belongs. */
function isIntrinsic(value: unknown): boolean {
  return value !== null && typeof value === 'object';
}

/** The stream a value (an event source, a pipe's source) refers to: a Kinesis stream (for an enhanced fan-out consumer, its stream) or a table. */
export function streamOf(model: CfnModel, value: unknown): ModelResource | undefined {
  const found = model.referencedOne(value, CFN_TYPE.KINESIS_STREAM, CFN_TYPE.KINESIS_STREAM_CONSUMER, CFN_TYPE.TABLE, CFN_TYPE.GLOBAL_TABLE);
  if (found?.type !== CFN_TYPE.KINESIS_STREAM_CONSUMER) return found;
  return model.referencedOne(readStreamConsumer(found).streamArn, CFN_TYPE.KINESIS_STREAM) ?? found;
}

/** How long the stream that a value refers to keeps a record: its retention when the model has it, else the default of its kind. */
export function retentionSecondsOf(model: CfnModel, value: unknown, kind: StreamKind): number {
  const stream = streamOf(model, value);
  if (stream?.type === CFN_TYPE.KINESIS_STREAM) return readKinesisStream(stream).retentionSeconds;
  return kind === 'kinesis' ? 3600 * AWS_DEFAULTS.kinesisRetentionHours : AWS_DEFAULTS.dynamoDbStreamRetentionSeconds;
}

/** When a consumer gives up on a record that always fails. */
export function whenDropped(consumer: StreamConsumer): string {
  const retries = consumer.retryAttempts >= 0 ? `after ${1 + consumer.retryAttempts} attempts` : undefined;
  const age = consumer.maxRecordAgeSeconds >= 0 && consumer.maxRecordAgeSeconds < consumer.retentionSeconds
    ? consumer.maxRecordAgeSeconds : consumer.retentionSeconds;
  const expires = `when it is ${formatDuration(Duration.seconds(age))} old${age === consumer.retentionSeconds ? ' (the stream\'s retention)' : ''}`;
  return retries ? `${retries} or ${expires}, whichever comes first` : expires;
}

/** What decides how often a stream consumer is invoked with a poison record. */
export interface StreamRetrySettings {
  /** `MaximumRetryAttempts`; -1 is unbounded. */
  readonly retryAttempts: number;
  /** `MaximumRecordAgeInSeconds`; -1 is unbounded. */
  readonly maxRecordAgeSeconds: number;
  /** Whether a failed batch is split in two (`BisectBatchOnFunctionError`, `AUTOMATIC_BISECT`). */
  readonly bisect: boolean;
  readonly batchSize: number;
  /** How long the stream keeps a record. */
  readonly retentionSeconds: number;
  /** How long one attempt is counted to take (the function's timeout). */
  readonly attemptSeconds: number;
}

/**
 * The worst-case invocations of a stream consumer with a poison record:
 * `1 + retries + splits`.
 * - retries: `MaximumRetryAttempts`; when unbounded, as many attempts of
 *   `attemptSeconds` as fit in the record's life (the smaller of
 *   `MaximumRecordAgeInSeconds` and the stream's retention).
 * - splits: with bisecting, `ceil(log2(batchSize))` more invocations until
 *   the record is alone in its batch (a split does not use up a retry).
 */
export function streamAttempts(settings: StreamRetrySettings): number {
  const life = settings.maxRecordAgeSeconds >= 0
    ? Math.min(settings.maxRecordAgeSeconds, settings.retentionSeconds)
    : settings.retentionSeconds;
  const retries = settings.retryAttempts >= 0 ? settings.retryAttempts : Math.floor(life / Math.max(settings.attemptSeconds, 1));
  const splits = settings.bisect ? Math.ceil(Math.log2(Math.max(settings.batchSize, 1))) : 0;
  return 1 + retries + splits;
}
