import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { handlerProps, newApp, newStack } from '../../helpers';
import { consume, findings, readStream, reported } from '../nag';
import { newPipe } from '../streams';

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

describe('Resilience-SQS2: the batching window and other stacks', () => {
  test('the batching window counts: 6 × 30 s + 10 s needs 190 s of visibility', () => {
    // GIVEN two functions with a 30 s timeout and a 10 s batching window, on queues of 180 s and 190 s
    const short = newStack();
    consume(new sqs.Queue(short, 'Queue', { visibilityTimeout: Duration.seconds(180) }), 'Fn',
      { reportBatchItemFailures: true, batchSize: 100, maxBatchingWindow: Duration.seconds(10) });
    const enough = newStack();
    consume(new sqs.Queue(enough, 'Queue', { visibilityTimeout: Duration.seconds(190) }), 'Fn',
      { reportBatchItemFailures: true, batchSize: 100, maxBatchingWindow: Duration.seconds(10) });
    // WHEN / THEN
    expect(findings(short, RULE)).toEqual([MAPPING]);
    expect(findings(enough, RULE)).toEqual([]);
  });

  test('before synth, a queue of another stack is not mistaken for a short-lived queue of this stack with the same id', () => {
    // GIVEN stack Workers consumes a 180 s queue of stack Queues, and has its own 30 s queue with the same id
    const app = newApp();
    const shared = new sqs.Queue(new Stack(app, 'Queues'), 'Queue', { visibilityTimeout: Duration.minutes(3) });
    const workers = new Stack(app, 'Workers');
    new sqs.Queue(workers, 'Queue');
    new lambda.Function(workers, 'Fn', handlerProps).addEventSource(new sources.SqsEventSource(shared, { reportBatchItemFailures: true }));
    // WHEN / THEN
    expect(findings(workers, RULE)).toEqual([]);
  });
});

describe('Resilience-SQS2 and EventBridge pipes', () => {
  test('a pipe is not checked: the 6 × function timeout guidance is Lambda\'s for its event source mappings, Pipes documents none', () => {
    // GIVEN a pipe from a queue with a 30 s visibility timeout to a function with a 30 s timeout
    const stack = newStack();
    newPipe(stack, new sqs.Queue(stack, 'Queue').queueArn, new lambda.Function(stack, 'Fn', handlerProps).functionArn);
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
