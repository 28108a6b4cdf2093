import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { DeadLetterQueue, FanOutTopic, FanOutTopicProps, QueueDecoupledFunction } from '../src';
import { handlerProps, logicalIdOf, maskAssetHashes, newApp, newStack, propertiesOf, statementsOf } from './helpers';

function fanOut(stack: Stack, props: FanOutTopicProps = {}, id = 'Orders'): FanOutTopic {
  return new FanOutTopic(stack, id, props);
}

/** A queue-decoupled function whose queue subscribes to a topic. */
function consumer(stack: Stack, id: string, fifo = false): QueueDecoupledFunction {
  return new QueueDecoupledFunction(stack, id, { functionProps: handlerProps, fifo });
}

/** The properties of every SNS subscription in the stack. */
function subscriptionsOf(stack: Stack): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::SNS::Subscription')).map(r => r.Properties);
}

/** The statements of `queue`'s queue policy that let SNS send to it. */
function snsStatementsOn(stack: Stack, queue: sqs.IQueue): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::SQS::QueuePolicy', {
    Properties: { Queues: [{ Ref: logicalIdOf(queue) }] },
  })).flatMap(p => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'sns.amazonaws.com' }));
}

const redriveTo = (queue: sqs.IQueue) => ({ deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(queue), 'Arn'] } });

