import { CfnParameter, Duration } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { newStack } from '../../helpers';
import { consume, findings, reported } from '../nag';
import { describedBy, mappingOf, newPipe, readKinesis, readTable, streamedTable } from '../streams';

const RULE = 'Resilience-Stream2';

describe('Resilience-Stream2: a stream consumer bounds its retries or the age of the records it retries', () => {
  test('AWS\'s defaults (both -1) are an error on the mapping; bounded retries fix it', () => {
    // GIVEN
    const stack = newStack();
    const fn = readKinesis(new kinesis.Stream(stack, 'Stream'));
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: mappingOf(fn), severity: 'error' }]);

    // GIVEN 3 retries and no limit on the age
    const fixed = newStack();
    readKinesis(new kinesis.Stream(fixed, 'Stream'), { retryAttempts: 3 });
    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a bounded record age alone is enough; so is 0 retries', () => {
    // GIVEN
    const stack = newStack();
    readTable(streamedTable(stack), { maxRecordAge: Duration.hours(1) }, 'Aged');
    readKinesis(new kinesis.Stream(stack, 'Stream'), { retryAttempts: 0 }, 'NoRetry');
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('-1 written out is unbounded too', () => {
    // GIVEN
    const stack = newStack();
    const fn = readKinesis(new kinesis.Stream(stack, 'Stream'), { retryAttempts: -1 });
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([mappingOf(fn)]);
  });

  test('the finding says how long a poison record can block its shard: the stream\'s retention', () => {
    // GIVEN a Kinesis stream that keeps records 3 days, and a DynamoDB stream (24 hours)
    const stack = newStack();
    readKinesis(new kinesis.Stream(stack, 'Stream', { retentionPeriod: Duration.days(3) }), {}, 'KinesisFn');
    readTable(streamedTable(stack), {}, 'TableFn');
    // WHEN / THEN
    expect(describedBy(stack, RULE)).toEqual(expect.arrayContaining([
      expect.stringContaining('(MaximumRetryAttempts -1 and MaximumRecordAgeInSeconds -1: a poison record blocks its shard for up to 3 days (the stream\'s retention))'),
      expect.stringContaining('blocks its shard for up to 1 day (the stream\'s retention)'),
    ]));
  });

  test('a pipe reading a stream: AWS\'s defaults are an error on the pipe; maximumRetryAttempts fixes it', () => {
    // GIVEN
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Stream');
    const target = new sqs.Queue(stack, 'Target');
    newPipe(stack, stream.streamArn, target.queueArn, { sourceParameters: { kinesisStreamParameters: { startingPosition: 'LATEST' } } }, 'Unbounded');
    newPipe(stack, stream.streamArn, target.queueArn, {
      sourceParameters: { kinesisStreamParameters: { startingPosition: 'LATEST', maximumRetryAttempts: 5 } },
    }, 'Bounded');
    newPipe(stack, stream.streamArn, target.queueArn, {
      sourceParameters: { kinesisStreamParameters: { startingPosition: 'LATEST', maximumRecordAgeInSeconds: 3600 } },
    }, 'Aged');
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Unbounded', severity: 'error' }]);
  });

  test('bounds left to deployment (a parameter) are not reported; the same mapping without them is', () => {
    // GIVEN a mapping whose retries come from a stack parameter, as a hand-written or SAM template has it
    const stack = newStack();
    const retries = new CfnParameter(stack, 'Retries', { type: 'Number', default: 3 });
    const fn = readKinesis(new kinesis.Stream(stack, 'Stream'));
    const mapping = fn.node.findAll().find(c => (c as any).cfnResourceType === 'AWS::Lambda::EventSourceMapping') as any;
    mapping.addPropertyOverride('MaximumRetryAttempts', retries.valueAsNumber);
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('SQS event sources and pipes from queues are not checked', () => {
    // GIVEN
    const stack = newStack();
    consume(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) }));
    newPipe(stack, new sqs.Queue(stack, 'Source').queueArn, new sqs.Queue(stack, 'Target').queueArn);
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
