import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { newStack } from '../../helpers';
import { consume, findings, readStream, reported } from '../nag';

const RULE = 'Resilience-SQS2';
/** The event source mapping of a function `Fn` that consumes the queue `Test/Queue`. */
const MAPPING = 'Test/Fn/SqsEventSource:TestQueueCC385424/Resource';

describe('Resilience-SQS2: the visibility timeout of a consumed queue is at least 6 × the function timeout', () => {
  test('a 60 s visibility timeout for a 30 s function is an error on the event source mapping; 180 s fixes it', () => {
    // GIVEN a function with a 30 s timeout that consumes a queue with a 60 s visibility timeout
    const stack = newStack();
    consume(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.seconds(60) }));

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: MAPPING, severity: 'error' }]);

    // GIVEN the same with 180 s (6 × 30 s)
    const fixed = newStack();
    consume(new sqs.Queue(fixed, 'Queue', { visibilityTimeout: Duration.seconds(180) }));

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('just below 6 × the function timeout is reported', () => {
    // GIVEN 179 s for a 30 s function
    const stack = newStack();
    consume(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.seconds(179) }));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([MAPPING]);
  });

  test('the defaults (30 s of visibility, a 3 s function) comply; a 6 s function on the default visibility does not', () => {
    // GIVEN a queue and a function with no timeouts set
    const stack = newStack();
    consume(new sqs.Queue(stack, 'Queue'), 'Fn', { reportBatchItemFailures: true }, { timeout: undefined });
    // THEN
    expect(findings(stack, RULE)).toEqual([]);

    // GIVEN a 6 s function on a queue with the default visibility timeout (6 > 30 / 6)
    const slow = newStack();
    consume(new sqs.Queue(slow, 'Queue'), 'Fn', { reportBatchItemFailures: true }, { timeout: Duration.seconds(6) });
    // THEN
    expect(findings(slow, RULE)).toEqual([MAPPING]);
  });

  test('a mapping from a source other than SQS is not checked', () => {
    // GIVEN a function with a 30 s timeout that reads a Kinesis stream
    const stack = newStack();
    readStream(stack);

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
