import { Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iotevents from 'aws-cdk-lib/aws-iotevents';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as logsDestinations from 'aws-cdk-lib/aws-logs-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { handlerProps, newStack } from '../../helpers';
import { consume, findings, reported } from '../nag';
import { newPipe } from '../streams';

const RULE = 'Resilience-Lambda1';

/** A new function `Fn`, with `props` on top of `handlerProps`. */
function newFunction(stack: Stack, props: Partial<lambda.FunctionProps> = {}, id = 'Fn'): lambda.Function {
  return new lambda.Function(stack, id, { ...handlerProps, ...props });
}

describe('Resilience-Lambda1: a function invoked asynchronously has an on-failure destination or a dead-letter queue', () => {
  test('a function subscribed to an SNS topic is an error on the function; an on-failure destination fixes it', () => {
    // GIVEN
    const stack = newStack();
    new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.LambdaSubscription(newFunction(stack)));

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Fn/Resource', severity: 'error' }]);

    // GIVEN the same function with an on-failure destination
    const fixed = newStack();
    const fn = newFunction(fixed, { onFailure: new destinations.SqsDestination(new sqs.Queue(fixed, 'Failures')) });
    new sns.Topic(fixed, 'Topic').addSubscription(new subscriptions.LambdaSubscription(fn));

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a function that is the target of an EventBridge rule is reported; a dead-letter queue on the function fixes it', () => {
    // GIVEN a rule target (with a dead-letter queue of its own, for events the rule cannot deliver)
    const stack = newStack();
    new events.Rule(stack, 'Rule', {
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new targets.LambdaFunction(newFunction(stack), { deadLetterQueue: new sqs.Queue(stack, 'Undelivered') })],
    });

    // WHEN / THEN the target's dead-letter queue does not keep what the function fails
    expect(findings(stack, RULE)).toEqual(['Test/Fn/Resource']);

    // GIVEN the function has a dead-letter queue
    const fixed = newStack();
    new events.Rule(fixed, 'Rule', {
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new targets.LambdaFunction(newFunction(fixed, { deadLetterQueue: new sqs.Queue(fixed, 'DeadLetters') }))],
    });

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a function notified by an S3 bucket is reported; configureAsyncInvoke with an on-failure destination fixes it', () => {
    // GIVEN
    const stack = newStack();
    new s3.Bucket(stack, 'Bucket').addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(newFunction(stack)));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Fn/Resource']);

    // GIVEN the function's asynchronous invocations fail to a topic
    const fixed = newStack();
    const fn = newFunction(fixed);
    fn.configureAsyncInvoke({ onFailure: new destinations.SnsDestination(new sns.Topic(fixed, 'Failures')) });
    new s3.Bucket(fixed, 'Bucket').addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn));

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a permission for a service that invokes asynchronously makes a function invoked asynchronously', () => {
    // GIVEN functions that CloudWatch Logs (a subscription filter, and a regional principal), EventBridge and SNS may invoke
    const stack = newStack();
    new logs.LogGroup(stack, 'Logs').addSubscriptionFilter('Subscription', {
      destination: new logsDestinations.LambdaDestination(newFunction(stack, {}, 'Filter')),
      filterPattern: logs.FilterPattern.allEvents(),
    });
    newFunction(stack, {}, 'RegionalLogs').addPermission('Logs', { principal: new iam.ServicePrincipal('logs.eu-west-1.amazonaws.com') });
    newFunction(stack, {}, 'Events').addPermission('Events', { principal: new iam.ServicePrincipal('events.amazonaws.com') });
    newFunction(stack, {}, 'Sns').grantInvoke(new iam.ServicePrincipal('sns.amazonaws.com'));

    // WHEN / THEN
    expect(findings(stack, RULE).sort()).toEqual(['Test/Events/Resource', 'Test/Filter/Resource', 'Test/RegionalLogs/Resource', 'Test/Sns/Resource']);
  });

  test.each([
    'ses.amazonaws.com', 'iot.amazonaws.com', 'codecommit.amazonaws.com', 'config.amazonaws.com', 'scheduler.amazonaws.com',
    'lambda.alarms.cloudwatch.amazonaws.com',
  ])('a permission for %s makes a function invoked asynchronously', (service) => {
    // GIVEN a function that the service may invoke, and one that API Gateway may
    const stack = newStack();
    newFunction(stack, {}, 'Invoked').addPermission('Service', { principal: new iam.ServicePrincipal(service) });
    newFunction(stack, {}, 'Api').addPermission('Api', { principal: new iam.ServicePrincipal('apigateway.amazonaws.com') });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Invoked/Resource']);
  });

  test('a permission for a service that invokes synchronously does not', () => {
    // GIVEN a function that API Gateway may invoke
    const stack = newStack();
    newFunction(stack).addPermission('Api', { principal: new iam.ServicePrincipal('apigateway.amazonaws.com') });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('a function that is another function\'s destination is reported, the other one not', () => {
    // GIVEN A, subscribed to a topic with an on-failure queue, whose on-success destination is B
    const stack = newStack();
    const b = newFunction(stack, {}, 'B');
    const a = newFunction(stack, {
      onFailure: new destinations.SqsDestination(new sqs.Queue(stack, 'Failures')),
      onSuccess: new destinations.LambdaDestination(b),
    }, 'A');
    new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.LambdaSubscription(a));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/B/Resource']);
  });

  test('an on-success destination alone does not comply', () => {
    // GIVEN a function subscribed to a topic, with only an on-success destination
    const stack = newStack();
    const fn = newFunction(stack, { onSuccess: new destinations.SqsDestination(new sqs.Queue(stack, 'Results')) });
    new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.LambdaSubscription(fn));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Fn/Resource']);
  });

  test('a function invoked only by an SQS event source mapping, or not at all, is not checked', () => {
    // GIVEN a queue consumer and a function that nothing invokes
    const stack = newStack();
    consume(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) }), 'Consumer');
    newFunction(stack, {}, 'Idle');

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});