describe('FanOutTopic', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const topic = fanOut(stack);

    // THEN a standard topic, encrypted with a new rotating key, TLS only
    const template = Template.fromStack(stack);
    expect(topic.fifo).toBe(false);
    expect(topic.topic.node.id).toBe('Topic');
    expect(propertiesOf(stack, topic.topic)).toEqual({ KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(topic.encryptionKey as kms.Key), 'Arn'] } });
    expect(propertiesOf(stack, topic.encryptionKey as kms.Key)).toMatchObject({ EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
    // a standard dead-letter queue on SSE-SQS, 14 days
    expect(topic.deadLetterQueue.fifo).toBe(false);
    expect(propertiesOf(stack, topic.deadLetterQueue.queue)).toEqual({ MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
    // three alarms: the dead-letter queue's depth, failed deliveries, lost deliveries
    expect(topic.alarms).toEqual([topic.deadLetterQueue.depthAlarm, topic.notificationsFailedAlarm, topic.notificationsFailedToRedriveToDlqAlarm]);
    for (const [alarm, metric] of [[topic.notificationsFailedAlarm, 'NumberOfNotificationsFailed'],
      [topic.notificationsFailedToRedriveToDlqAlarm, 'NumberOfNotificationsFailedToRedriveToDlq']] as const) {
      expect(propertiesOf(stack, alarm)).toMatchObject({
        Namespace: 'AWS/SNS',
        MetricName: metric,
        Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [logicalIdOf(topic.topic), 'TopicName'] } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  test('resource counts with defaults', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    fanOut(stack);
    // THEN topic, topic policy, key, dead-letter queue with policy and alarm, two topic alarms
    const resources = Object.values(Template.fromStack(stack).toJSON().Resources).map((r: any) => r.Type).sort();
    expect(resources).toEqual([
      'AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Alarm', 'AWS::KMS::Key',
      'AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'AWS::SQS::Queue', 'AWS::SQS::QueuePolicy',
    ]);
  });

  describe('addSubscription', () => {
    test('an SQS subscriber gets the dead-letter queue, raw message delivery and a queue policy; the subscription returned is it', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack);
      const billing = consumer(stack, 'Billing');

      // WHEN
      const subscription = topic.addSubscription(new subs.SqsSubscription(billing.queue));

      // THEN
      expect(subscription).toBeInstanceOf(sns.Subscription);
      expect(subscription.deadLetterQueue).toBe(topic.deadLetterQueue.queue);
      expect(subscriptionsOf(stack)).toEqual([{
        Protocol: 'sqs',
        TopicArn: { Ref: logicalIdOf(topic.topic) },
        Endpoint: { 'Fn::GetAtt': [logicalIdOf(billing.queue), 'Arn'] },
        RawMessageDelivery: true,
        RedrivePolicy: redriveTo(topic.deadLetterQueue.queue),
      }]);
      const allowTopic = { Effect: 'Allow', Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalIdOf(topic.topic) } } } };
      expect(snsStatementsOn(stack, topic.deadLetterQueue.queue)).toEqual([expect.objectContaining(allowTopic)]);
      expect(snsStatementsOn(stack, billing.queue)).toEqual([expect.objectContaining(allowTopic)]);
      // the subscription waits for the dead-letter queue's policy
      const [id] = Object.keys(Template.fromStack(stack).findResources('AWS::SNS::Subscription'));
      expect(Template.fromStack(stack).toJSON().Resources[id].DependsOn).toContain(logicalIdOf(topic.deadLetterQueue.queue.node.findChild('Policy')));
    });

    test('an SQS subscriber that sets rawMessageDelivery: false keeps it', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack);
      // WHEN
      topic.addSubscription(new subs.SqsSubscription(consumer(stack, 'Audit').queue, { rawMessageDelivery: false }));
      // THEN
      expect(subscriptionsOf(stack)[0].RawMessageDelivery).toBe(false);
    });

    test('a Lambda subscriber (a function the user brings) gets the dead-letter queue, a permission, and no raw delivery', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack);
      const notify = new lambda.Function(stack, 'Notify', handlerProps);

      // WHEN
      const subscription = topic.addSubscription(new subs.LambdaSubscription(notify));

      // THEN under the function, named after the topic's full path: never the function's own 'Resource'
      expect(subscription.node.scope).toBe(notify);
      expect(subscription.node.id).toMatch(/^TestOrdersTopic[0-9A-F]{8}$/);
      expect(subscriptionsOf(stack)).toEqual([{
        Protocol: 'lambda',
        TopicArn: { Ref: logicalIdOf(topic.topic) },
        Endpoint: { 'Fn::GetAtt': [logicalIdOf(notify), 'Arn'] },
        RedrivePolicy: redriveTo(topic.deadLetterQueue.queue),
      }]);
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'sns.amazonaws.com', SourceArn: { Ref: logicalIdOf(topic.topic) },
      });
    });

    test('two FanOutTopics subscribe the same function without an id collision', () => {
      // GIVEN
      const stack = newStack();
      const notify = new lambda.Function(stack, 'Notify', handlerProps);
      // WHEN
      fanOut(stack, {}, 'Orders').addSubscription(new subs.LambdaSubscription(notify));
      fanOut(stack, {}, 'Refunds').addSubscription(new subs.LambdaSubscription(notify));
      // THEN
      expect(subscriptionsOf(stack)).toHaveLength(2);
    });

    test('a subscription with its own DeadLetterQueue keeps it, and its alarm joins alarms', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack);
      const own = new DeadLetterQueue(stack, 'BillingFailures');

      // WHEN
      topic.addSubscription(new subs.SqsSubscription(consumer(stack, 'Billing').queue, { deadLetterQueue: own.queue }));
      topic.addSubscription(new subs.LambdaSubscription(new lambda.Function(stack, 'Notify', handlerProps), { deadLetterQueue: own.queue }));

      // THEN
      expect(subscriptionsOf(stack).map(s => s.RedrivePolicy)).toEqual([redriveTo(own.queue), redriveTo(own.queue)]);
      expect(snsStatementsOn(stack, topic.deadLetterQueue.queue)).toEqual([]);
      expect(snsStatementsOn(stack, own.queue)).toHaveLength(1);
      expect(topic.alarms).toEqual([
        topic.deadLetterQueue.depthAlarm, topic.notificationsFailedAlarm, topic.notificationsFailedToRedriveToDlqAlarm, own.depthAlarm,
      ]);
    });

    test('a FIFO topic delivers to FIFO and standard queues, each with the FIFO dead-letter queue', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack, { fifo: true, contentBasedDeduplication: true });

      // WHEN
      topic.addSubscription(new subs.SqsSubscription(consumer(stack, 'Payments', true).queue));
      topic.addSubscription(new subs.SqsSubscription(consumer(stack, 'Analytics').queue));

      // THEN
      expect(topic.deadLetterQueue.fifo).toBe(true);
      expect(propertiesOf(stack, topic.topic)).toMatchObject({ FifoTopic: true, ContentBasedDeduplication: true, TopicName: expect.stringMatching(/\.fifo$/) });
      expect(propertiesOf(stack, topic.deadLetterQueue.queue)).toMatchObject({ FifoQueue: true });
      expect(subscriptionsOf(stack).map(s => [s.Protocol, s.RawMessageDelivery, s.RedrivePolicy])).toEqual([
        ['sqs', true, redriveTo(topic.deadLetterQueue.queue)],
        ['sqs', true, redriveTo(topic.deadLetterQueue.queue)],
      ]);
      expect(() => (stack.node.root as App).synth()).not.toThrow();
    });

    test('a subscriber in another stack: no dependency cycle, the subscriber stack depends on the topic stack', () => {
      // GIVEN
      const app = newApp();
      const topicStack = new Stack(app, 'Topics');
      const consumerStack = new Stack(app, 'Consumers');
      const topic = fanOut(topicStack, { encryptionKey: new kms.Key(topicStack, 'Key', { enableKeyRotation: true }) });

      // WHEN
      topic.addSubscription(new subs.SqsSubscription(consumer(consumerStack, 'Billing').queue));
      topic.addSubscription(new subs.LambdaSubscription(new lambda.Function(consumerStack, 'Notify', handlerProps)));

      // THEN
      expect(consumerStack.dependencies).toEqual([topicStack]);
      expect(subscriptionsOf(consumerStack)).toHaveLength(2);
      expect(() => app.synth()).not.toThrow();
    });
  });

  describe('encryptionKey', () => {
    test('a customer-managed key encrypts the topic and the dead-letter queue; SNS may use it for the dead-letter queue; no cycle', () => {
      // GIVEN
      const app = newApp();
      const stack = new Stack(app, 'Test');
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });

      // WHEN
      const topic = fanOut(stack, { encryptionKey: key });
      topic.addSubscription(new subs.SqsSubscription(consumer(stack, 'Billing').queue));

      // THEN
      expect(topic.encryptionKey).toBe(key);
      expect(propertiesOf(stack, topic.topic).KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] });
      expect(propertiesOf(stack, topic.deadLetterQueue.queue).KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] });
      expect(propertiesOf(stack, key).KeyPolicy.Statement).toContainEqual({
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      });
      expect(() => app.synth()).not.toThrow();
    });

    test('a subscription\'s own dead-letter queue on a customer-managed key: SNS may use that key', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack);
      const key = new kms.Key(stack, 'FailuresKey', { enableKeyRotation: true });
      const own = new DeadLetterQueue(stack, 'Failures', { encryptionKey: key });
      // WHEN
      topic.addSubscription(new subs.LambdaSubscription(new lambda.Function(stack, 'Notify', handlerProps), { deadLetterQueue: own.queue }));
      // THEN
      expect(propertiesOf(stack, key).KeyPolicy.Statement).toContainEqual(expect.objectContaining({
        Principal: { Service: 'sns.amazonaws.com' }, Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      }));
    });

    test('an imported key or an alias encrypts the topic only: the dead-letter queue it creates uses SSE-SQS', () => {
      // GIVEN
      const stack = newStack();
      const key = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
      // WHEN
      const topic = fanOut(stack, { encryptionKey: key });
      // THEN
      expect(propertiesOf(stack, topic.topic).KmsMasterKeyId).toBe(key.keyArn);
      expect(propertiesOf(stack, topic.deadLetterQueue.queue)).toMatchObject({ SqsManagedSseEnabled: true });
      expect(propertiesOf(stack, topic.deadLetterQueue.queue).KmsMasterKeyId).toBeUndefined();
    });

    test('fails if a dead-letter queue is encrypted with a key whose policy the app cannot change: SNS could not use it', () => {
      // GIVEN
      const stack = newStack();
      const alias = kms.Alias.fromAliasName(stack, 'Alias', 'alias/orders');
      const shared = new DeadLetterQueue(stack, 'Shared', { encryptionKey: alias });
      // WHEN / THEN
      expect(() => fanOut(stack, { deadLetterQueue: shared })).toThrow(
        /a dead-letter queue of Test\/Orders is encrypted with the key Test\/Alias, whose key policy this app cannot change \(an imported key or an alias\): SNS could not use it/);
    });
  });

  describe('grantPublish', () => {
    test('a role gets sns:Publish on the topic and kms:GenerateDataKey and kms:Decrypt on its key, no wildcard action', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack);
      const publisher = new lambda.Function(stack, 'Intake', handlerProps);
      // WHEN
      topic.grantPublish(publisher);
      // THEN
      expect(statementsOf(Template.fromStack(stack), publisher.role!)).toEqual([
        { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: logicalIdOf(topic.topic) } },
        { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': [logicalIdOf(topic.encryptionKey as kms.Key), 'Arn'] } },
      ]);
    });

    test('an AWS service (an EventBridge rule) is granted through the topic policy and the key policy', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack);
      // WHEN
      topic.grantPublish(new iam.ServicePrincipal('events.amazonaws.com'));
      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' })]) },
      });
      expect(propertiesOf(stack, topic.encryptionKey as kms.Key).KeyPolicy.Statement).toContainEqual(expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      }));
    });

    test('fails for an AWS service when the topic is on the AWS managed SNS key', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack, { encryptionKey: kms.Alias.fromAliasName(stack, 'SnsKey', 'alias/aws/sns') });
      // WHEN / THEN an IAM role may publish, an AWS service may not
      expect(() => topic.grantPublish(new lambda.Function(stack, 'Intake', handlerProps))).not.toThrow();
      expect(() => topic.grantPublish(new iam.ServicePrincipal('events.amazonaws.com')))
        .toThrow(/grantPublish\(events.amazonaws.com\): an AWS service cannot publish to a topic encrypted with the AWS managed key alias\/aws\/sns/);
    });

    test('fails for an AWS service when the topic\'s key is imported: its key policy cannot let the service in', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack, { encryptionKey: kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab') });
      // WHEN / THEN
      expect(() => topic.grantPublish(new iam.ServicePrincipal('events.amazonaws.com'))).toThrow(
        /grantPublish\(events.amazonaws.com\): an AWS service can use the topic's key Test\/Imported only through its key policy, which this app cannot change/);
    });

    test('an EventBridge rule that targets the topic can publish (aws-cdk-lib grants it on the customer-managed key)', () => {
      // GIVEN
      const stack = newStack();
      const topic = fanOut(stack);
      // WHEN
      new events.Rule(stack, 'Rule', { eventPattern: { source: ['shop'] }, targets: [new targets.SnsTopic(topic.topic)] });
      // THEN
      expect(propertiesOf(stack, topic.encryptionKey as kms.Key).KeyPolicy.Statement).toContainEqual(expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
      }));
    });
  });

  test('alarmAction on every alarm', () => {
    // GIVEN
    const stack = newStack();
    const onCall = new sns.Topic(stack, 'OnCall');
    // WHEN
    const topic = fanOut(stack, { alarmAction: new cw_actions.SnsAction(onCall) });
    // THEN
    expect(topic.alarms).toHaveLength(3);
    for (const alarm of topic.alarms) {
      expect(propertiesOf(stack, alarm).AlarmActions).toEqual([{ Ref: logicalIdOf(onCall) }]);
    }
  });

  test('a shared deadLetterQueue is used by every subscription and keeps its own alarm action', () => {
    // GIVEN
    const stack = newStack();
    const shared = new DeadLetterQueue(stack, 'Shared');
    // WHEN
    const topic = fanOut(stack, { deadLetterQueue: shared, alarmAction: new cw_actions.SnsAction(new sns.Topic(stack, 'OnCall')) });
    topic.addSubscription(new subs.SqsSubscription(consumer(stack, 'Billing').queue));
    // THEN
    expect(topic.deadLetterQueue).toBe(shared);
    expect(subscriptionsOf(stack)[0].RedrivePolicy).toEqual(redriveTo(shared.queue));
    expect(propertiesOf(stack, shared.depthAlarm).AlarmActions).toBeUndefined();
  });

  test('metricX() are what the alarms watch', () => {
    // GIVEN
    const stack = newStack();
    const topic = fanOut(stack);
    // WHEN / THEN
    expect(stack.resolve(topic.metricNumberOfNotificationsFailed().toMetricConfig()))
      .toEqual(stack.resolve(topic.notificationsFailedAlarm.metric.toMetricConfig()));
    expect(stack.resolve(topic.metricNumberOfNotificationsFailedToRedriveToDlq().toMetricConfig()))
      .toEqual(stack.resolve(topic.notificationsFailedToRedriveToDlqAlarm.metric.toMetricConfig()));
  });

  test('topicName', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    const standard = fanOut(stack, { topicName: 'orders' }, 'Standard');
    const fifo = fanOut(stack, { topicName: 'payments.fifo', fifo: true }, 'Fifo');
    // THEN
    expect(propertiesOf(stack, standard.topic).TopicName).toBe('orders');
    expect(propertiesOf(stack, fifo.topic).TopicName).toBe('payments.fifo');
  });

  describe('validation', () => {
    test('fails if contentBasedDeduplication is set on a standard topic', () => {
      expect(() => fanOut(newStack(), { contentBasedDeduplication: true }))
        .toThrow('contentBasedDeduplication is only supported with a FIFO topic (fifo: true), got contentBasedDeduplication: true with fifo: false');
    });

    test.each([
      [false, 'with.dot', /topicName must be 1-256 letters, digits, '-' or '_', got 'with.dot'/],
      [false, 'x'.repeat(257), /topicName must be 1-256 letters/],
      [false, 'orders.fifo', /topicName must be 1-256 letters/],
      [true, 'payments', /topicName of a FIFO topic must be 1-251 letters, digits, '-' or '_' followed by '.fifo', got 'payments'/],
      [true, `${'x'.repeat(252)}.fifo`, /topicName of a FIFO topic must be 1-251/],
    ])('fails if topicName (fifo: %s) is %s', (fifo, topicName, error) => {
      expect(() => fanOut(newStack(), { fifo, topicName })).toThrow(error);
    });

    test.each([
      [false, true], [true, false],
    ])('fails if deadLetterQueue (fifo: %s) is not of the topic\'s type (fifo: %s)', (dlqFifo, topicFifo) => {
      const stack = newStack();
      const dlq = new DeadLetterQueue(stack, 'Dlq', { fifo: dlqFifo });
      expect(() => fanOut(stack, { deadLetterQueue: dlq, fifo: topicFifo }))
        .toThrow(new RegExp(`deadLetterQueue must be ${topicFifo ? 'FIFO' : 'standard'} like the topic \\(fifo: ${topicFifo}\\).*got the ${dlqFifo ? 'FIFO' : 'standard'} queue Test/Dlq`));
    });

    test('fails if a subscription\'s own dead-letter queue is not of the topic\'s type', () => {
      const stack = newStack();
      const topic = fanOut(stack, { fifo: true });
      const standard = new DeadLetterQueue(stack, 'Standard');
      expect(() => topic.addSubscription(new subs.SqsSubscription(consumer(stack, 'Payments', true).queue, { deadLetterQueue: standard.queue })))
        .toThrow('deadLetterQueue of the subscription to Test/Payments/Queue must be FIFO like the topic (fifo: true), got the standard queue Test/Standard/Resource');
    });

    test('fails if a subscription\'s own dead-letter queue uses the AWS managed SQS key', () => {
      const stack = newStack();
      const topic = fanOut(stack);
      const managed = new sqs.Queue(stack, 'Managed', { encryption: sqs.QueueEncryption.KMS_MANAGED });
      expect(() => topic.addSubscription(new subs.LambdaSubscription(new lambda.Function(stack, 'Notify', handlerProps), { deadLetterQueue: managed })))
        .toThrow(/deadLetterQueue of the subscription to Test\/Notify must not use the AWS managed SQS key \(alias\/aws\/sqs\): SNS cannot use it/);
    });

    test('fails if a subscription\'s own dead-letter queue is in another region', () => {
      const app = newApp();
      const topic = fanOut(new Stack(app, 'Ireland', { env: { account: '111122223333', region: 'eu-west-1' } }));
      const other = new Stack(app, 'Frankfurt', { env: { account: '111122223333', region: 'eu-central-1' } });
      const dlq = new DeadLetterQueue(other, 'Dlq');
      expect(() => topic.addSubscription(new subs.SqsSubscription(consumer(other, 'Billing').queue, { deadLetterQueue: dlq.queue })))
        .toThrow('deadLetterQueue of the subscription to Frankfurt/Billing/Queue must be in the topic\'s region (eu-west-1): SNS refuses a dead-letter queue in another account or region, got eu-central-1');
    });

    test('fails if a FIFO topic gets a Lambda subscriber', () => {
      const stack = newStack();
      const topic = fanOut(stack, { fifo: true });
      expect(() => topic.addSubscription(new subs.LambdaSubscription(new lambda.Function(stack, 'Notify', handlerProps))))
        .toThrow('subscription must be an SQS queue (FIFO or standard): a FIFO topic delivers to nothing else, got a lambda subscription to Test/Notify');
    });

    test('fails if a FIFO topic gets an e-mail subscriber', () => {
      const topic = fanOut(newStack(), { fifo: true });
      expect(() => topic.addSubscription(new subs.EmailSubscription('ops@example.com')))
        .toThrow('subscription must be an SQS queue (FIFO or standard): a FIFO topic delivers to nothing else, got a email subscription to ops@example.com');
    });

    test('fails if a standard topic gets a FIFO queue', () => {
      const stack = newStack();
      const topic = fanOut(stack);
      expect(() => topic.addSubscription(new subs.SqsSubscription(consumer(stack, 'Payments', true).queue)))
        .toThrow(/subscription to Test\/Payments\/Queue must be a standard queue: a FIFO queue needs the message group id that only a FIFO topic/);
    });

    test('fails if the subscriber queue is encrypted with the topic\'s own key (a dependency cycle)', () => {
      const stack = newStack();
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const topic = fanOut(stack, { encryptionKey: key });
      const queue = new QueueDecoupledFunction(stack, 'Billing', { functionProps: handlerProps, encryptionKey: key }).queue;
      expect(() => topic.addSubscription(new subs.SqsSubscription(queue)))
        .toThrow(/subscription to Test\/Billing\/Queue: the queue is encrypted with the topic's own key.*a dependency cycle/);
    });

    test('aws-cdk-lib refuses a subscriber queue on the AWS managed SQS key', () => {
      const stack = newStack();
      const topic = fanOut(stack);
      const managed = new sqs.Queue(stack, 'Managed', { encryption: sqs.QueueEncryption.KMS_MANAGED });
      expect(() => topic.addSubscription(new subs.SqsSubscription(managed))).toThrow(/SQS queue encrypted by AWS managed KMS key cannot be used as SNS subscription/);
    });
  });

  test.each([false, true])('snapshot (fifo: %s), with an SQS and (standard) a Lambda subscriber', (fifo) => {
    // GIVEN
    const stack = newStack();
    const topic = fanOut(stack, { fifo });
    // WHEN
    topic.addSubscription(new subs.SqsSubscription(consumer(stack, 'Billing', fifo).queue));
    if (!fifo) topic.addSubscription(new subs.LambdaSubscription(new lambda.Function(stack, 'Notify', handlerProps)));
    topic.grantPublish(new lambda.Function(stack, 'Intake', handlerProps));
    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
