import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { handlerProps, newStack } from '../../helpers';
import { findings, reported } from '../nag';

const RULE = 'Resilience-EventBridge2';
const HOURLY = events.Schedule.rate(Duration.hours(1));

describe('Resilience-EventBridge2: every target of a rule has an explicit retry policy', () => {
  test('a target without a retry policy is a warning on the rule; retryAttempts fixes it', () => {
    // GIVEN a rule with a function target and EventBridge's default retries
    const stack = newStack();
    new events.Rule(stack, 'Rule', { schedule: HOURLY, targets: [new targets.LambdaFunction(new lambda.Function(stack, 'Fn', handlerProps))] });

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Rule/Resource', severity: 'warning' }]);

    // GIVEN the same target with retryAttempts
    const fixed = newStack();
    new events.Rule(fixed, 'Rule', {
      schedule: HOURLY,
      targets: [new targets.LambdaFunction(new lambda.Function(fixed, 'Fn', handlerProps), { retryAttempts: 3 })],
    });

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('maxEventAge alone is an explicit retry policy; retryAttempts 0 is one too', () => {
    // GIVEN
    const stack = newStack();
    new events.Rule(stack, 'Rule', {
      schedule: HOURLY,
      targets: [
        new targets.SqsQueue(new sqs.Queue(stack, 'Aged'), { maxEventAge: Duration.hours(2) }),
        new targets.SqsQueue(new sqs.Queue(stack, 'NoRetry'), { retryAttempts: 0 }),
      ],
    });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('one target without a retry policy among targets with one is reported', () => {
    // GIVEN
    const stack = newStack();
    new events.Rule(stack, 'Rule', {
      schedule: HOURLY,
      targets: [
        new targets.SqsQueue(new sqs.Queue(stack, 'Explicit'), { retryAttempts: 3 }),
        new targets.SqsQueue(new sqs.Queue(stack, 'Default')),
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
