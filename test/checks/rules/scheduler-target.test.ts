import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ResilienceChecks, RetryBudget } from '../../../src';
import { handlerProps, newStack } from '../../helpers';
import { findings, reported } from '../nag';

const HOURLY = scheduler.ScheduleExpression.rate(Duration.hours(1));

describe('Resilience-Scheduler1: a schedule\'s target has a dead-letter queue', () => {
  test('a schedule whose target has no dead-letter queue is an error; a dead-letter queue fixes it', () => {
    // GIVEN a schedule that invokes a function, without a dead-letter queue
    const stack = newStack();
    new scheduler.Schedule(stack, 'Nightly', { schedule: HOURLY, target: new schedulerTargets.LambdaInvoke(new lambda.Function(stack, 'Fn', handlerProps)) });
    // WHEN / THEN
    expect(reported(stack, 'Resilience-Scheduler1')).toEqual([{ path: 'Test/Nightly/Resource', severity: 'error' }]);

    // GIVEN the same schedule with a dead-letter queue
    const fixed = newStack();
    new scheduler.Schedule(fixed, 'Nightly', {
      schedule: HOURLY,
      target: new schedulerTargets.LambdaInvoke(new lambda.Function(fixed, 'Fn', handlerProps), { deadLetterQueue: new sqs.Queue(fixed, 'Missed') }),
    });
    // THEN
    expect(findings(fixed, 'Resilience-Scheduler1')).toEqual([]);
  });
});

describe('Resilience-Scheduler2: a schedule\'s target has an explicit retry policy', () => {
  test('a target that sets no retry policy is a warning; retryAttempts fixes it', () => {
    // GIVEN a schedule template without a retry policy (aws-cdk-lib's targets always write one), and one with
    const bare = ResilienceChecks.checkTemplate({
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue' },
        Schedule: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(1 hour)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, RoleArn: 'arn:aws:iam::111122223333:role/r', DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } } } } },
      },
    });
    const stack = newStack();
    new scheduler.Schedule(stack, 'Nightly', {
      schedule: HOURLY,
      target: new schedulerTargets.SqsSendMessage(new sqs.Queue(stack, 'Queue'), { retryAttempts: 3, deadLetterQueue: new sqs.Queue(stack, 'Missed') }),
    });
    // WHEN / THEN
    expect(bare.violations.filter(v => v.ruleName === 'Resilience-Scheduler2').map(v => [v.severity, v.violatingResources[0].resourceLogicalId])).toEqual([['warning', 'Schedule']]);
    expect(findings(stack, 'Resilience-Scheduler2')).toEqual([]);
  });
});

describe('EventBridge Scheduler in the retry budget and Resilience-Lambda1', () => {
  test('a schedule invokes its function asynchronously: a hop with Lambda\'s retries, and the function needs a failure destination', () => {
    // GIVEN a schedule that invokes a function whose asynchronous invocations nothing keeps
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Fn', handlerProps);
    new scheduler.Schedule(stack, 'Nightly', { schedule: HOURLY, target: new schedulerTargets.LambdaInvoke(fn, { deadLetterQueue: new sqs.Queue(stack, 'Missed') }) });
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops, p.attempts, p.worstCaseInvocations]);
    // THEN one path, schedule → function ×3 (1 + Lambda's 2 retries); the schedule's dead-letter queue ends none
    expect(paths).toEqual([[['Test/Nightly', 'Test/Fn'], [1, 3], 3]]);
    expect(findings(stack, 'Resilience-Lambda1')).toEqual(['Test/Fn/Resource']);
  });

  test('a schedule\'s target given by a literal ARN of no resource of the template links nothing', () => {
    // GIVEN
    const report = RetryBudget.fromTemplate({
      Resources: {
        Schedule: { Type: 'AWS::Scheduler::Schedule', Properties: { Target: { Arn: 'arn:aws:lambda:eu-west-1:111122223333:function:elsewhere', RoleArn: 'r' } } },
      },
    });
    // WHEN / THEN
    expect(report.paths).toEqual([]);
  });
});
