import { CfnResource, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { CFN_TYPE, CfnModel, ModelResource } from '../../../src/checks/model/cfn-model';
import {
  readAppConfigEnvironment, readArchive, readBucketNotifications, readDeployment, readDeploymentStrategy, readEventInvokeConfig,
  readEventSourceMapping, readFunction, readKinesisStream, readPermission, readPipe, readPolicies, readQueue, readRule, readStreamConsumer,
  readSubscription,
} from '../../../src/checks/model/cfn-properties';
import { AWS_DEFAULTS } from '../../../src/private/defaults';
import { handlerProps, newStack } from '../../helpers';

/** The model resource behind `construct` (its default child, or itself). */
function modelOf(construct: IConstruct): ModelResource {
  const cfn = (construct.node.defaultChild ?? construct) as CfnResource;
  const resource = new CfnModel(Stack.of(construct)).resourceOf(cfn);
  if (!resource) throw new Error(`${construct.node.path} is not in the model`);
  return resource;
}

/** The only resource of `type` in the model of `stack`. */
function onlyOfType(stack: Stack, type: string): ModelResource {
  const found = new CfnModel(stack).ofType(type);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The logical ID of the resource behind `construct`. */
function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnResource);
}

describe('cfn-properties', () => {
  describe('readQueue', () => {
    test('a queue that sets nothing has SQS\'s defaults and no redrive policy', () => {
      // GIVEN
      const stack = newStack();
      const queue = new sqs.Queue(stack, 'Queue');
      // WHEN / THEN
      expect(readQueue(modelOf(queue))).toEqual({
        redrive: 'none',
        deadLetterTargetArn: undefined,
        maxReceiveCount: undefined,
        visibilityTimeoutSeconds: AWS_DEFAULTS.queueVisibilityTimeoutSeconds,
        retentionPeriodSeconds: AWS_DEFAULTS.queueRetentionSeconds,
        fifo: false,
      });
    });

    test('a queue with a redrive policy, a visibility timeout and a retention period', () => {
      // GIVEN
      const stack = newStack();
      const dlq = new sqs.Queue(stack, 'DeadLetters', { fifo: true });
      const queue = new sqs.Queue(stack, 'Queue', {
        fifo: true,
        visibilityTimeout: Duration.minutes(3),
        retentionPeriod: Duration.days(2),
        deadLetterQueue: { queue: dlq, maxReceiveCount: 7 },
      });
      // WHEN / THEN
      expect(readQueue(modelOf(queue))).toEqual({
        redrive: 'set',
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(dlq), 'Arn'] },
        maxReceiveCount: 7,
        visibilityTimeoutSeconds: 180,
        retentionPeriodSeconds: 172_800,
        fifo: true,
      });
    });

    test('numbers written as strings are read as numbers; a name ending in .fifo is a FIFO queue', () => {
      // GIVEN
      const stack = newStack();
      const queue = new sqs.CfnQueue(stack, 'Queue', { queueName: 'orders.fifo' });
      queue.addPropertyOverride('VisibilityTimeout', '90');
      queue.addPropertyOverride('RedrivePolicy', { deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:111122223333:dlq', maxReceiveCount: '4' });
      // WHEN
      const read = readQueue(modelOf(queue));
      // THEN
      expect(read).toMatchObject({ visibilityTimeoutSeconds: 90, maxReceiveCount: 4, fifo: true });
      expect(read.deadLetterTargetArn).toEqual('arn:aws:sqs:eu-west-1:111122223333:dlq');
    });

    test.each([
      ['a parameter', { Ref: 'Seconds' }],
      ['an import', { 'Fn::ImportValue': 'seconds' }],
      ['a condition', { 'Fn::If': ['Long', 900, 30] }],
    ])('a number the template does not fix (%s) is unknown, never SQS\'s default', (_, value) => {
      // GIVEN
      const stack = newStack();
      const queue = new sqs.CfnQueue(stack, 'Queue');
      queue.addPropertyOverride('VisibilityTimeout', value);
      queue.addPropertyOverride('MessageRetentionPeriod', value);
      // WHEN / THEN
      expect(readQueue(modelOf(queue))).toMatchObject({ visibilityTimeoutSeconds: undefined, retentionPeriodSeconds: undefined });
    });

    test('a redrive policy left to a condition is unknown, neither set nor absent; its maxReceiveCount from a parameter too', () => {
      // GIVEN
      const stack = newStack();
      const conditional = new sqs.CfnQueue(stack, 'Conditional');
      conditional.addPropertyOverride('RedrivePolicy', { 'Fn::If': ['WithDlq', { deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:111122223333:dlq', maxReceiveCount: 5 }, { Ref: 'AWS::NoValue' }] });
      const parameterized = new sqs.CfnQueue(stack, 'Parameterized');
      parameterized.addPropertyOverride('RedrivePolicy', { deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:111122223333:dlq', maxReceiveCount: { Ref: 'Receives' } });
      // WHEN / THEN
      expect(readQueue(modelOf(conditional))).toMatchObject({ redrive: 'unknown', deadLetterTargetArn: undefined, maxReceiveCount: undefined });
      expect(readQueue(modelOf(parameterized))).toMatchObject({ redrive: 'set', maxReceiveCount: undefined });
    });

    test('a redrive policy given as a JSON string, or built with Fn::Sub, is read as the policy', () => {
      // GIVEN one policy as a string, and one as the Fn::Join that a rebuilt template makes of `!Sub '{"deadLetterTargetArn": "${Dlq.Arn}", ...}'`
      const stack = newStack();
      const text = new sqs.CfnQueue(stack, 'Text');
      text.addPropertyOverride('RedrivePolicy', '{"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:111122223333:dlq", "maxReceiveCount": 5}');
      const sub = new sqs.CfnQueue(stack, 'Sub');
      sub.addPropertyOverride('RedrivePolicy', { 'Fn::Join': ['', ['{"deadLetterTargetArn": "', { 'Fn::GetAtt': ['Dlq', 'Arn'] }, '", "maxReceiveCount": 7}']] });
      const broken = new sqs.CfnQueue(stack, 'Broken');
      broken.addPropertyOverride('RedrivePolicy', '{"deadLetterTargetArn": ');
      // WHEN / THEN
      expect(readQueue(modelOf(text))).toMatchObject({ redrive: 'set', deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:111122223333:dlq', maxReceiveCount: 5 });
      expect(readQueue(modelOf(sub))).toMatchObject({ redrive: 'set', deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 7 });
      expect(readQueue(modelOf(broken))).toMatchObject({ redrive: 'unknown' });
    });

    test('fails on a resource of another type', () => {
      // GIVEN
      const stack = newStack();
      const topic = new sns.Topic(stack, 'Topic');
      // WHEN / THEN
      expect(() => readQueue(modelOf(topic))).toThrow(/expected a resource of type AWS::SQS::Queue, got AWS::SNS::Topic \(Test\/Topic\)/);
    });
  });

  describe('readFunction', () => {
    test('the timeout, or Lambda\'s default; the dead-letter queue; the role; the environment\'s values', () => {
      // GIVEN
      const stack = newStack();
      const dlq = new sqs.Queue(stack, 'DeadLetters');
      const fn = new lambda.Function(stack, 'Fn', { ...handlerProps, timeout: undefined, deadLetterQueue: dlq, environment: { QUEUE: dlq.queueUrl } });
      // WHEN
      const read = readFunction(modelOf(fn));
      // THEN
      expect(read).toEqual({
        timeoutSeconds: AWS_DEFAULTS.functionTimeoutSeconds,
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(dlq), 'Arn'] },
        role: { 'Fn::GetAtt': [logicalIdOf(fn.role!), 'Arn'] },
        environment: [{ Ref: logicalIdOf(dlq) }],
      });
      expect(readFunction(modelOf(new lambda.Function(stack, 'Other', handlerProps))).timeoutSeconds).toEqual(30);
    });
  });

  describe('readEventSourceMapping', () => {
    test('source, function, batching and response types of an SQS event source', () => {
      // GIVEN
      const stack = newStack();
      const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(5) });
      const fn = new lambda.Function(stack, 'Fn', handlerProps);
      fn.addEventSource(new sources.SqsEventSource(queue, { batchSize: 20, maxBatchingWindow: Duration.seconds(4), reportBatchItemFailures: true }));
      // WHEN
      const read = readEventSourceMapping(onlyOfType(stack, CFN_TYPE.EVENT_SOURCE_MAPPING));
      // THEN
      expect(read).toEqual({
        eventSourceArn: { 'Fn::GetAtt': [logicalIdOf(queue), 'Arn'] },
        functionName: { Ref: logicalIdOf(fn) },
        batchSize: 20,
        maximumBatchingWindowSeconds: 4,
        functionResponseTypes: ['ReportBatchItemFailures'],
        maximumRetryAttempts: AWS_DEFAULTS.streamRetryAttempts,
        maximumRecordAgeSeconds: AWS_DEFAULTS.streamMaxRecordAgeSeconds,
        bisectBatchOnFunctionError: false,
        onFailureDestination: undefined,
      });
    });

    test('a stream event source: retries, record age, bisecting and the on-failure destination; without them, AWS\'s -1', () => {
      // GIVEN
      const stack = newStack();
      const failures = new sqs.Queue(stack, 'Failures');
      new lambda.Function(stack, 'Fn', handlerProps).addEventSource(new sources.KinesisEventSource(new kinesis.Stream(stack, 'Stream'), {
        startingPosition: lambda.StartingPosition.LATEST,
        retryAttempts: 4,
        maxRecordAge: Duration.minutes(10),
        bisectBatchOnError: true,
        onFailure: new sources.SqsDlq(failures),
      }));
      const plain = newStack();
      new lambda.Function(plain, 'Fn', handlerProps).addEventSource(new sources.KinesisEventSource(new kinesis.Stream(plain, 'Stream'), {
        startingPosition: lambda.StartingPosition.LATEST,
      }));
      // WHEN / THEN
      expect(readEventSourceMapping(onlyOfType(stack, CFN_TYPE.EVENT_SOURCE_MAPPING))).toMatchObject({
        maximumRetryAttempts: 4,
        maximumRecordAgeSeconds: 600,
        bisectBatchOnFunctionError: true,
        onFailureDestination: { 'Fn::GetAtt': [logicalIdOf(failures), 'Arn'] },
      });
      expect(AWS_DEFAULTS.streamRetryAttempts).toBe(-1);
      expect(AWS_DEFAULTS.streamMaxRecordAgeSeconds).toBe(-1);
      expect(readEventSourceMapping(onlyOfType(plain, CFN_TYPE.EVENT_SOURCE_MAPPING))).toMatchObject({
        maximumRetryAttempts: -1, maximumRecordAgeSeconds: -1, bisectBatchOnFunctionError: false, onFailureDestination: undefined,
      });
    });

    test('a mapping that sets nothing: no batch size (the default depends on the source), no window, no response types', () => {
      // GIVEN
      const stack = newStack();
      new lambda.Function(stack, 'Fn', handlerProps).addEventSource(new sources.SqsEventSource(new sqs.Queue(stack, 'Queue')));
      // WHEN / THEN
      expect(readEventSourceMapping(onlyOfType(stack, CFN_TYPE.EVENT_SOURCE_MAPPING)))
        .toMatchObject({ batchSize: undefined, maximumBatchingWindowSeconds: 0, functionResponseTypes: [] });
    });
  });

  describe('readPipe', () => {
    test('source, target, enrichment, invocation type and stream parameters', () => {
      // GIVEN
      const stack = newStack();
      const stream = new kinesis.Stream(stack, 'Stream');
      const fn = new lambda.Function(stack, 'Fn', handlerProps);
      const deadLetters = new sqs.Queue(stack, 'DeadLetters');
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com') });
      new pipes.CfnPipe(stack, 'Pipe', {
        roleArn: role.roleArn,
        source: stream.streamArn,
        target: fn.functionArn,
        enrichment: fn.functionArn,
        targetParameters: { lambdaFunctionParameters: { invocationType: 'FIRE_AND_FORGET' } },
        sourceParameters: {
          kinesisStreamParameters: {
            startingPosition: 'LATEST',
            batchSize: 50,
            maximumRetryAttempts: 2,
            maximumRecordAgeInSeconds: 300,
            onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
            deadLetterConfig: { arn: deadLetters.queueArn },
          },
        },
      });
      // WHEN / THEN
      expect(readPipe(onlyOfType(stack, CFN_TYPE.PIPE))).toEqual({
        source: { 'Fn::GetAtt': [logicalIdOf(stream), 'Arn'] },
        target: { 'Fn::GetAtt': [logicalIdOf(fn), 'Arn'] },
        enrichment: { 'Fn::GetAtt': [logicalIdOf(fn), 'Arn'] },
        lambdaInvocationType: 'FIRE_AND_FORGET',
        stateMachineInvocationType: undefined,
        stream: {
          batchSize: 50,
          deadLetterArn: { 'Fn::GetAtt': [logicalIdOf(deadLetters), 'Arn'] },
          maximumRetryAttempts: 2,
          maximumRecordAgeSeconds: 300,
          bisect: true,
        },
      });
    });

    test('a pipe that sets nothing: EventBridge\'s defaults for a stream source (batches of 1, -1 for retries and age)', () => {
      // GIVEN
      const stack = newStack();
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com') });
      new pipes.CfnPipe(stack, 'Pipe', { roleArn: role.roleArn, source: 'arn:aws:kinesis:eu-west-1:111122223333:stream/s', target: 'arn:aws:sqs:eu-west-1:111122223333:q' });
      // WHEN / THEN
      expect(readPipe(onlyOfType(stack, CFN_TYPE.PIPE)).stream).toEqual({
        batchSize: 1,
        deadLetterArn: undefined,
        maximumRetryAttempts: -1,
        maximumRecordAgeSeconds: -1,
        bisect: false,
      });
    });
  });

  test('readKinesisStream: the retention in seconds, or Kinesis\'s 24 hours; readStreamConsumer: the stream', () => {
    // GIVEN
    const stack = newStack();
    const long = new kinesis.Stream(stack, 'Long', { retentionPeriod: Duration.days(7) });
    new kinesis.CfnStream(stack, 'Plain', { shardCount: 1 });
    new kinesis.StreamConsumer(stack, 'Consumer', { stream: long, streamConsumerName: 'efo' });
    const model = new CfnModel(stack);
    const [first, second] = model.ofType(CFN_TYPE.KINESIS_STREAM);
    // WHEN / THEN
    expect([readKinesisStream(first).retentionSeconds, readKinesisStream(second).retentionSeconds]).toEqual([604_800, 86_400]);
    expect(readStreamConsumer(model.ofType(CFN_TYPE.KINESIS_STREAM_CONSUMER)[0]).streamArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(long), 'Arn'] });
  });

  describe('readEventInvokeConfig', () => {
    test('the retry attempts and both destinations', () => {
      // GIVEN
      const stack = newStack();
      const failures = new sqs.Queue(stack, 'Failures');
      const successes = new sns.Topic(stack, 'Successes');
      const fn = new lambda.Function(stack, 'Fn', {
        ...handlerProps,
        retryAttempts: 1,
        onFailure: new destinations.SqsDestination(failures),
        onSuccess: new destinations.SnsDestination(successes),
      });
      // WHEN
      const read = readEventInvokeConfig(onlyOfType(stack, CFN_TYPE.EVENT_INVOKE_CONFIG));
      // THEN
      expect(read).toEqual({
        functionName: { Ref: logicalIdOf(fn) },
        maximumRetryAttempts: 1,
        onFailureDestination: { 'Fn::GetAtt': [logicalIdOf(failures), 'Arn'] },
        onSuccessDestination: { Ref: logicalIdOf(successes) },
      });
    });

    test('without retry attempts, Lambda\'s default; without destinations, none', () => {
      // GIVEN
      const stack = newStack();
      new lambda.Function(stack, 'Fn', { ...handlerProps, maxEventAge: Duration.hours(1) });
      // WHEN / THEN
      expect(readEventInvokeConfig(onlyOfType(stack, CFN_TYPE.EVENT_INVOKE_CONFIG))).toMatchObject({
        maximumRetryAttempts: AWS_DEFAULTS.asyncRetryAttempts, onFailureDestination: undefined, onSuccessDestination: undefined,
      });
    });
  });

  describe('readRule', () => {
    test('each target with its dead-letter queue and retry policy, or EventBridge\'s default retries', () => {
      // GIVEN
      const stack = newStack();
      const bus = new events.EventBus(stack, 'Bus');
      const dlq = new sqs.Queue(stack, 'Undelivered');
      const queue = new sqs.Queue(stack, 'Queue');
      const topic = new sns.Topic(stack, 'Topic');
      const rule = new events.Rule(stack, 'Rule', {
        eventBus: bus,
        eventPattern: { source: ['orders'] },
        targets: [
          new targets.SqsQueue(queue, { deadLetterQueue: dlq, retryAttempts: 3 }),
          new targets.SnsTopic(topic),
        ],
      });
      // WHEN
      const read = readRule(modelOf(rule));
      // THEN
      expect(read.eventBusName).toEqual({ Ref: logicalIdOf(bus) });
      expect(read.targets).toEqual([
        { arn: { 'Fn::GetAtt': [logicalIdOf(queue), 'Arn'] }, deadLetterArn: { 'Fn::GetAtt': [logicalIdOf(dlq), 'Arn'] }, hasRetryPolicy: true, maximumRetryAttempts: 3 },
        { arn: { Ref: logicalIdOf(topic) }, deadLetterArn: undefined, hasRetryPolicy: false, maximumRetryAttempts: AWS_DEFAULTS.targetRetryAttempts },
      ]);
    });

    test('a rule without a list of targets has none: no targets, or an intrinsic in their place', () => {
      // GIVEN
      const stack = newStack();
      const bare = new events.Rule(stack, 'Bare', { eventPattern: { source: ['orders'] } });
      const conditional = new events.CfnRule(stack, 'Conditional', { eventPattern: { source: ['orders'] } });
      conditional.addPropertyOverride('Targets', Fn.conditionIf('HasTargets', [{ Id: 'a', Arn: 'arn' }], []));
      // WHEN / THEN
      expect(readRule(modelOf(bare))).toEqual({ eventBusName: undefined, targets: undefined, eventPattern: { source: ['orders'] }, scheduled: false });
      expect(readRule(modelOf(conditional)).targets).toBeUndefined();
    });
  });

  test('readSubscription: the topic, the endpoint and the dead-letter queue', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    const queue = new sqs.Queue(stack, 'Queue');
    const dlq = new sqs.Queue(stack, 'Undelivered');
    topic.addSubscription(new subscriptions.SqsSubscription(queue, { deadLetterQueue: dlq }));
    // WHEN / THEN
    expect(readSubscription(onlyOfType(stack, CFN_TYPE.SUBSCRIPTION))).toEqual({
      topicArn: { Ref: logicalIdOf(topic) },
      endpoint: { 'Fn::GetAtt': [logicalIdOf(queue), 'Arn'] },
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(dlq), 'Arn'] },
      redrive: 'set',
    });
  });

  describe('readBucketNotifications', () => {
    test('a bucket\'s own notification configuration: functions, then queues, then topics', () => {
      // GIVEN
      const stack = newStack();
      const bucket = new s3.CfnBucket(stack, 'Bucket', {
        notificationConfiguration: {
          topicConfigurations: [{ event: 's3:ObjectCreated:*', topic: 'topic-arn' }],
          queueConfigurations: [{ event: 's3:ObjectCreated:*', queue: 'queue-arn' }],
          lambdaConfigurations: [{ event: 's3:ObjectCreated:*', function: 'function-arn' }],
        },
      });
      // WHEN / THEN
      expect(readBucketNotifications(modelOf(bucket))).toEqual({ bucketName: undefined, targets: ['function-arn', 'queue-arn', 'topic-arn'] });
    });

    test('aws-cdk-lib\'s notifications custom resource: the bucket it configures and what it notifies', () => {
      // GIVEN
      const stack = newStack();
      const bucket = new s3.Bucket(stack, 'Bucket');
      const queue = new sqs.Queue(stack, 'Queue');
      bucket.addObjectCreatedNotification(new s3n.SqsDestination(queue));
      // WHEN
      const read = readBucketNotifications(onlyOfType(stack, CFN_TYPE.BUCKET_NOTIFICATIONS));
      // THEN
      expect(read).toEqual({ bucketName: { Ref: logicalIdOf(bucket) }, targets: [{ 'Fn::GetAtt': [logicalIdOf(queue), 'Arn'] }] });
    });
  });

  test('readPolicies: a policy\'s roles and statements; a role\'s inline policies', () => {
    // GIVEN
    const stack = newStack();
    const role = new iam.Role(stack, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: { Inline: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['topic-arn'] })] }) },
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['sqs:SendMessage', 'sqs:Get*'], resources: ['queue-arn'] }));
    // WHEN / THEN
    expect(readPolicies(onlyOfType(stack, CFN_TYPE.POLICY))).toEqual([{
      roles: [{ Ref: logicalIdOf(role) }],
      statements: [{ effect: 'Deny', actions: ['sqs:SendMessage', 'sqs:Get*'], resources: 'queue-arn' }],
    }]);
    expect(readPolicies(modelOf(role))).toEqual([{
      roles: undefined,
      statements: [{ effect: 'Allow', actions: ['sns:Publish'], resources: 'topic-arn' }],
    }]);
  });

  test('readPermission: the function and the principal', () => {
    // GIVEN
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Fn', handlerProps);
    fn.addPermission('Sns', { principal: new iam.ServicePrincipal('sns.amazonaws.com') });
    // WHEN / THEN
    expect(readPermission(onlyOfType(stack, CFN_TYPE.PERMISSION))).toEqual({
      functionName: { 'Fn::GetAtt': [logicalIdOf(fn), 'Arn'] },
      principal: 'sns.amazonaws.com',
    });
  });

  test('readArchive: the bus archived', () => {
    // GIVEN
    const stack = newStack();
    const bus = new events.EventBus(stack, 'Bus');
    bus.archive('Archive', { eventPattern: { source: ['orders'] } });
    // WHEN / THEN
    expect(readArchive(onlyOfType(stack, CFN_TYPE.ARCHIVE))).toEqual({ sourceArn: { 'Fn::GetAtt': [logicalIdOf(bus), 'Arn'] } });
  });

  describe('AppConfig', () => {
    test('readAppConfigEnvironment: the monitors, none when the template has no list', () => {
      // GIVEN
      const stack = newStack();
      const application = new appconfig.CfnApplication(stack, 'App', { name: 'app' });
      const monitored = new appconfig.CfnEnvironment(stack, 'Monitored', {
        applicationId: application.ref, name: 'prod', monitors: [{ alarmArn: 'alarm-arn' }],
      });
      const conditional = new appconfig.CfnEnvironment(stack, 'Conditional', { applicationId: application.ref, name: 'dev' });
      conditional.addPropertyOverride('Monitors', Fn.conditionIf('Monitored', [{ AlarmArn: 'alarm-arn' }], []));
      // WHEN / THEN
      expect(readAppConfigEnvironment(modelOf(monitored))).toEqual({ monitors: [{ AlarmArn: 'alarm-arn' }] });
      expect(readAppConfigEnvironment(modelOf(conditional))).toEqual({ monitors: [] });
    });

    test('readDeploymentStrategy and readDeployment', () => {
      // GIVEN
      const stack = newStack();
      const strategy = new appconfig.CfnDeploymentStrategy(stack, 'Strategy', {
        name: 'half', deploymentDurationInMinutes: 10, growthFactor: 50, replicateTo: 'NONE',
      });
      const deployment = new appconfig.CfnDeployment(stack, 'Deployment', {
        applicationId: 'app',
        environmentId: 'env',
        configurationProfileId: 'profile',
        configurationVersion: '1',
        deploymentStrategyId: 'AppConfig.AllAtOnce',
      });
      // WHEN / THEN
      expect(readDeploymentStrategy(modelOf(strategy))).toEqual({ growthFactor: 50 });
      expect(readDeployment(modelOf(deployment))).toEqual({ deploymentStrategyId: 'AppConfig.AllAtOnce' });
    });
  });
});
