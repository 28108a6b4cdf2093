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
import { AWS_DEFAULTS } from '../../private/defaults';
import { formatDuration } from '../../private/validation';

/** The settings of a stream consumer that decide what happens to a poison record. */
export interface StreamConsumer {
  readonly resource: ModelResource;
  readonly kind: StreamKind;
  /** Where failed records go: the mapping's on-failure destination, the pipe's dead-letter queue or topic. */
  readonly onFailure: ResolvedValue;
  /**
   * -1: until the record expires. `undefined` (here and in the record age): the template leaves it to deployment
   * (a `Ref` to a parameter, `Fn::If`): the checks cannot tell whether it is bounded, and report nothing on it.
   */
  readonly retryAttempts: number | undefined;
  /** -1: no limit; `undefined`: the template does not fix it. */
  readonly maxRecordAgeSeconds: number | undefined;
  /** How long the stream keeps a record (a Kinesis stream's retention; 24 hours for DynamoDB); `undefined` when not fixed. */
  readonly retentionSeconds: number | undefined;
  /** `undefined`: the template does not fix it. */
  readonly batchSize: number | undefined;
  /** `BisectBatchOnFunctionError`, or a pipe's `AUTOMATIC_BISECT`. */
  readonly bisect: boolean;
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
    const mapping = readEventSourceMapping(resource, AWS_DEFAULTS.streamBatchSize);
    const kind = model.streamKind(mapping.eventSourceArn);
    if (!kind) return undefined;
    return {
      resource,
      kind,
      onFailure: mapping.onFailureDestination,
      retryAttempts: mapping.maximumRetryAttempts,
      maxRecordAgeSeconds: mapping.maximumRecordAgeSeconds,
      retentionSeconds: retentionSecondsOf(model, mapping.eventSourceArn, kind),
      batchSize: mapping.batchSize,
      bisect: mapping.bisectBatchOnFunctionError,
      partialBatchResponses: mapping.functionResponseTypes.includes('ReportBatchItemFailures'),
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
    };
  }
  return undefined;
}

/** The stream a value (an event source, a pipe's source) refers to: a Kinesis stream (for an enhanced fan-out consumer, its stream) or a table. */
export function streamOf(model: CfnModel, value: unknown): ModelResource | undefined {
  const found = model.referencedOne(value, CFN_TYPE.KINESIS_STREAM, CFN_TYPE.KINESIS_STREAM_CONSUMER, CFN_TYPE.TABLE, CFN_TYPE.GLOBAL_TABLE);
  if (found?.type !== CFN_TYPE.KINESIS_STREAM_CONSUMER) return found;
  return model.referencedOne(readStreamConsumer(found).streamArn, CFN_TYPE.KINESIS_STREAM) ?? found;
}

/**
 * How long the stream that a value refers to keeps a record: its retention when the model has it (`undefined`
 * when the template does not fix it), else the default of its kind.
 */
export function retentionSecondsOf(model: CfnModel, value: unknown, kind: StreamKind): number | undefined {
  const stream = streamOf(model, value);
  if (stream?.type === CFN_TYPE.KINESIS_STREAM) return readKinesisStream(stream).retentionSeconds;
  return kind === 'kinesis' ? 3600 * AWS_DEFAULTS.kinesisRetentionHours : AWS_DEFAULTS.dynamoDbStreamRetentionSeconds;
}

/** When a consumer gives up on a record that always fails (what the template does not fix is said to be unknown). */
export function whenDropped(consumer: StreamConsumer): string {
  const { retryAttempts, maxRecordAgeSeconds, retentionSeconds } = consumer;
  if (retryAttempts === undefined || maxRecordAgeSeconds === undefined || retentionSeconds === undefined) {
    return 'after retries or at an age that the template leaves to deployment';
  }
  const retries = retryAttempts >= 0 ? `after ${1 + retryAttempts} attempts` : undefined;
  const age = maxRecordAgeSeconds >= 0 && maxRecordAgeSeconds < retentionSeconds ? maxRecordAgeSeconds : retentionSeconds;
  const expires = `when it is ${formatDuration(Duration.seconds(age))} old${age === retentionSeconds ? ' (the stream\'s retention)' : ''}`;
  return retries ? `${retries} or ${expires}, whichever comes first` : expires;
}

/** The kind of a stream resource (a Kinesis stream or consumer, or a DynamoDB table). */
export function kindOf(stream: ModelResource): StreamKind {
  return stream.type === CFN_TYPE.TABLE || stream.type === CFN_TYPE.GLOBAL_TABLE ? 'dynamodb' : 'kinesis';
}

/** What decides how often a stream consumer is invoked with a poison record. */
export interface StreamRetrySettings {
  /** `MaximumRetryAttempts`; -1 is unbounded. `undefined` (here and below): the template does not fix it. */
  readonly retryAttempts: number | undefined;
  /** `MaximumRecordAgeInSeconds`; -1 is unbounded. */
  readonly maxRecordAgeSeconds: number | undefined;
  /** Whether a failed batch is split in two (`BisectBatchOnFunctionError`, `AUTOMATIC_BISECT`). */
  readonly bisect: boolean;
  readonly batchSize: number | undefined;
  /** How long the stream keeps a record. */
  readonly retentionSeconds: number | undefined;
  /** How long one attempt is counted to take (the function's timeout). */
  readonly attemptSeconds: number | undefined;
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
export function streamAttempts(settings: StreamRetrySettings): number | undefined {
  const { retryAttempts, maxRecordAgeSeconds, retentionSeconds, attemptSeconds, batchSize } = settings;
  let retries: number;
  if (retryAttempts === undefined) return undefined;
  if (retryAttempts >= 0) {
    retries = retryAttempts;
  } else {
    if (maxRecordAgeSeconds === undefined || retentionSeconds === undefined || attemptSeconds === undefined) return undefined;
    const life = maxRecordAgeSeconds >= 0 ? Math.min(maxRecordAgeSeconds, retentionSeconds) : retentionSeconds;
    retries = Math.floor(life / Math.max(attemptSeconds, 1));
  }
  if (settings.bisect && batchSize === undefined) return undefined;
  const splits = settings.bisect ? Math.ceil(Math.log2(Math.max(batchSize!, 1))) : 0;
  return 1 + retries + splits;
}
