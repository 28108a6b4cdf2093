import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { handlerProps, newStack } from '../../helpers';
import { findings, reported } from '../nag';

const RULE = 'Resilience-EventBridge1';
const HOURLY = events.Schedule.rate(Duration.hours(1));

describe('Resilience-EventBridge1: every target of a rule has a dead-letter queue', () => {
  test('a target without a dead-letter queue is an error on the rule; a dead-letter queue fixes it', () => {
    // GIVEN a rule with a function target and no dead-letter queue
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Fn', handlerProps);
    new events.Rule(stack, 'Rule', { schedule: HOURLY, targets: [new targets.LambdaFunction(fn)] });

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Rule/Resource', severity: 'error' }]);

    // GIVEN the same target with a dead-letter queue
    const fixed = newStack();
    const deadLetters = new sqs.Queue(fixed, 'DeadLetters');
    new events.Rule(fixed, 'Rule', {
      schedule: HOURLY,
      targets: [new targets.LambdaFunction(new lambda.Function(fixed, 'Fn', handlerProps), { deadLetterQueue: deadLetters })],
    });

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('one target without a dead-letter queue among targets with one is reported', () => {
    // GIVEN a rule with two targets, only the first with a dead-letter queue
    const stack = newStack();
    const deadLetters = new sqs.Queue(stack, 'DeadLetters');
    new events.Rule(stack, 'Rule', {
      schedule: HOURLY,
      targets: [
        new targets.SqsQueue(new sqs.Queue(stack, 'Safe'), { deadLetterQueue: deadLetters }),
        new targets.SqsQueue(new sqs.Queue(stack, 'Unsafe')),
      ],
    });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Rule/Resource']);
  });

  test('a rule with no targets is not checked', () => {
    // GIVEN
    const stack = newStack();
    new events.Rule(stack, 'Rule', { schedule: HOURLY });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
