import { Duration } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { handlerProps, newStack } from '../../helpers';
import { consume, findings, reported } from '../nag';
import { describedBy, mappingOf, newPipe, readKinesis, readTable, streamedTable } from '../streams';

const RULE = 'Resilience-Stream3';

describe('Resilience-Stream3: a stream consumer isolates a poison record', () => {
  test('neither bisecting nor partial batch responses is a warning on the mapping; either one fixes it', () => {
    // GIVEN
    const stack = newStack();
    const fn = readKinesis(new kinesis.Stream(stack, 'Stream'));
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: mappingOf(fn), severity: 'warning' }]);

    // GIVEN one mapping that bisects and one that reports batch item failures
    const fixed = newStack();
    readKinesis(new kinesis.Stream(fixed, 'Stream'), { bisectBatchOnError: true }, 'Bisects');
    readTable(streamedTable(fixed), { reportBatchItemFailures: true }, 'Reports');
    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a batch of one needs neither', () => {
    // GIVEN
    const stack = newStack();
    readTable(streamedTable(stack), { batchSize: 1 });
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('the finding carries the batch size (Lambda\'s default for streams: 100)', () => {
    // GIVEN
    const stack = newStack();
    readKinesis(new kinesis.Stream(stack, 'Stream'));
    // WHEN / THEN
    expect(describedBy(stack, RULE)).toEqual([expect.stringContaining('(event source mapping with batches of up to 100 records)')]);
  });

  test('a pipe: batches of 1 (its default) comply; batches of 10 to a function warn; AUTOMATIC_BISECT fixes it', () => {
    // GIVEN
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Stream');
    const fn = new lambda.Function(stack, 'Fn', handlerProps);
    newPipe(stack, stream.streamArn, fn.functionArn, { sourceParameters: { kinesisStreamParameters: { startingPosition: 'LATEST' } } }, 'One');
    newPipe(stack, stream.streamArn, fn.functionArn, {
      sourceParameters: { kinesisStreamParameters: { startingPosition: 'LATEST', batchSize: 10 } },
    }, 'Ten');
    newPipe(stack, stream.streamArn, fn.functionArn, {
      sourceParameters: { kinesisStreamParameters: { startingPosition: 'LATEST', batchSize: 10, onPartialBatchItemFailure: 'AUTOMATIC_BISECT' } },
    }, 'Bisecting');
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Ten', severity: 'warning' }]);
    expect(describedBy(stack, RULE)).toEqual([expect.stringContaining('(pipe with batches of up to 10 records)')]);
  });

  test('a pipe whose target takes batches through a batch API (an SQS queue) complies: Pipes retries only the entries that failed', () => {
    // GIVEN a pipe from a DynamoDB stream to a queue, in batches of 10
    const stack = newStack();
    newPipe(stack, streamedTable(stack).tableStreamArn!, new sqs.Queue(stack, 'Target').queueArn, {
      sourceParameters: { dynamoDbStreamParameters: { startingPosition: 'LATEST', batchSize: 10 } },
    });
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test.each([
    ['an SQS queue', 'arn:aws:sqs:eu-west-1:111122223333:orders', []],
    ['a function', 'arn:aws:lambda:eu-west-1:111122223333:function:orders', ['Test/Pipe']],
  ])('a pipe whose target is the literal ARN of %s (of no resource of the stack) is read from the ARN', (_, target, expected) => {
    // GIVEN a pipe from a DynamoDB stream, in batches of 10, to a literal ARN
    const stack = newStack();
    newPipe(stack, streamedTable(stack).tableStreamArn!, target, {
      sourceParameters: { dynamoDbStreamParameters: { startingPosition: 'LATEST', batchSize: 10 } },
    });
    // WHEN / THEN a queue takes batches through SQS's batch API; a function does not
    expect(findings(stack, RULE)).toEqual(expected);
  });

  test('SQS event sources are left to Resilience-SQS3', () => {
    // GIVEN an SQS event source without partial batch responses
    const stack = newStack();
    consume(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) }), 'Fn', {});
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
    expect(findings(stack, 'Resilience-SQS3')).toHaveLength(1);
  });
});
