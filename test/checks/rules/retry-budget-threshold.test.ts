import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ResilienceChecks } from '../../../src';
import { handlerProps, newStack } from '../../helpers';
import { consume, findings, reported } from '../nag';

const RULE = 'Resilience-RetryBudget1';

/** A queue `id` that dead-letters after `maxReceiveCount` receives. */
function queue(stack: Stack, id: string, maxReceiveCount: number): sqs.Queue {
  return new sqs.Queue(stack, id, {
    visibilityTimeout: Duration.minutes(3),
    deadLetterQueue: { queue: new sqs.Queue(stack, `${id}DeadLetters`, { retentionPeriod: Duration.days(14) }), maxReceiveCount },
  });
}

/** Queue1 (maxReceiveCount `first`) → function A, which sends to Queue2 (maxReceiveCount `second`) → function B. */
function twoHops(first: number, second: number): Stack {
  const stack = newStack();
  const a = consume(queue(stack, 'Queue1', first), 'A');
  const queue2 = queue(stack, 'Queue2', second);
  queue2.grantSendMessages(a);
  consume(queue2, 'B');
  return stack;
}

/** The message of what `fn` throws. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('nothing thrown');
}

describe('Resilience-RetryBudget1: no path from a resource exceeds the retry budget or loops', () => {
  test('5 receives × 10 receives = 50 is a warning on the first queue of the path; a budget of 50 accepts it', () => {
    // GIVEN queue 1 (5 receives) → function A → queue 2 (10 receives) → function B
    const stack = twoHops(5, 10);

    // WHEN / THEN with the default budget of 25, only the first resource of the path is reported
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue1/Resource', severity: 'warning' }]);
    // and with a budget of 50, nothing is
    expect(findings(stack, RULE, { retryBudgetThreshold: 50 })).toEqual([]);
  });

  test('a path at the budget complies; one over it does not', () => {
    // GIVEN 5 × 5 = 25
    const stack = twoHops(5, 5);

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
    expect(findings(stack, RULE, { retryBudgetThreshold: 24 })).toEqual(['Test/Queue1/Resource']);
  });

  test('a function that sends to the queue it consumes loops, whatever the budget; without the grant it does not', () => {
    // GIVEN a queue (5 receives) whose consumer may send to it
    const stack = newStack();
    const looping = queue(stack, 'Queue', 5);
    looping.grantSendMessages(consume(looping, 'Consumer'));

    // WHEN / THEN the loop is reported on the queue, where events wait, though the function's name sorts first
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue/Resource', severity: 'warning' }]);
    expect(findings(stack, RULE, { retryBudgetThreshold: 1_000_000 })).toEqual(['Test/Queue/Resource']);

    // GIVEN the same consumer, which does not send
    const fixed = newStack();
    consume(queue(fixed, 'Queue', 5), 'Consumer');

    // THEN 5 invocations per message are within the budget
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a loop that something enters is reported on the entry, not inside the loop', () => {
    // GIVEN a topic that feeds a queue (5 receives) whose consumer sends back to it
    const stack = newStack();
    const looping = queue(stack, 'Queue', 5);
    new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.SqsSubscription(looping, {
      deadLetterQueue: new sqs.Queue(stack, 'Undelivered'),
    }));
    looping.grantSendMessages(consume(looping, 'Worker'));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Topic/Resource']);
  });

  test('a path can start at a function that a service invokes asynchronously: its retries count', () => {
    // GIVEN a function that SNS may invoke (1 + 2 retries by default) and that sends to a queue (10 receives)
    const stack = newStack();
    const sender = new lambda.Function(stack, 'Sender', handlerProps);
    sender.addPermission('Sns', { principal: new iam.ServicePrincipal('sns.amazonaws.com') });
    const downstream = queue(stack, 'Queue', 10);
    downstream.grantSendMessages(sender);
    consume(downstream, 'Consumer');

    // WHEN / THEN 3 × 10 = 30 is over the budget, and reported on the function
    expect(findings(stack, RULE)).toEqual(['Test/Sender/Resource']);
    expect(findings(stack, RULE, { retryBudgetThreshold: 30 })).toEqual([]);
  });

  test('a resource that starts no path is not checked, even with the smallest budget', () => {
    // GIVEN a queue with a dead-letter queue that nothing consumes, and a function that nothing invokes
    const stack = newStack();
    queue(stack, 'Queue', 1);
    new lambda.Function(stack, 'Fn', handlerProps);

    // WHEN / THEN
    expect(findings(stack, RULE, { retryBudgetThreshold: 1 })).toEqual([]);
  });

  test.each([0, 1.5, 1_000_001, -25])('a budget of %p is refused, naming the prop, the value and the range', (threshold) => {
    // WHEN
    const message = thrown(() => new ResilienceChecks(new App(), { retryBudgetThreshold: threshold }));

    // THEN
    expect(message).toContain('retryBudgetThreshold');
    expect(message).toContain(String(threshold));
    expect(message).toMatch(/\b1\b.*\b1,?000,?000\b/);
  });

  test.each([1, 1_000_000])('a budget of %p is accepted', (threshold) => {
    // WHEN / THEN
    expect(() => new ResilienceChecks(new App(), { retryBudgetThreshold: threshold })).not.toThrow();
  });
});
