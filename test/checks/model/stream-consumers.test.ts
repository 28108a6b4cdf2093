import { CfnResource, Duration } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CfnModel } from '../../../src/checks/model/cfn-model';
import { StreamRetrySettings, streamAttempts, streamConsumerOf, whenDropped } from '../../../src/checks/model/stream-consumers';
import { newStack } from '../../helpers';
import { mappingOf, newPipe, readKinesis, readTable, streamedTable } from '../streams';

describe('streamConsumerOf: what a mapping or pipe that reads a stream does with a failing record', () => {
  test('a mapping with AWS\'s defaults: unbounded, batches of 100, no bisecting, no destination, the stream\'s retention', () => {
    // GIVEN
    const stack = newStack();
    const fn = readKinesis(new kinesis.Stream(stack, 'Stream', { retentionPeriod: Duration.hours(48) }));
    const model = new CfnModel(stack);
    // WHEN
    const consumer = streamConsumerOf(model, model.resources.find(r => r.construct.node.path === mappingOf(fn)));
    // THEN
    expect(consumer).toMatchObject({
      kind: 'kinesis',
      onFailure: undefined,
      retryAttempts: -1,
      maxRecordAgeSeconds: -1,
      retentionSeconds: 172_800,
      batchSize: 100,
      bisect: false,
      partialBatchResponses: false,
    });
    expect(whenDropped(consumer!)).toBe('when it is 2 days old (the stream\'s retention)');
  });

  test('a pipe from a DynamoDB stream with its settings; a pipe from a queue is no stream consumer', () => {
    // GIVEN
    const stack = newStack();
    const deadLetters = new sqs.Queue(stack, 'DeadLetters');
    const pipe = newPipe(stack, streamedTable(stack).tableStreamArn!, new sqs.Queue(stack, 'Target').queueArn, {
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'LATEST',
          batchSize: 10,
          maximumRetryAttempts: 2,
          maximumRecordAgeInSeconds: 600,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: deadLetters.queueArn },
        },
      },
    });
    const fromQueue = newPipe(stack, new sqs.Queue(stack, 'Source').queueArn, deadLetters.queueArn, {}, 'FromQueue');
    const model = new CfnModel(stack);
    // WHEN
    const consumer = streamConsumerOf(model, model.resourceOf(pipe));
    // THEN
    expect(consumer).toMatchObject({
      kind: 'dynamodb', retryAttempts: 2, maxRecordAgeSeconds: 600, retentionSeconds: 86_400, batchSize: 10, bisect: true, partialBatchResponses: true,
    });
    expect(consumer!.onFailure).toEqual(stack.resolve(deadLetters.queueArn));
    expect(whenDropped(consumer!)).toBe('after 3 attempts or when it is 10 min old, whichever comes first');
    expect(streamConsumerOf(model, model.resourceOf(fromQueue as CfnResource))).toBeUndefined();
  });

  test('a DynamoDB mapping keeps the 24 hours of DynamoDB Streams', () => {
    // GIVEN
    const stack = newStack();
    const fn = readTable(streamedTable(stack), { maxRecordAge: Duration.days(7) });
    const model = new CfnModel(stack);
    // WHEN
    const consumer = streamConsumerOf(model, model.resources.find(r => r.construct.node.path === mappingOf(fn)))!;
    // THEN
    expect(whenDropped(consumer)).toBe('when it is 1 day old (the stream\'s retention)');
  });
});

describe('streamAttempts: the invocations of a stream consumer with a poison record', () => {
  const base: StreamRetrySettings = {
    retryAttempts: 3, maxRecordAgeSeconds: -1, bisect: false, batchSize: 100, retentionSeconds: 86_400, attemptSeconds: 30,
  };
  test.each([
    ['bounded retries: 1 + retries', base, 4],
    ['bisecting adds ceil(log2(batch size)): 1 + 3 + 7', { ...base, bisect: true }, 11],
    ['a batch of one has nothing to split', { ...base, bisect: true, batchSize: 1 }, 4],
    ['a batch of 10,000: 14 splits', { ...base, bisect: true, batchSize: 10_000 }, 18],
    ['unbounded retries, 1 h of record age, 30 s attempts: 1 + 120', { ...base, retryAttempts: -1, maxRecordAgeSeconds: 3600 }, 121],
    ['unbounded retries and age: the stream\'s retention, 1 + 86,400 / 30', { ...base, retryAttempts: -1 }, 2881],
    ['a record age beyond the retention counts the retention', { ...base, retryAttempts: -1, maxRecordAgeSeconds: 604_800 }, 2881],
    ['bounded retries win over the age, even when the age would allow more', { ...base, retryAttempts: 0, maxRecordAgeSeconds: 3600 }, 1],
  ])('%s', (_name, settings, expected) => {
    expect(streamAttempts(settings)).toBe(expected);
  });
});
