import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FisLambdaExperiment, LambdaFault } from '../../../src';
import { handlerProps, newStack } from '../../helpers';
import { findings, reported } from '../nag';

const RULE = 'Resilience-FIS1';

/** An experiment template of `stack` that delays a function, with the stop conditions given. */
function template(stack: Stack, stopConditions: fis.CfnExperimentTemplate.ExperimentTemplateStopConditionProperty[]): void {
  const fn = new lambda.Function(stack, 'Fn', handlerProps);
  new fis.CfnExperimentTemplate(stack, 'Experiment', {
    description: 'delay',
    roleArn: new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('fis.amazonaws.com') }).roleArn,
    targets: { Functions: { resourceType: 'aws:lambda:function', resourceArns: [fn.functionArn], selectionMode: 'ALL' } },
    actions: {
      delay: {
        actionId: 'aws:lambda:invocation-add-delay',
        parameters: { duration: 'PT5M', startupDelayMilliseconds: '1000' },
        targets: { Functions: 'Functions' },
      },
    },
    stopConditions,
  });
}

function alarm(stack: Stack): cloudwatch.Alarm {
  return new cloudwatch.Alarm(stack, 'Latency', {
    metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'CheckoutLatency', statistic: 'p99' }),
    threshold: 2000,
    evaluationPeriods: 1,
  });
}

describe('Resilience-FIS1: an FIS experiment template has a stop condition', () => {
  test('a template whose only stop condition is none is an error on the template; an alarm fixes it', () => {
    // GIVEN
    const stack = newStack();
    template(stack, [{ source: 'none' }]);

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Experiment', severity: 'error' }]);

    // GIVEN the same template, stopped by an alarm
    const fixed = newStack();
    template(fixed, [{ source: 'aws:cloudwatch:alarm', value: alarm(fixed).alarmArn }]);

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('an empty list of stop conditions is no stop condition', () => {
    // GIVEN
    const stack = newStack();
    template(stack, []);

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Experiment']);
  });

  test('a FisLambdaExperiment with a stop condition complies; one that opts out is reported', () => {
    // GIVEN
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Fn', handlerProps);
    new FisLambdaExperiment(stack, 'Watched', { functions: [fn], fault: LambdaFault.error(), stopConditions: [alarm(stack)] });
    new FisLambdaExperiment(stack, 'Unwatched', { functions: [fn], fault: LambdaFault.error(), stopConditions: [], allowNoStopCondition: true });

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Unwatched/Resource', severity: 'error' }]);
  });
});
