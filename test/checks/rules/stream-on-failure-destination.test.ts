import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { FLAG_SETS, handlerProps, newApp, newStack } from '../../helpers';
import { allFindings, consume, findings, reported } from '../nag';
import { describedBy, mappingOf, newPipe, readKinesis, readTable, safeSource, streamedTable } from '../streams';

const RULE = 'Resilience-Stream1';

describe('Resilience-Stream1: a stream consumer has an on-failure destination', () => {
  test('a Kinesis event source without one is an error on the mapping; an SQS on-failure destination fixes it', () => {
    // GIVEN
    const stack = newStack();
    const fn = readKinesis(new kinesis.Stream(stack, 'Stream'));
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: mappingOf(fn), severity: 'error' }]);

    // GIVEN the same with an on-failure destination
    const fixed = newStack();
    readKinesis(new kinesis.Stream(fixed, 'Stream'), { onFailure: new sources.SqsDlq(new sqs.Queue(fixed, 'Failures')) });
    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a DynamoDB stream event source without one is reported; an SNS on-failure destination fixes it', () => {
    // GIVEN
    const stack = newStack();
    const fn = readTable(streamedTable(stack));
    const fixed = newStack();
    readTable(streamedTable(fixed), { onFailure: new sources.SnsDlq(new sns.Topic(fixed, 'Failures')) });
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([mappingOf(fn)]);
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('the finding says when a failing record is dropped: after the retries, or when it expires', () => {
    // GIVEN one mapping with 2 retries and one with AWS's defaults on a stream that keeps records 48 hours
    const stack = newStack();
    readKinesis(new kinesis.Stream(stack, 'Bounded'), { retryAttempts: 2, maxRecordAge: Duration.hours(1) }, 'BoundedFn');
    readKinesis(new kinesis.Stream(stack, 'Unbounded', { retentionPeriod: Duration.hours(48) }), {}, 'UnboundedFn');
    // WHEN
    const messages = describedBy(stack, RULE);
    // THEN
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringContaining('(a failing record is dropped after 3 attempts or when it is 1 h old, whichever comes first)'),
      expect.stringContaining('(a failing record is dropped when it is 2 days old (the stream\'s retention))'),
    ]));
  });

  test('an imported Kinesis stream is taken to keep records 24 hours, Kinesis\'s default, in Stream1\'s and Stream2\'s findings', () => {
    // GIVEN a mapping with AWS's defaults (unbounded retries) on an imported stream
    const stack = newStack();
    readKinesis(kinesis.Stream.fromStreamArn(stack, 'Imported', 'arn:aws:kinesis:eu-west-1:111122223333:stream/clicks'), {}, 'ImportedFn');
    // WHEN / THEN the finding says when the record is dropped, from the assumed 24 hours
    expect(describedBy(stack, RULE)).toEqual([expect.stringContaining('(a failing record is dropped when it is 1 day old (the stream\'s retention))')]);
    expect(describedBy(stack, 'Resilience-Stream2')).toEqual([expect.stringContaining('a poison record blocks its shard for up to 1 day (the stream\'s retention)')]);
  });

  test('an enhanced fan-out consumer, an imported stream and a literal stream ARN are stream sources too', () => {
    // GIVEN
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Stream');
    const efo = new lambda.Function(stack, 'Efo', handlerProps);
    efo.addEventSource(new sources.KinesisConsumerEventSource(new kinesis.StreamConsumer(stack, 'Consumer', { stream, streamConsumerName: 'efo' }), {
      startingPosition: lambda.StartingPosition.LATEST,
    }));
    const imported = readKinesis(kinesis.Stream.fromStreamArn(stack, 'Imported', 'arn:aws:kinesis:eu-west-1:111122223333:stream/clicks'), {}, 'ImportedFn');
    const literal = new lambda.EventSourceMapping(stack, 'Literal', {
      target: new lambda.Function(stack, 'LiteralFn', handlerProps),
      eventSourceArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2026-01-01T00:00:00.000',
      startingPosition: lambda.StartingPosition.LATEST,
    });
    // WHEN / THEN
    expect(findings(stack, RULE).sort()).toEqual([mappingOf(efo), mappingOf(imported), `${literal.node.path}/Resource`].sort());
  });

  test('an SQS event source is not a stream consumer', () => {
    // GIVEN
    const stack = newStack();
    consume(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) }));
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('a pipe reading a stream without a dead-letter config is an error on the pipe; a dead-letter queue fixes it', () => {
    // GIVEN pipes from a Kinesis stream to a queue, with and without a dead-letter queue, and a pipe from a queue
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Stream');
    const target = new sqs.Queue(stack, 'Target');
    const deadLetters = new sqs.Queue(stack, 'DeadLetters');
    newPipe(stack, stream.streamArn, target.queueArn, { sourceParameters: { kinesisStreamParameters: { startingPosition: 'LATEST' } } }, 'Unsafe');
    newPipe(stack, stream.streamArn, target.queueArn, {
      sourceParameters: { kinesisStreamParameters: { startingPosition: 'LATEST', deadLetterConfig: { arn: deadLetters.queueArn } } },
    }, 'Safe');
    newPipe(stack, new sqs.Queue(stack, 'Source').queueArn, target.queueArn, {}, 'FromQueue');
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Unsafe', severity: 'error' }]);
  });

  test('a pipe reading a DynamoDB stream is checked through DynamoDBStreamParameters', () => {
    // GIVEN
    const stack = newStack();
    const table = streamedTable(stack);
    const target = new sqs.Queue(stack, 'Target');
    newPipe(stack, table.tableStreamArn!, target.queueArn, { sourceParameters: { dynamoDbStreamParameters: { startingPosition: 'LATEST' } } });
    const fixed = newStack();
    newPipe(fixed, streamedTable(fixed).tableStreamArn!, new sqs.Queue(fixed, 'Target').queueArn, {
      sourceParameters: { dynamoDbStreamParameters: { startingPosition: 'LATEST', deadLetterConfig: { arn: new sqs.Queue(fixed, 'DeadLetters').queueArn } } },
    });
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Pipe']);
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('an acknowledgement on the function silences the finding on its mapping', () => {
    // GIVEN
    const stack = newStack();
    const fn = readKinesis(new kinesis.Stream(stack, 'Stream'));
    // WHEN
    Validations.of(fn).acknowledge({ id: RULE, reason: 'The records are rebuilt from the source of truth.' });
    // THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});

describe('Resilience-Stream rules on an event source configured as StreamConsumerFunction configures it', () => {
  const builds: Array<[string, (stack: Stack) => void]> = [
    ['Kinesis', stack => readKinesis(new kinesis.Stream(stack, 'Stream'), safeSource(stack))],
    ['DynamoDB', stack => readTable(streamedTable(stack), safeSource(stack))],
  ];
  test.each(FLAG_SETS.flatMap(flags => builds.map(([kind, build]) => [kind, flags, build] as const)))(
    '%s, %s feature flags: no rule of ResilienceChecks reports anything, and the template deploys', (_kind, flags, build) => {
      // GIVEN
      const app = newApp(flags);
      const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1', account: '111122223333' } });
      build(stack);
      // WHEN / THEN
      expect(allFindings(stack)).toEqual([]);
      // the offline CloudFormation validator finds nothing either (the app fails its synth on any finding)
      expect(() => app.synth()).not.toThrow();
    });
});
