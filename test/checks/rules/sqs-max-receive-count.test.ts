import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { handlerProps, newStack } from '../../helpers';
import { consume, findings, reported } from '../nag';
import { newPipe } from '../streams';

const RULE = 'Resilience-SQS6';

/** A queue `Queue` that dead-letters after `maxReceiveCount` receives. */
function queueWithDeadLetters(stack: Stack, maxReceiveCount: number): sqs.Queue {
  const deadLetters = new sqs.Queue(stack, 'DeadLetters', { retentionPeriod: Duration.days(14) });
  return new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3), deadLetterQueue: { queue: deadLetters, maxReceiveCount } });
}

describe('Resilience-SQS6: a consumed queue is received at least 5 times before it dead-letters a message', () => {
  test('maxReceiveCount 4 on a consumed queue is a warning on the queue; 5 fixes it', () => {
    // GIVEN
    const stack = newStack();
    consume(queueWithDeadLetters(stack, 4));

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue/Resource', severity: 'warning' }]);

    // GIVEN the same with 5
    const fixed = newStack();
    consume(queueWithDeadLetters(fixed, 5));

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('maxReceiveCount 1 is reported too', () => {
    // GIVEN
    const stack = newStack();
    consume(queueWithDeadLetters(stack, 1));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Queue/Resource']);
  });

  test('a queue that nothing consumes is not checked', () => {
    // GIVEN a queue that dead-letters on the first receive, with no consumer in the stack
    const stack = newStack();
    queueWithDeadLetters(stack, 1);

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('a consumed queue without a redrive policy is not checked (Resilience-SQS1 reports it)', () => {
    // GIVEN
    const stack = newStack();
    consume(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) }));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
    expect(findings(stack, 'Resilience-SQS1')).toEqual(['Test/Queue/Resource']);
  });
});

describe('Resilience-SQS6 on queues that an EventBridge pipe reads', () => {
  test('a pipe retries up to the queue\'s maxReceiveCount as a mapping does: 4 is a warning on the queue', () => {
    // GIVEN a pipe from a queue that dead-letters after 4 receives to a function
    const stack = newStack();
    newPipe(stack, queueWithDeadLetters(stack, 4).queueArn, new lambda.Function(stack, 'Fn', handlerProps).functionArn);
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue/Resource', severity: 'warning' }]);
  });
});
