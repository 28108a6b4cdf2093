import { Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { newStack } from '../../helpers';
import { findings, reported } from '../nag';

const RULE = 'Resilience-SQS5';

/** A queue `Queue` with the dead-letter queue `DeadLetters`, each FIFO or standard as given. */
function queueWithDeadLetters(stack: Stack, types: { source: 'fifo' | 'standard'; deadLetters: 'fifo' | 'standard' }): sqs.Queue {
  const deadLetters = new sqs.Queue(stack, 'DeadLetters', { fifo: types.deadLetters === 'fifo' || undefined });
  return new sqs.Queue(stack, 'Queue', {
    fifo: types.source === 'fifo' || undefined,
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
  });
}

describe('Resilience-SQS5: a queue and its dead-letter queue are of the same type', () => {
  test('a FIFO queue with a standard dead-letter queue is an error on the FIFO queue; a FIFO dead-letter queue fixes it', () => {
    // GIVEN
    const stack = newStack();
    queueWithDeadLetters(stack, { source: 'fifo', deadLetters: 'standard' });

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue/Resource', severity: 'error' }]);

    // GIVEN the same with a FIFO dead-letter queue
    const fixed = newStack();
    queueWithDeadLetters(fixed, { source: 'fifo', deadLetters: 'fifo' });

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a standard queue with a FIFO dead-letter queue is an error on the standard queue; a standard dead-letter queue fixes it', () => {
    // GIVEN
    const stack = newStack();
    queueWithDeadLetters(stack, { source: 'standard', deadLetters: 'fifo' });

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue/Resource', severity: 'error' }]);

    // GIVEN the same with a standard dead-letter queue
    const fixed = newStack();
    queueWithDeadLetters(fixed, { source: 'standard', deadLetters: 'standard' });

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('L1 queues are checked too: a named FIFO queue with a standard dead-letter queue', () => {
    // GIVEN an L1 FIFO queue with an L1 standard dead-letter queue
    const stack = newStack();
    const deadLetters = new sqs.CfnQueue(stack, 'DeadLetters');
    new sqs.CfnQueue(stack, 'Queue', {
      queueName: 'orders.fifo',
      fifoQueue: true,
      redrivePolicy: { deadLetterTargetArn: deadLetters.attrArn, maxReceiveCount: 5 },
    });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Queue']);
  });

  test('a queue without a dead-letter queue is not checked', () => {
    // GIVEN
    const stack = newStack();
    new sqs.Queue(stack, 'Queue', { fifo: true });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
