import { Duration, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { newStack } from '../../helpers';
import { findings, reported } from '../nag';

const RULE = 'Resilience-SQS4';

/** A queue `Queue` with the dead-letter queue `DeadLetters`, each with the retention given (SQS's default when undefined). */
function queueWithDeadLetters(stack: Stack, retention: { source?: Duration; deadLetters?: Duration; fifo?: boolean }): sqs.Queue {
  const deadLetters = new sqs.Queue(stack, 'DeadLetters', { retentionPeriod: retention.deadLetters, fifo: retention.fifo });
  return new sqs.Queue(stack, 'Queue', {
    retentionPeriod: retention.source,
    fifo: retention.fifo,
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
  });
}

describe('Resilience-SQS4: the dead-letter queue of a standard queue keeps messages longer than the queue', () => {
  test('the default retention on both (4 days each) is an error on the source queue; 14 days on the dead-letter queue fixes it', () => {
    // GIVEN a queue and its dead-letter queue, neither with a retention period set
    const stack = newStack();
    queueWithDeadLetters(stack, {});

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue/Resource', severity: 'error' }]);

    // GIVEN the dead-letter queue keeps messages 14 days
    const fixed = newStack();
    queueWithDeadLetters(fixed, { deadLetters: Duration.days(14) });

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('an equal retention set on both is reported: the dead-letter queue must keep messages strictly longer', () => {
    // GIVEN 14 days on both
    const stack = newStack();
    queueWithDeadLetters(stack, { source: Duration.days(14), deadLetters: Duration.days(14) });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Queue/Resource']);
  });

  test('a dead-letter queue with the default retention behind a source that keeps messages longer is reported', () => {
    // GIVEN a 5-day source and a dead-letter queue with the default 4 days
    const stack = newStack();
    queueWithDeadLetters(stack, { source: Duration.days(5) });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Queue/Resource']);
  });

  test('the default 4 days on the dead-letter queue is longer than a 1-day source', () => {
    // GIVEN
    const stack = newStack();
    queueWithDeadLetters(stack, { source: Duration.days(1) });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('a FIFO queue is not checked: it resets the enqueue time when it moves a message', () => {
    // GIVEN a FIFO queue and a FIFO dead-letter queue with the same retention
    const stack = newStack();
    queueWithDeadLetters(stack, { fifo: true });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('a queue without a dead-letter queue is not checked', () => {
    // GIVEN
    const stack = newStack();
    new sqs.Queue(stack, 'Queue', { retentionPeriod: Duration.days(14) });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
