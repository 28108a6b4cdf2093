import * as fs from 'fs';
import * as path from 'path';
import * as cdk from 'aws-cdk-lib';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ServerlessChecks } from 'cdk-nag';
import * as ts from 'typescript';
import * as resilience from '../src';
import { AsyncFunction, DeadLetterQueue, QueueDecoupledFunction, QueueDecoupledFunctionProps, ResilienceChecks } from '../src';
import { allFindings } from './checks/nag';
import { acknowledgementsOn, actionsOn, handlerProps, logicalIdOf, maskAssetHashes, newApp, newStack, propertiesOf } from './helpers';

const IMPORTED_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:orders';

/** The ARN that the dead-letter queue's redrive-allow policy gives a source queue named `queueName`. */
function arnFromName(queueName: string): unknown {
  return {
    'Fn::Join': ['', [
      'arn:', { Ref: 'AWS::Partition' }, ':sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${queueName}`,
    ]],
  };
}

/** A QueueDecoupledFunction with a new function (30 s timeout) and the given props. */
function orders(stack: Stack, props: Partial<QueueDecoupledFunctionProps> = {}, id = 'Orders'): QueueDecoupledFunction {
  return new QueueDecoupledFunction(stack, id, { functionProps: handlerProps, ...props });
}

describe('QueueDecoupledFunction', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const qdf = orders(stack);

    // THEN
    expect(qdf.visibilityTimeout.toSeconds()).toBe(180);
    expect(qdf.maxReceiveCount).toBe(5);
    expect(qdf.function).toBeInstanceOf(lambda.Function);
    expect(qdf.deadLetterQueue).toBeInstanceOf(DeadLetterQueue);

    const template = Template.fromStack(stack);
    const queueId = logicalIdOf(qdf.queue);
    const dlqId = logicalIdOf(qdf.deadLetterQueue.queue);
    const functionId = logicalIdOf(qdf.function as lambda.Function);

    // source queue: 6 × 30 s visibility, 4 days retention, SSE-SQS, redrive after 5 receives
    const queue = propertiesOf(stack, qdf.queue);
    expect(queue).toEqual({
      QueueName: expect.stringMatching(/^Test-Orders-[0-9a-f]{8}$/),
      VisibilityTimeout: 180,
      MessageRetentionPeriod: 345600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [Match.objectLike({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        })],
      },
    });

    // dead-letter queue: 14 days, lets only the source use it, named by an ARN built from its name
    expect(propertiesOf(stack, qdf.deadLetterQueue.queue)).toEqual({
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
      RedriveAllowPolicy: {
        redrivePermission: 'byQueue',
        sourceQueueArns: [arnFromName(queue.QueueName)],
      },
    });

    // event source mapping: partial batch responses, after the function may read the queue
    const policyId = logicalIdOf(qdf.function.role!.node.tryFindChild('DefaultPolicy') as iam.Policy);
    template.hasResource('AWS::Lambda::EventSourceMapping', {
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        FunctionName: { Ref: functionId },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: Match.absent(),
        MaximumBatchingWindowInSeconds: Match.absent(),
        ScalingConfig: Match.absent(),
      },
      DependsOn: Match.arrayWith([policyId]),
    });

    // the function may consume the queue
    expect(actionsOn(template, { 'Fn::GetAtt': [queueId, 'Arn'] })).toEqual(expect.arrayContaining([
      'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes',
    ]));

    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('resource counts with defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    orders(stack);

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 2);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(Object.keys(template.toJSON().Resources)).toHaveLength(11);
  });

  test('no dependency cycle between the source queue and its dead-letter queue', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const qdf = orders(stack);

    // THEN
    expect(() => Template.fromStack(stack)).not.toThrow();
    const dlq = Template.fromStack(stack).toJSON().Resources[logicalIdOf(qdf.deadLetterQueue.queue)];
    expect(JSON.stringify(dlq)).not.toContain(logicalIdOf(qdf.queue));
    expect(dlq.DependsOn).toBeUndefined();
  });

  test('alarms: dead-letter queue depth, age of the oldest message at half the retention, function errors', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const qdf = orders(stack);

    // THEN
    expect(qdf.alarms).toEqual([qdf.deadLetterQueue.depthAlarm, qdf.oldestMessageAgeAlarm, qdf.errorsAlarm]);
    const [depth, age, errors] = qdf.alarms;
    expect(depth).toBe(qdf.deadLetterQueue.depthAlarm);
    const dlqId = logicalIdOf(qdf.deadLetterQueue.queue);
    const queueId = logicalIdOf(qdf.queue);
    const functionId = logicalIdOf(qdf.function as lambda.Function);

    expect(propertiesOf(stack, depth)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
    expect(propertiesOf(stack, age)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 172800,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(propertiesOf(stack, errors)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    for (const alarm of qdf.alarms) {
      expect(propertiesOf(stack, alarm).AlarmActions).toBeUndefined();
    }
  });

  test('fifo', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const qdf = orders(stack, { fifo: true });

    // THEN
    expect(qdf.queue.fifo).toBe(true);
    expect(qdf.deadLetterQueue.fifo).toBe(true);
    const queue = propertiesOf(stack, qdf.queue);
    expect(queue.FifoQueue).toBe(true);
    expect(queue.QueueName).toMatch(/^Test-Orders-[0-9a-f]{8}\.fifo$/);
    const dlq = propertiesOf(stack, qdf.deadLetterQueue.queue);
    expect(dlq.FifoQueue).toBe(true);
    expect(dlq.RedriveAllowPolicy).toEqual({
      redrivePermission: 'byQueue',
      sourceQueueArns: [arnFromName(queue.QueueName)],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
  });

  test('metric helpers are what the alarms watch, with the options given', () => {
    // GIVEN
    const stack = newStack();
    const qdf = orders(stack);
    // WHEN / THEN
    const pairs = [[qdf.metricErrors(), qdf.errorsAlarm], [qdf.metricApproximateAgeOfOldestMessage(), qdf.oldestMessageAgeAlarm]] as const;
    for (const [metric, alarm] of pairs) {
      expect(stack.resolve(metric.toMetricConfig())).toEqual(stack.resolve(alarm.metric.toMetricConfig()));
    }
    expect(qdf.metricErrors({ period: Duration.minutes(1) }).period.toMinutes()).toBe(1);
  });

  test('contentBasedDeduplication on a FIFO queue', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    const qdf = orders(stack, { fifo: true, contentBasedDeduplication: true });
    // THEN
    expect(propertiesOf(stack, qdf.queue)).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: true });
    expect(propertiesOf(stack, qdf.deadLetterQueue.queue).ContentBasedDeduplication).toBeUndefined();
  });

  test('maxReceiveCount', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const qdf = orders(stack, { maxReceiveCount: 10 });
    orders(stack, { maxReceiveCount: 1000 }, 'Max');

    // THEN
    expect(qdf.maxReceiveCount).toBe(10);
    expect(propertiesOf(stack, qdf.queue).RedrivePolicy.maxReceiveCount).toBe(10);
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 1000 }),
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('visibilityTimeout', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const qdf = orders(stack, { visibilityTimeout: Duration.minutes(5) });
    orders(stack, { visibilityTimeout: Duration.hours(12) }, 'Max');

    // THEN
    expect(qdf.visibilityTimeout.toSeconds()).toBe(300);
    expect(propertiesOf(stack, qdf.queue).VisibilityTimeout).toBe(300);
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 43200 });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('the default visibility timeout adds maxBatchingWindow', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const qdf = orders(stack, { maxBatchingWindow: Duration.seconds(20) });

    // THEN
    expect(qdf.visibilityTimeout.toSeconds()).toBe(200);
    expect(propertiesOf(stack, qdf.queue).VisibilityTimeout).toBe(200);
  });

  test('the default visibility timeout uses the Lambda default timeout (3 s) when functionProps has none', () => {
    // GIVEN
    const stack = newStack();
    const { timeout, ...withoutTimeout } = handlerProps;

    // WHEN
    const qdf = new QueueDecoupledFunction(stack, 'Orders', { functionProps: withoutTimeout });

    // THEN
    expect(timeout?.toSeconds()).toBe(30);
    expect(propertiesOf(stack, qdf.queue).VisibilityTimeout).toBe(18);
  });

  test('batchSize with maxBatchingWindow', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    orders(stack, { batchSize: 100, maxBatchingWindow: Duration.seconds(20) });
    orders(stack, { batchSize: 10000, maxBatchingWindow: Duration.minutes(5) }, 'Max');
    orders(stack, { batchSize: 10 }, 'NoWindow');

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 20,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10000,
      MaximumBatchingWindowInSeconds: 300,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
  });

  test('maxConcurrency', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    orders(stack, { maxConcurrency: 50 });
    orders(stack, { maxConcurrency: 2 }, 'Min');
    orders(stack, { maxConcurrency: 1000 }, 'Max');

    // THEN
    const template = Template.fromStack(stack);
    for (const n of [50, 2, 1000]) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ScalingConfig: { MaximumConcurrency: n },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });

  test('retentionPeriod', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const qdf = orders(stack, { retentionPeriod: Duration.days(1) });

    // THEN
    expect(propertiesOf(stack, qdf.queue).MessageRetentionPeriod).toBe(86400);
    expect(propertiesOf(stack, qdf.deadLetterQueue.queue).MessageRetentionPeriod).toBe(1209600);
    expect(propertiesOf(stack, qdf.oldestMessageAgeAlarm).Threshold).toBe(43200);
  });

  test('a shared deadLetterQueue serves both sources', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');

    // WHEN
    const first = orders(stack, { deadLetterQueue: dlq });
    const second = orders(stack, { deadLetterQueue: dlq }, 'Payments');

    // THEN
    expect(first.deadLetterQueue).toBe(dlq);
    expect(second.deadLetterQueue).toBe(dlq);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 3);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    const dlqId = logicalIdOf(dlq.queue);
    const names = [first, second].map(q => propertiesOf(stack, q.queue).QueueName);
    expect(names[0]).not.toEqual(names[1]);
    expect(propertiesOf(stack, dlq.queue).RedriveAllowPolicy).toEqual({
      redrivePermission: 'byQueue',
      sourceQueueArns: names.map(arnFromName),
    });
    for (const q of [first, second]) {
      expect(propertiesOf(stack, q.queue).RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: 5,
      });
      expect(q.alarms[0]).toBe(dlq.depthAlarm);
    }
  });

  test('encryptionKey encrypts both queues and lets the function decrypt', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');

    // WHEN
    const qdf = orders(stack, { encryptionKey: key });

    // THEN
    const template = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] };
    for (const queue of [qdf.queue, qdf.deadLetterQueue.queue]) {
      const props = propertiesOf(stack, queue);
      expect(props.KmsMasterKeyId).toEqual(keyArn);
      expect(props.SqsManagedSseEnabled).toBeUndefined();
    }
    expect(qdf.deadLetterQueue.encryptionKey).toBe(key);
    const statements = propertiesOf(stack, qdf.function.role!.node.tryFindChild('DefaultPolicy') as iam.Policy)
      .PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: keyArn,
    }));
    expect(actionsOn(template, keyArn)).toContain('kms:Decrypt');
  });

  test('alarmAction', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');

    // WHEN
    const qdf = orders(stack, { alarmAction: new cw_actions.SnsAction(topic) });

    // THEN
    const topicRef = { Ref: logicalIdOf(topic) };
    for (const alarm of qdf.alarms) {
      const props = propertiesOf(stack, alarm);
      expect(props.AlarmActions).toEqual([topicRef]);
      expect(props.OKActions).toEqual([topicRef]);
    }
  });

  test('a shared deadLetterQueue keeps its own alarm action', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    const dlq = new DeadLetterQueue(stack, 'Dlq');

    // WHEN
    const qdf = orders(stack, { deadLetterQueue: dlq, alarmAction: new cw_actions.SnsAction(topic) });

    // THEN
    expect(propertiesOf(stack, dlq.depthAlarm).AlarmActions).toBeUndefined();
    expect(propertiesOf(stack, qdf.oldestMessageAgeAlarm).AlarmActions).toEqual([{ Ref: logicalIdOf(topic) }]);
    expect(propertiesOf(stack, qdf.errorsAlarm).AlarmActions).toEqual([{ Ref: logicalIdOf(topic) }]);
  });

  test('an existing function', () => {
    // GIVEN
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Handler', { ...handlerProps, timeout: Duration.seconds(10) });

    // WHEN
    const qdf = new QueueDecoupledFunction(stack, 'Orders', { function: fn });

    // THEN
    expect(qdf.function).toBe(fn);
    expect(qdf.visibilityTimeout.toSeconds()).toBe(60);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(propertiesOf(stack, qdf.queue).VisibilityTimeout).toBe(60);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(fn) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(actionsOn(template, { 'Fn::GetAtt': [logicalIdOf(qdf.queue), 'Arn'] })).toContain('sqs:ReceiveMessage');
  });

  test('an imported function with visibilityTimeout, and a role whose policies the user keeps', () => {
    // GIVEN
    const stack = newStack();
    const role = iam.Role.fromRoleArn(stack, 'ImportedRole', 'arn:aws:iam::123456789012:role/orders', { mutable: false });
    const fn = lambda.Function.fromFunctionAttributes(stack, 'Imported', { functionArn: IMPORTED_FUNCTION_ARN, role });

    // WHEN
    const qdf = new QueueDecoupledFunction(stack, 'Orders', { function: fn, visibilityTimeout: Duration.minutes(5) });

    // THEN
    expect(qdf.visibilityTimeout.toSeconds()).toBe(300);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    expect(propertiesOf(stack, qdf.queue).VisibilityTimeout).toBe(300);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: 'orders',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(propertiesOf(stack, qdf.errorsAlarm).Dimensions).toEqual([{ Name: 'FunctionName', Value: 'orders' }]);
    // the role is the user's to grant: no policy is added to it
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('fails if an imported function has no role, naming what it needs and how to import it', () => {
    // GIVEN
    const stack = newStack();
    const fn = lambda.Function.fromFunctionArn(stack, 'Imported', IMPORTED_FUNCTION_ARN);
    // WHEN / THEN
    expect(() => new QueueDecoupledFunction(stack, 'Orders', { function: fn, visibilityTimeout: Duration.minutes(5) })).toThrow(
      'function Test/Imported was imported without its role, so QueueDecoupledFunction cannot grant it sqs:ReceiveMessage, sqs:DeleteMessage, '
      + 'sqs:ChangeMessageVisibility and sqs:GetQueueAttributes on the queue: import it with Function.fromFunctionAttributes({ functionArn, role })');
  });

  test('an imported function with its role is granted to consume the queue', () => {
    // GIVEN
    const stack = newStack();
    const role = iam.Role.fromRoleArn(stack, 'ImportedRole', 'arn:aws:iam::123456789012:role/orders');
    const fn = lambda.Function.fromFunctionAttributes(stack, 'Imported', { functionArn: IMPORTED_FUNCTION_ARN, role });

    // WHEN
    const qdf = new QueueDecoupledFunction(stack, 'Orders', { function: fn, visibilityTimeout: Duration.minutes(5) });

    // THEN
    const template = Template.fromStack(stack);
    expect(actionsOn(template, { 'Fn::GetAtt': [logicalIdOf(qdf.queue), 'Arn'] })).toEqual(expect.arrayContaining([
      'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes',
    ]));
    template.hasResourceProperties('AWS::IAM::Policy', { Roles: ['orders'] });
  });

  test('grantSendMessages', () => {
    // GIVEN
    const stack = newStack();
    const qdf = orders(stack);
    const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN
    const grant = qdf.grantSendMessages(producer);

    // THEN
    expect(grant.success).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(producer) }],
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: Match.arrayWith(['sqs:SendMessage']),
          Resource: { 'Fn::GetAtt': [logicalIdOf(qdf.queue), 'Arn'] },
        }],
      },
    });
  });

  test('grantSendMessages with encryptionKey lets the producer use the key', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const qdf = orders(stack, { encryptionKey: key });
    const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN
    qdf.grantSendMessages(producer);

    // THEN
    const statements = propertiesOf(stack, producer.node.tryFindChild('DefaultPolicy') as iam.Policy).PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({
      Action: expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt']),
      Resource: { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] },
    }));
  });

  describe('validation', () => {
    test.each<[string, Partial<QueueDecoupledFunctionProps>, RegExp]>([
      ['maxReceiveCount is 0', { maxReceiveCount: 0 }, /maxReceiveCount must be an integer between 1 and 1000, got 0/],
      ['maxReceiveCount is 1001', { maxReceiveCount: 1001 }, /maxReceiveCount must be an integer between 1 and 1000, got 1001/],
    ])('fails if %s', (_case, props, message) => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => orders(stack, props)).toThrow(message);
    });

    test('fails if batchSize is 11 without maxBatchingWindow', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => orders(stack, { batchSize: 11 }))
        .toThrow(/batchSize must be an integer between 1 and 10 without maxBatchingWindow \(up to 10000 with a batching window\), got 11/);
      expect(() => orders(stack, { batchSize: 11, maxBatchingWindow: Duration.seconds(0) }, 'ZeroWindow'))
        .toThrow(/batchSize must be an integer between 1 and 10 without maxBatchingWindow.*got 11/);
    });

    test.each<[string, Partial<QueueDecoupledFunctionProps>, RegExp]>([
      ['batchSize is 10001 with maxBatchingWindow', { batchSize: 10001, maxBatchingWindow: Duration.seconds(20) }, /batchSize must be an integer between 1 and 10000, got 10001/],
      ['batchSize is 11 with fifo', { batchSize: 11, fifo: true }, /batchSize must be an integer between 1 and 10 \(FIFO queue\), got 11/],
      ['batchSize is 0', { batchSize: 0 }, /batchSize must be an integer between 1 and 10.*got 0/],
      ['maxBatchingWindow is above 5 minutes', { maxBatchingWindow: Duration.minutes(6) }, /maxBatchingWindow must be between 0 s and 5 min, got 6 min/],
      ['maxBatchingWindow is given with fifo', { fifo: true, maxBatchingWindow: Duration.seconds(10) }, /maxBatchingWindow is not supported with a FIFO queue, got 10 s with fifo: true/],
      ['contentBasedDeduplication is given without fifo', { contentBasedDeduplication: true }, /contentBasedDeduplication is only supported with a FIFO queue \(fifo: true\), got contentBasedDeduplication: true with fifo: false/],
      ['maxConcurrency is 1', { maxConcurrency: 1 }, /maxConcurrency must be an integer between 2 and 1000, got 1/],
      ['maxConcurrency is 1001', { maxConcurrency: 1001 }, /maxConcurrency must be an integer between 2 and 1000, got 1001/],
    ])('fails if %s', (_case, props, message) => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => orders(stack, props)).toThrow(message);
    });

    test('fails if both function and functionProps are given', () => {
      // GIVEN
      const stack = newStack();
      const fn = new lambda.Function(stack, 'Handler', handlerProps);
      // WHEN / THEN
      expect(() => new QueueDecoupledFunction(stack, 'Orders', { function: fn, functionProps: handlerProps }))
        .toThrow(/QueueDecoupledFunction needs exactly one of function or functionProps, got both/);
    });

    test('fails if neither function nor functionProps is given', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new QueueDecoupledFunction(stack, 'Orders', {}))
        .toThrow(/QueueDecoupledFunction needs exactly one of function or functionProps, got neither/);
    });

    test('fails if the visibility timeout is below the function timeout', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => orders(stack, { visibilityTimeout: Duration.seconds(10) }))
        .toThrow(/visibilityTimeout must be at least the function timeout \(30 s\), got 10 s/);
    });

    test('fails if the visibility timeout is below the timeout of an existing function', () => {
      // GIVEN
      const stack = newStack();
      const fn = new lambda.Function(stack, 'Handler', { ...handlerProps, timeout: Duration.minutes(5) });
      // WHEN / THEN
      expect(() => new QueueDecoupledFunction(stack, 'Orders', { function: fn, visibilityTimeout: Duration.minutes(4) }))
        .toThrow(/visibilityTimeout must be at least the function timeout \(5 min\), got 4 min/);
    });

    test('fails if the visibility timeout is above 12 hours', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => orders(stack, { visibilityTimeout: Duration.hours(13) }))
        .toThrow(/visibilityTimeout must be at most 12 h, got 13 h/);
      expect(() => orders(stack, { visibilityTimeout: Duration.seconds(43201) }, 'JustAbove'))
        .toThrow(/visibilityTimeout must be at most 12 h, got 43201 s/);
    });

    test.each<[string, Partial<QueueDecoupledFunctionProps>, RegExp]>([
      ['retentionPeriod is below 60 seconds', { retentionPeriod: Duration.seconds(59) }, /retentionPeriod must be between 60 s and 14 days, got 59 s/],
      ['retentionPeriod is above 14 days', { retentionPeriod: Duration.days(15) }, /retentionPeriod must be between 60 s and 14 days, got 15 days/],
    ])('fails if %s', (_case, props, message) => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => orders(stack, props)).toThrow(message);
    });

    test('fails if the dead-letter queue does not keep messages longer than the source', () => {
      // GIVEN
      const stack = newStack();
      const dlq = new DeadLetterQueue(stack, 'Dlq', { retentionPeriod: Duration.days(4) });
      // WHEN / THEN
      expect(() => orders(stack, { deadLetterQueue: dlq }))
        .toThrow(/deadLetterQueue retention must be longer than retentionPeriod \(4 days\).*got 4 days/);
      expect(dlq.sourceQueueArns).toEqual([]);
    });

    test('fails if the source keeps messages as long as the dead-letter queue it creates (14 days)', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => orders(stack, { retentionPeriod: Duration.days(14) }))
        .toThrow(/deadLetterQueue retention must be longer than retentionPeriod \(14 days\).*got 14 days/);
    });

    test('fails if a FIFO source is given a standard dead-letter queue', () => {
      // GIVEN
      const stack = newStack();
      const dlq = new DeadLetterQueue(stack, 'Dlq');
      // WHEN / THEN
      expect(() => orders(stack, { fifo: true, deadLetterQueue: dlq }))
        .toThrow(/deadLetterQueue must be FIFO like the source queue \(fifo: true\), got a standard dead-letter queue/);
    });

    test('fails if a standard source is given a FIFO dead-letter queue', () => {
      // GIVEN
      const stack = newStack();
      const dlq = new DeadLetterQueue(stack, 'Dlq', { fifo: true });
      // WHEN / THEN
      expect(() => orders(stack, { deadLetterQueue: dlq }))
        .toThrow(/deadLetterQueue must be standard like the source queue \(fifo: false\), got a FIFO dead-letter queue/);
    });

    test('fails if an imported function is given without visibilityTimeout', () => {
      // GIVEN
      const stack = newStack();
      const fn = lambda.Function.fromFunctionArn(stack, 'Imported', IMPORTED_FUNCTION_ARN);
      // WHEN / THEN
      expect(() => new QueueDecoupledFunction(stack, 'Orders', { function: fn }))
        .toThrow(/visibilityTimeout is required when function is imported \(its timeout is unknown\)/);
    });
  });

  describe('warnings', () => {
    test('warns if the visibility timeout is below 6 × the function timeout', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      orders(stack, { visibilityTimeout: Duration.seconds(60) });

      // THEN
      const annotations = Annotations.fromStack(stack);
      annotations.hasWarning('/Test/Orders', Match.stringLikeRegexp('Resilience-SQS2'));
      annotations.hasWarning('/Test/Orders', Match.stringLikeRegexp('visibilityTimeout is 60 s, below 6 × the function timeout \\(3 min\\)'));
    });

    test('does not warn at exactly 6 × the function timeout', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      orders(stack, { visibilityTimeout: Duration.seconds(180) });

      // THEN
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('Resilience-SQS2'));
    });

    test('warns if the reserved concurrency is below 5 or below maxConcurrency', () => {
      // GIVEN
      const stack = newStack();
      // WHEN
      orders(stack, { functionProps: { ...handlerProps, reservedConcurrentExecutions: 2 } }, 'Low');
      orders(stack, { functionProps: { ...handlerProps, reservedConcurrentExecutions: 10 }, maxConcurrency: 20 }, 'BelowMax');
      orders(stack, { functionProps: { ...handlerProps, reservedConcurrentExecutions: 20 }, maxConcurrency: 20 }, 'Fine');
      // THEN
      const annotations = Annotations.fromStack(stack);
      annotations.hasWarning('/Test/Low', Match.stringLikeRegexp('reservedConcurrentExecutions is 2: .*dead-lettered'));
      annotations.hasWarning('/Test/BelowMax', Match.stringLikeRegexp('reservedConcurrentExecutions is 10 with maxConcurrency 20'));
      annotations.hasNoWarning('/Test/Fine', Match.anyValue());
    });

    test('warns if maxReceiveCount is below 5', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      orders(stack, { maxReceiveCount: 3 });

      // THEN
      const annotations = Annotations.fromStack(stack);
      annotations.hasWarning('/Test/Orders', Match.stringLikeRegexp('Resilience-SQS6'));
      annotations.hasWarning('/Test/Orders', Match.stringLikeRegexp('maxReceiveCount is 3'));
    });

    test('does not warn at maxReceiveCount 5', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      orders(stack, { maxReceiveCount: 5 });

      // THEN
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('Resilience-SQS6'));
    });
  });

  describe('one acknowledgement covers the warning and the check that report the same choice', () => {
    const choices: Array<[string, Partial<QueueDecoupledFunctionProps>]> = [
      ['Resilience-SQS2', { visibilityTimeout: Duration.seconds(60) }],
      ['Resilience-SQS6', { maxReceiveCount: 3 }],
    ];
    test.each(choices)('%s: the construct warns and ResilienceChecks reports, until acknowledged', (ruleId, props) => {
      // GIVEN
      const stack = newStack();
      orders(stack, props);
      // WHEN
      const annotations = Annotations.fromStack(stack);
      // THEN
      annotations.hasWarning('/Test/Orders', Match.stringLikeRegexp(ruleId));
      expect(allFindings(stack).filter(f => f.startsWith(`${ruleId} `))).toHaveLength(1);
    });

    test.each(choices.flatMap(([ruleId, props]) => [ruleId, `Resilience::${ruleId}`].map(id => [id, props] as const)))(
      'acknowledged as %s on the construct, neither the warning nor the finding remains', (id, props) => {
        // GIVEN
        const stack = newStack();
        const qdf = orders(stack, props);
        // WHEN
        Validations.of(qdf).acknowledge({ id, reason: 'the handler finishes in a tenth of its timeout' });
        // THEN
        Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('Resilience-SQS'));
        expect(allFindings(stack)).toEqual([]);
      });
  });

  describe('consumerDefers: a consumer that defers while its circuit is open', () => {
    /** The README's ```ts block that sets `consumerDefers`, run as written in `stack` with `values` for its `declare const`s. */
    function runReadmeExample(stack: Stack, values: Record<string, unknown>): void {
      const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
      const blocks = [...readme.matchAll(/```ts fixture=imports\n([\s\S]*?)```/g)].map(m => m[1]).filter(b => b.includes('consumerDefers: true'));
      expect(blocks).toHaveLength(1);
      const declared = [...blocks[0].matchAll(/^declare const (\w+):/gm)].map(m => m[1]);
      expect(declared.sort()).toEqual(Object.keys(values).sort());
      const js = ts.transpileModule(blocks[0], { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } }).outputText;
      const modules: Record<string, unknown> = { 'aws-cdk-lib': cdk, 'aws-cdk-lib/aws-lambda': lambda, 'cdk-resilience': resilience };
      const load = (name: string) => {
        if (!(name in modules)) throw new Error(`the README example imports ${name}, which this test does not provide`);
        return modules[name];
      };
      new Function('require', 'exports', ...declared, js).call(stack, load, {}, ...declared.map(name => values[name]));
    }

    /** A stack with the README's example: a producer that retries, and a consumer behind a breaker. */
    function readmeExample(): { stack: Stack; producer: AsyncFunction } {
      const stack = newStack();
      const producer = new AsyncFunction(stack, 'Producer', { functionProps: handlerProps });
      runReadmeExample(stack, { consumer: new lambda.Function(stack, 'Consumer', handlerProps), producer });
      return { stack, producer };
    }

    test('acknowledges Resilience-RetryBudget1 on the queue only, with the reason and the maxReceiveCount', () => {
      // GIVEN
      const stack = newStack();
      // WHEN
      const qdf = orders(stack, { maxReceiveCount: 20, consumerDefers: true });
      // THEN
      expect(acknowledgementsOn(qdf.queue)).toEqual({
        'Annotation::Resilience-RetryBudget1': expect.stringMatching(/^The consumer defers the messages its circuit breaker refuses \(BatchDeferral\): .*calls nothing downstream, so maxReceiveCount 20 buys time through an outage/),
      });
      expect(acknowledgementsOn(qdf)).toEqual({});
      expect(acknowledgementsOn(qdf.deadLetterQueue.queue)).not.toHaveProperty(['Annotation::Resilience-RetryBudget1']);
    });

    test('not by default', () => {
      // GIVEN
      const stack = newStack();
      // WHEN
      const qdf = orders(stack, { maxReceiveCount: 20 });
      // THEN
      expect(acknowledgementsOn(qdf.queue)).not.toHaveProperty(['Annotation::Resilience-RetryBudget1']);
    });

    test('changes nothing in the template', () => {
      // GIVEN
      const plain = newStack();
      const deferring = newStack();
      // WHEN
      orders(plain, { maxReceiveCount: 20 });
      orders(deferring, { maxReceiveCount: 20, consumerDefers: true });
      // THEN
      expect(Template.fromStack(deferring).toJSON()).toEqual(Template.fromStack(plain).toJSON());
    });

    test('a path that starts at the queue is reported without it, and not with it', () => {
      // GIVEN a team budget below the queue's receives, and the same queue with and without the prop
      const checks = (stack: Stack) => new ResilienceChecks(stack, { retryBudgetThreshold: 10 });
      const plain = newStack();
      orders(plain, { maxReceiveCount: 20 });
      const deferring = newStack();
      orders(deferring, { maxReceiveCount: 20, consumerDefers: true });
      // WHEN / THEN
      expect(allFindings(plain, checks(plain))).toEqual(['Resilience-RetryBudget1 Test/Orders/Queue/Resource']);
      expect(allFindings(deferring, checks(deferring))).toEqual([]);
    });

    test('the README\'s example, as written, has no unacknowledged finding', () => {
      // GIVEN the README's example: an AsyncFunction that sends to a QueueDecoupledFunction whose consumer defers behind a breaker
      const { stack } = readmeExample();
      // WHEN
      const found = allFindings(stack, new ResilienceChecks(stack, { retryBudgetThreshold: 25 }));
      // THEN
      expect(found).toEqual([]);
      expect(propertiesOf(stack, stack.node.findChild('Orders').node.findChild('Queue')).RedrivePolicy.maxReceiveCount).toBe(20);
    });

    test('without its two steps, the README\'s example is reported: the producer ×3 through the queue ×20', () => {
      // GIVEN the README's example without consumerDefers and without the producer's acknowledgement
      const stack = newStack();
      const producer = new AsyncFunction(stack, 'Producer', { functionProps: handlerProps });
      const consumer = new lambda.Function(stack, 'Consumer', handlerProps);
      const qdf = new QueueDecoupledFunction(stack, 'Orders', { function: consumer, maxReceiveCount: 20 });
      qdf.grantSendMessages(producer.function);
      // WHEN
      const checks = new ResilienceChecks(stack, { retryBudgetThreshold: 25, verbose: true });
      const violations = checks.validateScope(stack).violations.filter(v => v.ruleName === 'Resilience-RetryBudget1');
      // THEN
      expect(violations.flatMap(v => v.violatingResources.map(r => r.constructPath))).toEqual(['Test/Producer/Function/Resource']);
      expect(violations[0].description).toMatch(/Test\/Producer\/Function ×3 → Test\/Orders\/Queue → Test\/Consumer ×20: 60 worst-case invocations, budget 25/);
    });

    test('with consumerDefers alone, the producer\'s path is still reported: the acknowledgement covers the queue, not its producers', () => {
      // GIVEN
      const stack = newStack();
      const producer = new AsyncFunction(stack, 'Producer', { functionProps: handlerProps });
      const qdf = orders(stack, { maxReceiveCount: 20, consumerDefers: true });
      qdf.grantSendMessages(producer.function);
      // WHEN / THEN
      expect(allFindings(stack, new ResilienceChecks(stack, { retryBudgetThreshold: 25 }))).toEqual(['Resilience-RetryBudget1 Test/Producer/Function/Resource']);
    });
  });

  describe('queue names', () => {
    function queueNameIn(build: (stack: Stack) => QueueDecoupledFunction, stackId = 'Test'): string {
      const stack = new Stack(newApp(), stackId);
      const qdf = build(stack);
      return propertiesOf(stack, qdf.queue).QueueName;
    }

    test('are deterministic', () => {
      // GIVEN
      const build = (stack: Stack) => orders(stack);

      // WHEN
      const first = queueNameIn(build);
      const second = queueNameIn(build);

      // THEN
      expect(first).toMatch(/^Test-Orders-[0-9a-f]{8}$/);
      expect(second).toEqual(first);
    });

    test('differ by stack and by construct path', () => {
      // GIVEN
      const build = (stack: Stack) => orders(stack);

      // WHEN
      const base = queueNameIn(build);
      const otherStack = queueNameIn(build, 'Other');
      const otherId = queueNameIn(stack => orders(stack, {}, 'Payments'));

      // THEN
      expect(new Set([base, otherStack, otherId]).size).toBe(3);
    });

    test('are at most 80 characters with a very long construct id and stack name', () => {
      // GIVEN
      const stackName = 'S'.repeat(120);
      const longId = 'VeryLongConstructId'.repeat(10);

      // WHEN
      const standard = queueNameIn(stack => orders(stack, {}, longId), stackName);
      const fifo = queueNameIn(stack => orders(stack, { fifo: true }, longId), stackName);
      const sibling = queueNameIn(stack => orders(stack, {}, `${longId}2`), stackName);

      // THEN
      expect(standard.length).toBeLessThanOrEqual(80);
      expect(standard).toMatch(/^[A-Za-z0-9_-]+-[0-9a-f]{8}$/);
      expect(fifo.length).toBeLessThanOrEqual(80);
      expect(fifo).toMatch(/^[A-Za-z0-9_-]+-[0-9a-f]{8}\.fifo$/);
      // the hash keeps names apart when the readable part is cut
      expect(sibling).not.toEqual(standard);
    });
  });

  test('its cdk-nag acknowledgements hide nothing on the user\'s other resources', () => {
    // GIVEN an app with the Serverless checks, a QueueDecoupledFunction (which acknowledges
    // Serverless-LambdaDLQ on its own function) and a plain function without a dead-letter queue
    const app = newApp();
    Validations.of(app).addPlugins(new ServerlessChecks(app));
    const stack = new Stack(app, 'Nag');
    orders(stack);
    new lambda.Function(stack, 'Plain', handlerProps);
    // WHEN
    let report = '';
    try {
      app.synth();
    } catch (error) {
      report = (error as Error).message;
    }
    // THEN the plain function is still reported: an acknowledgement applies to its construct only
    const dlqFindings = report.split('ERROR').filter(block => block.includes('does not have a dead letter target'));
    expect(dlqFindings).toHaveLength(1);
    expect(dlqFindings[0]).toMatch(/^\s*The Lambda function does not have a dead letter target configured\. \(Serverless\)\n\s*Nag\/Plain\/Resource/);
  });

  test('snapshot', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');

    // WHEN
    orders(stack, { alarmAction: new cw_actions.SnsAction(topic) });

    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
