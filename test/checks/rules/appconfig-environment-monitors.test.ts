import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { newStack } from '../../helpers';
import { findings, reported } from '../nag';

const RULE = 'Resilience-AppConfig1';

describe('Resilience-AppConfig1: an AppConfig environment has monitors', () => {
  test('an environment without monitors is an error on the environment; an alarm monitor fixes it', () => {
    // GIVEN
    const stack = newStack();
    new appconfig.Environment(stack, 'Env', { application: new appconfig.Application(stack, 'App') });

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Env/Resource', severity: 'error' }]);

    // GIVEN the same environment, monitored by an alarm
    const fixed = newStack();
    const alarm = new cloudwatch.Alarm(fixed, 'Errors', {
      metric: new cloudwatch.Metric({ namespace: 'App', metricName: 'Errors' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    new appconfig.Environment(fixed, 'Env', {
      application: new appconfig.Application(fixed, 'App'),
      monitors: [appconfig.Monitor.fromCloudWatchAlarm(alarm)],
    });

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('an empty list of monitors is no monitor', () => {
    // GIVEN
    const stack = newStack();
    new appconfig.Environment(stack, 'Env', { application: new appconfig.Application(stack, 'App'), monitors: [] });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Env/Resource']);
  });

  test('an L1 environment with a monitor complies', () => {
    // GIVEN
    const stack = newStack();
    const application = new appconfig.Application(stack, 'App');
    new appconfig.CfnEnvironment(stack, 'Env', {
      applicationId: application.applicationId,
      name: 'prod',
      monitors: [{ alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors' }],
    });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
