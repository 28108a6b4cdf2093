import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AsyncFunction, AsyncFunctionProps, DeadLetterQueue } from '../src';
import { actionsOn, handlerProps, logicalIdOf, maskAssetHashes, newStack, propertiesOf } from './helpers';

const IMPORTED_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:orders';
const IMPORTED_ROLE_ARN = 'arn:aws:iam::123456789012:role/orders';

/** The properties of the only AWS::Lambda::EventInvokeConfig of the stack. */
function eventInvokeConfigOf(stack: Stack): any {
  const configs = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::EventInvokeConfig'));
  expect(configs).toHaveLength(1);
  return configs[0].Properties;
}

/** An AsyncFunction with a new function (30 s timeout) and the given props. */
function worker(stack: Stack, props: Partial<AsyncFunctionProps> = {}, id = 'Worker'): AsyncFunction {
  return new AsyncFunction(stack, id, { functionProps: handlerProps, ...props });
}

describe('AsyncFunction', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const af = worker(stack);

    // THEN
    expect(af.retryAttempts).toBe(2);
    expect(af.maxEventAge.toSeconds()).toBe(21600);
    expect(af.function).toBeInstanceOf(lambda.Function);
    expect(af.deadLetterQueue).toBeInstanceOf(DeadLetterQueue);
    expect(af.deadLetterQueue!.retentionPeriod.toDays()).toBe(14);
    expect(af.deadLetterQueue!.fifo).toBe(false);

    const template = Template.fromStack(stack);
    const functionId = logicalIdOf(af.function as lambda.Function);
    const failureQueueArn = { 'Fn::GetAtt': [logicalIdOf(af.deadLetterQueue!.queue), 'Arn'] };

    // 2 retries, 6 hours, failed events to the failure queue, no on-success destination
    expect(eventInvokeConfigOf(stack)).toEqual({
      FunctionName: { Ref: functionId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: failureQueueArn } },
    });

    // the failure queue: 14 days, SSE-SQS
    expect(propertiesOf(stack, af.deadLetterQueue!.queue)).toEqual({
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });

    // the function may send to its failure queue
    expect(actionsOn(template, failureQueueArn)).toContain('sqs:SendMessage');
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(af.function.role!) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Action: Match.arrayWith(['sqs:SendMessage']),
          Resource: failureQueueArn,
        })]),
      },
    });

    // the created function is the one from functionProps
    expect(propertiesOf(stack, af.function as lambda.Function)).toMatchObject({
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Timeout: 30,
    });

    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });

  test('resource counts with defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    worker(stack);

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(Object.keys(template.toJSON().Resources)).toHaveLength(10);
  });

  test('alarms: failure queue depth, errors, throttles, dropped events', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const af = worker(stack);

    // THEN
    expect(af.alarms).toEqual([af.deadLetterQueue!.depthAlarm, af.errorsAlarm, af.throttlesAlarm, af.droppedEventsAlarm]);
    const [depth, errors, throttles, dropped] = af.alarms;
    expect(depth).toBe(af.deadLetterQueue!.depthAlarm);
    const functionId = logicalIdOf(af.function as lambda.Function);
    const failureQueueId = logicalIdOf(af.deadLetterQueue!.queue);

    expect(propertiesOf(stack, depth)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [failureQueueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const lambdaAlarms: Array<[typeof errors, string]> = [[errors, 'Errors'], [throttles, 'Throttles'], [dropped, 'AsyncEventsDropped']];
    for (const [alarm, metricName] of lambdaAlarms) {
      expect(propertiesOf(stack, alarm)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
    expect(propertiesOf(stack, errors).AlarmDescription).toMatch(/up to 2 times/);
    expect(propertiesOf(stack, throttles).AlarmDescription).toMatch(/up to 6 hours/);
    for (const alarm of af.alarms) {
      expect(propertiesOf(stack, alarm).AlarmActions).toBeUndefined();
      expect(propertiesOf(stack, alarm).OKActions).toBeUndefined();
    }
  });

  test('retryAttempts 0 and 1', () => {
    // GIVEN
    const stack0 = newStack();
    const stack1 = newStack();

    // WHEN
    const none = worker(stack0, { retryAttempts: 0 });
    const one = worker(stack1, { retryAttempts: 1 });

    // THEN
    expect(none.retryAttempts).toBe(0);
    expect(eventInvokeConfigOf(stack0)).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 21600 });
    expect(propertiesOf(stack0, none.errorsAlarm).AlarmDescription).toMatch(/up to 0 times/);
    expect(one.retryAttempts).toBe(1);
    expect(eventInvokeConfigOf(stack1)).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 21600 });
  });

  test('maxEventAge 60 seconds and 6 hours', () => {
    // GIVEN
    const min = newStack();
    const max = newStack();

    // WHEN
    const short = worker(min, { maxEventAge: Duration.seconds(60) });
    const long = worker(max, { maxEventAge: Duration.hours(6) });

    // THEN
    expect(short.maxEventAge.toSeconds()).toBe(60);
    expect(eventInvokeConfigOf(min)).toMatchObject({ MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 2 });
    expect(propertiesOf(min, short.throttlesAlarm).AlarmDescription).toMatch(/up to 1 minute/);
    expect(long.maxEventAge.toSeconds()).toBe(21600);
    expect(eventInvokeConfigOf(max)).toMatchObject({ MaximumEventAgeInSeconds: 21600 });
  });

  test('the dead-letter queue it creates is its child DeadLetterQueue', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const af = worker(stack);

    // THEN
    expect(af.node.tryFindChild('DeadLetterQueue')).toBe(af.deadLetterQueue);
    expect(af.deadLetterQueue!.encryptionKey).toBeUndefined();
    expect(propertiesOf(stack, af.deadLetterQueue!.queue).SqsManagedSseEnabled).toBe(true);
  });

  test('encryptionKey encrypts the dead-letter queue it creates, and the function may send there', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');

    // WHEN
    const af = worker(stack, { encryptionKey: key });

    // THEN
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] };
    expect(af.deadLetterQueue!.encryptionKey).toBe(key);
    expect(propertiesOf(stack, af.deadLetterQueue!.queue).KmsMasterKeyId).toEqual(keyArn);
    expect(actionsOn(Template.fromStack(stack), keyArn)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
  });

  test('a shared deadLetterQueue: the destination, its alarm listed, no queue of its own', () => {
    // GIVEN
    const stack = newStack();
    const shared = new DeadLetterQueue(stack, 'Shared');

    // WHEN
    const af = worker(stack, { deadLetterQueue: shared });

    // THEN
    expect(af.deadLetterQueue).toBe(shared);
    expect(af.node.tryFindChild('DeadLetterQueue')).toBeUndefined();
    expect(af.alarms).toEqual([shared.depthAlarm, af.errorsAlarm, af.throttlesAlarm, af.droppedEventsAlarm]);
    Template.fromStack(stack).resourceCountIs('AWS::SQS::Queue', 1);
    expect(eventInvokeConfigOf(stack).DestinationConfig).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(shared.queue), 'Arn'] } } });
  });

  test('fails if deadLetterQueue and onFailure are both given', () => {
    // GIVEN
    const stack = newStack();
    const shared = new DeadLetterQueue(stack, 'Shared');
    const onFailure = new destinations.SnsDestination(new sns.Topic(stack, 'Failures'));

    // WHEN / THEN
    expect(() => worker(stack, { deadLetterQueue: shared, onFailure }))
      .toThrow(/^AsyncFunction takes either deadLetterQueue or onFailure, not both: got deadLetterQueue Test\/Shared and an onFailure SnsDestination$/);
  });

  test('fails if deadLetterQueue is FIFO', () => {
    // GIVEN
    const stack = newStack();
    const fifo = new DeadLetterQueue(stack, 'Fifo', { fifo: true });

    // WHEN / THEN
    expect(() => worker(stack, { deadLetterQueue: fifo }))
      .toThrow(/^deadLetterQueue must be a standard queue: Lambda destinations do not support FIFO, got the FIFO queue Test\/Fifo$/);
  });

  test('fails if encryptionKey is given with a destination it does not create', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');

    // WHEN / THEN
    expect(() => worker(stack, { encryptionKey: key, deadLetterQueue: new DeadLetterQueue(stack, 'Shared') }))
      .toThrow(/^encryptionKey encrypts the dead-letter queue AsyncFunction creates, and it creates none when deadLetterQueue is given: .*got encryptionKey Test\/Key$/);
  });

  test('onFailure an SNS topic: no failure queue, 3 alarms, the function may publish', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Failures');

    // WHEN
    const af = worker(stack, { onFailure: new destinations.SnsDestination(topic) });

    // THEN
    expect(af.deadLetterQueue).toBeUndefined();
    expect(af.alarms).toHaveLength(3);
    expect(af.alarms.map(a => propertiesOf(stack, a).MetricName)).toEqual(['Errors', 'Throttles', 'AsyncEventsDropped']);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    expect(eventInvokeConfigOf(stack)).toEqual({
      FunctionName: { Ref: logicalIdOf(af.function as lambda.Function) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: { Ref: logicalIdOf(topic) } } },
    });
    expect(actionsOn(template, { Ref: logicalIdOf(topic) })).toContain('sns:Publish');
  });

  test('onSuccess an SQS destination', () => {
    // GIVEN
    const stack = newStack();
    const successes = new sqs.Queue(stack, 'Successes', { enforceSSL: true });

    // WHEN
    const af = worker(stack, { onSuccess: new destinations.SqsDestination(successes) });

    // THEN
    const successArn = { 'Fn::GetAtt': [logicalIdOf(successes), 'Arn'] };
    expect(eventInvokeConfigOf(stack).DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(af.deadLetterQueue!.queue), 'Arn'] } },
      OnSuccess: { Destination: successArn },
    });
    expect(actionsOn(Template.fromStack(stack), successArn)).toContain('sqs:SendMessage');
    expect(af.alarms).toHaveLength(4);
  });

  test('alarmAction on every alarm, on ALARM and on OK', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');

    // WHEN
    const af = worker(stack, { alarmAction: new cw_actions.SnsAction(topic) });

    // THEN
    expect(af.alarms).toHaveLength(4);
    const topicRef = { Ref: logicalIdOf(topic) };
    for (const alarm of af.alarms) {
      const props = propertiesOf(stack, alarm);
      expect(props.AlarmActions).toEqual([topicRef]);
      expect(props.OKActions).toEqual([topicRef]);
    }
  });

  test('an existing function', () => {
    // GIVEN
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Handler', handlerProps);

    // WHEN
    const af = new AsyncFunction(stack, 'Worker', { function: fn, retryAttempts: 1 });

    // THEN
    expect(af.function).toBe(fn);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(eventInvokeConfigOf(stack)).toEqual({
      FunctionName: { Ref: logicalIdOf(fn) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(af.deadLetterQueue!.queue), 'Arn'] } } },
    });
    expect(actionsOn(template, { 'Fn::GetAtt': [logicalIdOf(af.deadLetterQueue!.queue), 'Arn'] })).toContain('sqs:SendMessage');
    template.hasResourceProperties('AWS::IAM::Policy', { Roles: [{ Ref: logicalIdOf(fn.role!) }] });
    expect(propertiesOf(stack, af.errorsAlarm).Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: logicalIdOf(fn) } }]);
  });

  test('metric helpers are what the alarms watch, with the options given', () => {
    // GIVEN
    const stack = newStack();
    const af = worker(stack);
    // WHEN / THEN
    const pairs = [
      [af.metricErrors(), af.errorsAlarm], [af.metricThrottles(), af.throttlesAlarm], [af.metricAsyncEventsDropped(), af.droppedEventsAlarm],
    ] as const;
    for (const [metric, alarm] of pairs) {
      expect(stack.resolve(metric.toMetricConfig())).toEqual(stack.resolve(alarm.metric.toMetricConfig()));
    }
    expect(af.metricThrottles({ statistic: 'Maximum' }).statistic).toBe('Maximum');
  });

  test('an imported function with its role', () => {
    // GIVEN
    const stack = newStack();
    const role = iam.Role.fromRoleArn(stack, 'ImportedRole', IMPORTED_ROLE_ARN);
    const fn = lambda.Function.fromFunctionAttributes(stack, 'Imported', { functionArn: IMPORTED_FUNCTION_ARN, role });

    // WHEN
    const af = new AsyncFunction(stack, 'Worker', { function: fn });

    // THEN
    expect(af.function).toBe(fn);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    expect(eventInvokeConfigOf(stack)).toEqual({
      FunctionName: 'orders',
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(af.deadLetterQueue!.queue), 'Arn'] } } },
    });
    // the imported role is granted to send to the failure queue
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['orders'],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: Match.arrayWith(['sqs:SendMessage']),
          Resource: { 'Fn::GetAtt': [logicalIdOf(af.deadLetterQueue!.queue), 'Arn'] },
        })]),
      },
    });
    for (const alarm of af.alarms.slice(1)) {
      expect(propertiesOf(stack, alarm).Dimensions).toEqual([{ Name: 'FunctionName', Value: 'orders' }]);
    }
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('an imported FIFO queue is refused like a new one', () => {
    // GIVEN
    const stack = newStack();
    const fifo = sqs.Queue.fromQueueArn(stack, 'Imported', 'arn:aws:sqs:us-east-1:123456789012:failures.fifo');

    // WHEN / THEN
    expect(() => worker(stack, { onFailure: new destinations.SqsDestination(fifo) }))
      .toThrow(/onFailure must be a standard queue or topic: Lambda destinations do not support FIFO, got the FIFO queue Test\/Imported/);
  });

  describe('validation', () => {
    test.each<[string, Partial<AsyncFunctionProps>, RegExp]>([
      ['retryAttempts is -1', { retryAttempts: -1 }, /retryAttempts must be an integer between 0 and 2, got -1/],
      ['retryAttempts is 3', { retryAttempts: 3 }, /retryAttempts must be an integer between 0 and 2, got 3/],
      ['retryAttempts is not an integer', { retryAttempts: 1.5 }, /retryAttempts must be an integer between 0 and 2, got 1.5/],
      ['maxEventAge is 59 seconds', { maxEventAge: Duration.seconds(59) }, /maxEventAge must be between 60 s and 6 h, got 59 s/],
      ['maxEventAge is 7 hours', { maxEventAge: Duration.hours(7) }, /maxEventAge must be between 60 s and 6 h, got 7 h/],
    ])('fails if %s', (_case, props, message) => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => worker(stack, props)).toThrow(message);
    });

    test('fails if onFailure is a FIFO queue', () => {
      // GIVEN
      const stack = newStack();
      const queue = new sqs.Queue(stack, 'Q', { fifo: true });
      // WHEN / THEN
      expect(() => worker(stack, { onFailure: new destinations.SqsDestination(queue) }))
        .toThrow(/onFailure must be a standard queue or topic: Lambda destinations do not support FIFO, got the FIFO queue Test\/Q/);
    });

    test('fails if onSuccess is a FIFO queue', () => {
      // GIVEN
      const stack = newStack();
      const queue = new sqs.Queue(stack, 'Q', { fifo: true });
      // WHEN / THEN
      expect(() => worker(stack, { onSuccess: new destinations.SqsDestination(queue) }))
        .toThrow(/onSuccess must be a standard queue or topic: Lambda destinations do not support FIFO, got the FIFO queue Test\/Q/);
    });

    test('fails if onFailure is a FIFO topic', () => {
      // GIVEN
      const stack = newStack();
      const topic = new sns.Topic(stack, 'T', { fifo: true });
      // WHEN / THEN
      expect(() => worker(stack, { onFailure: new destinations.SnsDestination(topic) }))
        .toThrow(/onFailure must be a standard queue or topic: Lambda destinations do not support FIFO, got the FIFO topic Test\/T/);
    });

    test('fails if onSuccess is a FIFO topic', () => {
      // GIVEN
      const stack = newStack();
      const topic = new sns.Topic(stack, 'T', { fifo: true });
      // WHEN / THEN
      expect(() => worker(stack, { onSuccess: new destinations.SnsDestination(topic) }))
        .toThrow(/onSuccess must be a standard queue or topic: Lambda destinations do not support FIFO, got the FIFO topic Test\/T/);
    });

    test('fails if the function was created with an onFailure destination', () => {
      // GIVEN
      const stack = newStack();
      const fn = new lambda.Function(stack, 'Handler', {
        ...handlerProps,
        onFailure: new destinations.SqsDestination(new sqs.Queue(stack, 'Failures')),
      });
      // WHEN / THEN
      expect(() => new AsyncFunction(stack, 'Worker', { function: fn }))
        .toThrow(/function Test\/Handler already has an asynchronous invocation configuration \(EventInvokeConfig\)/);
    });

    test('fails if the function was configured with configureAsyncInvoke()', () => {
      // GIVEN
      const stack = newStack();
      const fn = new lambda.Function(stack, 'Handler', handlerProps);
      fn.configureAsyncInvoke({ retryAttempts: 0 });
      // WHEN / THEN
      expect(() => new AsyncFunction(stack, 'Worker', { function: fn }))
        .toThrow(/function Test\/Handler already has an asynchronous invocation configuration \(EventInvokeConfig\)/);
    });

    test('fails if two AsyncFunctions share a function', () => {
      // GIVEN
      const stack = newStack();
      const fn = new lambda.Function(stack, 'Handler', handlerProps);
      new AsyncFunction(stack, 'First', { function: fn });
      // WHEN / THEN
      expect(() => new AsyncFunction(stack, 'Second', { function: fn }))
        .toThrow(/function Test\/Handler already has an asynchronous invocation configuration \(EventInvokeConfig\)/);
    });

    test('fails if functionProps sets onFailure', () => {
      // GIVEN
      const stack = newStack();
      const onFailure = new destinations.SqsDestination(new sqs.Queue(stack, 'Failures'));
      // WHEN / THEN
      expect(() => worker(stack, { functionProps: { ...handlerProps, onFailure } }))
        .toThrow(/functionProps.onFailure must not be set: it is AsyncFunction's own onFailure prop, got SqsDestination/);
    });

    test('fails if functionProps sets onSuccess', () => {
      // GIVEN
      const stack = newStack();
      const onSuccess = new destinations.SnsDestination(new sns.Topic(stack, 'Successes'));
      // WHEN / THEN
      expect(() => worker(stack, { functionProps: { ...handlerProps, onSuccess } }))
        .toThrow(/functionProps.onSuccess must not be set: it is AsyncFunction's own onSuccess prop, got SnsDestination/);
    });

    test('fails if functionProps sets retryAttempts, even to 0', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => worker(stack, { functionProps: { ...handlerProps, retryAttempts: 1 } }))
        .toThrow(/functionProps.retryAttempts must not be set: it is AsyncFunction's own retryAttempts prop, got 1/);
      expect(() => worker(stack, { functionProps: { ...handlerProps, retryAttempts: 0 } }, 'Zero'))
        .toThrow(/functionProps.retryAttempts must not be set: it is AsyncFunction's own retryAttempts prop, got 0/);
    });

    test('fails if functionProps sets maxEventAge', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => worker(stack, { functionProps: { ...handlerProps, maxEventAge: Duration.hours(1) } }))
        .toThrow(/functionProps.maxEventAge must not be set: it is AsyncFunction's own maxEventAge prop, got 1 hour/);
    });


    test('fails if an imported function has no role, as QueueDecoupledFunction does', () => {
      // GIVEN
      const stack = newStack();
      const fn = lambda.Function.fromFunctionArn(stack, 'Imported', IMPORTED_FUNCTION_ARN);
      // WHEN / THEN
      expect(() => new AsyncFunction(stack, 'Worker', { function: fn })).toThrow(new RegExp(
        '^function Test/Imported was imported without its role, so AsyncFunction cannot grant it what its destinations need \\(sqs:SendMessage on the dead-letter queue by default\\): '
        + 'import it with Function.fromFunctionAttributes\\(\\{ functionArn, role \\}\\)'));
    });

    test('fails if both function and functionProps are given', () => {
      // GIVEN
      const stack = newStack();
      const fn = new lambda.Function(stack, 'Handler', handlerProps);
      // WHEN / THEN
      expect(() => new AsyncFunction(stack, 'Worker', { function: fn, functionProps: handlerProps }))
        .toThrow(/AsyncFunction needs exactly one of function or functionProps, got both/);
    });

    test('fails if neither function nor functionProps is given', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new AsyncFunction(stack, 'Worker', {}))
        .toThrow(/AsyncFunction needs exactly one of function or functionProps, got neither/);
    });
  });

  test('snapshot', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');

    // WHEN
    worker(stack, { alarmAction: new cw_actions.SnsAction(topic) });

    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