describe('Resilience-Lambda1: more asynchronous invokers', () => {
  test('a function subscribed through an alias is checked', () => {
    // GIVEN
    const stack = newStack();
    const fn = newFunction(stack);
    const live = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
    new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.LambdaSubscription(live));
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Fn/Resource']);
  });

  test('a CloudWatch alarm action invokes a function asynchronously', () => {
    // GIVEN
    const stack = newStack();
    const fn = newFunction(stack);
    new cloudwatch.Alarm(stack, 'Alarm', { metric: fn.metricErrors(), threshold: 1, evaluationPeriods: 1 })
      .addAlarmAction(new cw_actions.LambdaAction(fn));
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Fn/Resource']);
  });
});

test('Resilience-Lambda1: a function that another function may invoke is not assumed to be invoked asynchronously', () => {
  // GIVEN a function granted to invoke another (synchronously or not: the grant does not say)
  const stack = newStack();
  newFunction(stack, {}, 'Callee').grantInvoke(newFunction(stack, {}, 'Caller'));
  // WHEN / THEN
  expect(findings(stack, RULE)).toEqual([]);
});

describe('Resilience-Lambda1 and EventBridge pipes', () => {
  test('a function that a pipe invokes FIRE_AND_FORGET is invoked asynchronously; one the pipe waits for is not', () => {
    // GIVEN
    const stack = newStack();
    const source = new sqs.Queue(stack, 'Source');
    newPipe(stack, source.queueArn, newFunction(stack, {}, 'Fired').functionArn, {
      targetParameters: { lambdaFunctionParameters: { invocationType: 'FIRE_AND_FORGET' } },
    }, 'Async');
    newPipe(stack, source.queueArn, newFunction(stack, {}, 'Waited').functionArn, {}, 'Sync');
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Fired/Resource', severity: 'error' }]);
  });
});

describe('Resilience-Lambda1: invokers that the template shows invoke asynchronously', () => {
  /** A REST API whose POST method invokes `fn` with a non-proxy integration that sets `requestParameters`. */
  function restApi(stack: Stack, fn: lambda.IFunction, requestParameters: Record<string, string>, proxy = false): apigateway.RestApi {
    const api = new apigateway.RestApi(stack, 'Api');
    api.root.addMethod('POST', new apigateway.LambdaIntegration(fn, {
      proxy, requestParameters, integrationResponses: proxy ? undefined : [{ statusCode: '202' }],
    }), { methodResponses: [{ statusCode: '202' }] });
    return api;
  }

  test('an API Gateway integration that sets X-Amz-Invocation-Type to \'Event\' invokes asynchronously', () => {
    // GIVEN
    const stack = newStack();
    restApi(stack, newFunction(stack), { 'integration.request.header.X-Amz-Invocation-Type': "'Event'" });
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Fn/Resource']);
  });

  test('one that sets it to \'RequestResponse\', one that maps it from the request, and a proxy integration do not', () => {
    // GIVEN
    const stack = newStack();
    restApi(stack, newFunction(stack, {}, 'Sync'), { 'integration.request.header.X-Amz-Invocation-Type': "'RequestResponse'" });
    const mapped = newStack();
    restApi(mapped, newFunction(mapped), { 'integration.request.header.X-Amz-Invocation-Type': 'method.request.header.InvocationType' });
    const proxy = newStack();
    restApi(proxy, newFunction(proxy), {}, true);
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
    expect(findings(mapped, RULE)).toEqual([]);
    expect(findings(proxy, RULE)).toEqual([]);
  });

  test('an IoT Events detector model\'s Lambda action invokes asynchronously', () => {
    // GIVEN
    const stack = newStack();
    const fn = newFunction(stack);
    new iotevents.CfnDetectorModel(stack, 'Detector', {
      roleArn: 'arn:aws:iam::111122223333:role/iotevents',
      detectorModelDefinition: {
        initialStateName: 'Watching',
        states: [{ stateName: 'Watching', onEnter: { events: [{ eventName: 'Enter', actions: [{ lambda: { functionArn: fn.functionArn } }] }] } }],
      },
    });
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Fn/Resource']);
  });

  test('a Step Functions task that invokes with InvocationType Event invokes asynchronously; one that waits does not', () => {
    // GIVEN
    const stack = newStack();
    const definition = new tasks.LambdaInvoke(stack, 'Notify', {
      lambdaFunction: newFunction(stack, {}, 'Notified'), invocationType: tasks.LambdaInvocationType.EVENT,
    }).next(new tasks.LambdaInvoke(stack, 'Compute', { lambdaFunction: newFunction(stack, {}, 'Computed') }));
    new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(definition) });
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Notified/Resource']);
  });

  test('a JSONata Step Functions task (Arguments, not Parameters) that invokes with InvocationType Event invokes asynchronously', () => {
    // GIVEN
    const stack = newStack();
    const notify = tasks.LambdaInvoke.jsonata(stack, 'Notify', {
      lambdaFunction: newFunction(stack, {}, 'Notified'), invocationType: tasks.LambdaInvocationType.EVENT,
    });
    new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(notify) });
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Notified/Resource']);
  });
});
