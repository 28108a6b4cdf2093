import { CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { DeadLetterQueue } from '../src';
import { actionsOn, maskAssetHashes, newStack, onlyLogicalId } from './helpers';

const ORDERS_ARN = 'arn:aws:sqs:us-east-1:123456789012:orders';
/** A source queue of another stack or app, imported by its ARN (and its key). */
function sourceQueue(stack: Stack, queueArn: string, key?: kms.IKey): sqs.IQueue {
  return sqs.Queue.fromQueueAttributes(stack, `Source-${queueArn.split(':').pop()}`, { queueArn, keyArn: key?.keyArn });
}
const PAYMENTS_ARN = 'arn:aws:sqs:us-east-1:123456789012:payments';

function newRole(stack: Stack, id = 'Operator'): iam.Role {
  return new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
}

describe('DeadLetterQueue', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const dlq = new DeadLetterQueue(stack, 'Dlq');

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    const queueId = onlyLogicalId(template, 'AWS::SQS::Queue');

    // 14 days retention, SSE-SQS, no redrive-allow policy while it has no sources
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
      KmsMasterKeyId: Match.absent(),
      FifoQueue: Match.absent(),
      RedriveAllowPolicy: Match.absent(),
    });

    // TLS only
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [{
          Action: 'sqs:*',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        }],
      },
    });

    // an alarm as soon as one message arrives
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: Match.absent(),
      OKActions: Match.absent(),
    });

    expect(dlq.fifo).toBe(false);
    expect(dlq.retentionPeriod.toSeconds()).toBe(1209600);
    expect(dlq.encryptionKey).toBeUndefined();
    expect(dlq.sourceQueueArns).toEqual([]);
    expect(stack.getLogicalId(dlq.queue.node.defaultChild as CfnElement)).toBe(queueId);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('fifo', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const dlq = new DeadLetterQueue(stack, 'Dlq', { fifo: true });

    // THEN
    expect(dlq.fifo).toBe(true);
    expect(dlq.queue.fifo).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
  });

  test('encryptionKey encrypts the queue with KMS instead of SSE-SQS', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');

    // WHEN
    const dlq = new DeadLetterQueue(stack, 'Dlq', { encryptionKey: key });

    // THEN
    expect(dlq.encryptionKey).toBe(key);
    const template = Template.fromStack(stack);
    const keyId = onlyLogicalId(template, 'AWS::KMS::Key');
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      SqsManagedSseEnabled: Match.absent(),
    });
  });

  test('retentionPeriod', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const dlq = new DeadLetterQueue(stack, 'Dlq', { retentionPeriod: Duration.days(7) });
    new DeadLetterQueue(stack, 'Shortest', { retentionPeriod: Duration.seconds(60) });
    new DeadLetterQueue(stack, 'Longest', { retentionPeriod: Duration.days(14) });

    // THEN
    expect(dlq.retentionPeriod.toSeconds()).toBe(604800);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 604800 });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 60 });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1209600 });
  });

  test('fails if retentionPeriod is below 60 seconds', () => {
    // GIVEN
    const stack = newStack();

    // WHEN / THEN
    expect(() => new DeadLetterQueue(stack, 'Dlq', { retentionPeriod: Duration.seconds(59) }))
      .toThrow(/retentionPeriod must be between 60 s and 14 days, got 59 s/);
  });

  test('fails if retentionPeriod is above 14 days', () => {
    // GIVEN
    const stack = newStack();

    // WHEN / THEN
    expect(() => new DeadLetterQueue(stack, 'Dlq', { retentionPeriod: Duration.days(15) }))
      .toThrow(/retentionPeriod must be between 60 s and 14 days, got 15 days/);
    expect(() => new DeadLetterQueue(stack, 'Dlq2', { retentionPeriod: Duration.seconds(1209601) }))
      .toThrow(/retentionPeriod must be between 60 s and 14 days, got 1209601 s/);
  });

  test('alarmAction fires when the alarm fires and when it recovers', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');

    // WHEN
    new DeadLetterQueue(stack, 'Dlq', { alarmAction: new cw_actions.SnsAction(topic) });

    // THEN
    const template = Template.fromStack(stack);
    const topicId = onlyLogicalId(template, 'AWS::SNS::Topic');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
  });

  test('addSource names the sources in the redrive-allow policy', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');

    // WHEN
    dlq.addSource(sourceQueue(stack, ORDERS_ARN));
    dlq.addSource(sourceQueue(stack, PAYMENTS_ARN));

    // THEN
    expect(dlq.sourceQueueArns).toEqual([ORDERS_ARN, PAYMENTS_ARN]);
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      RedriveAllowPolicy: {
        redrivePermission: 'byQueue',
        sourceQueueArns: [ORDERS_ARN, PAYMENTS_ARN],
      },
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('addSource names a queue of this app by an ARN built from its queueName: no dependency cycle', () => {
    // GIVEN a source whose redrive policy names the dead-letter queue
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    const source = new sqs.Queue(stack, 'Orders', { queueName: 'orders', deadLetterQueue: { queue: dlq.queue, maxReceiveCount: 5 } });

    // WHEN
    dlq.addSource(source);

    // THEN
    const arn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':orders']] };
    expect(stack.resolve(dlq.sourceQueueArns)).toEqual([arn]);
    expect(() => Template.fromStack(stack)).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { RedriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: [arn] } });
  });

  test('fails if addSource is given a queue of this app without a queueName', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    const source = new sqs.Queue(stack, 'Orders', { deadLetterQueue: { queue: dlq.queue, maxReceiveCount: 5 } });

    // WHEN / THEN
    expect(() => dlq.addSource(source)).toThrow(/^addSource needs a queue with a queueName .*got Test\/Orders without one$/);
  });

  test('10 sources are all named in the redrive-allow policy, without a warning', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    const arns = Array.from({ length: 10 }, (_, i) => `arn:aws:sqs:us-east-1:123456789012:source-${i}`);

    // WHEN
    arns.forEach(queueArn => dlq.addSource(sourceQueue(stack, queueArn)));

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      RedriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: arns },
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('DeadLetterQueueManySources'));
  });

  test('11 sources allow all queues of the account, with a warning', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    const arns = Array.from({ length: 11 }, (_, i) => `arn:aws:sqs:us-east-1:123456789012:source-${i}`);

    // WHEN
    arns.forEach(queueArn => dlq.addSource(sourceQueue(stack, queueArn)));

    // THEN
    expect(dlq.sourceQueueArns).toEqual(arns);
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      RedriveAllowPolicy: { redrivePermission: 'allowAll', sourceQueueArns: Match.absent() },
    });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Test/Dlq', Match.stringLikeRegexp('DeadLetterQueueManySources'));
    annotations.hasWarning('/Test/Dlq', Match.stringLikeRegexp('serves 11 sources, more than the 10'));
    expect(annotations.findWarning('*', Match.stringLikeRegexp('DeadLetterQueueManySources'))).toHaveLength(1);
  });

  test('grantRedrive grants exactly the message move task on the queue and SendMessage on each source', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    dlq.addSource(sourceQueue(stack, ORDERS_ARN));
    dlq.addSource(sourceQueue(stack, PAYMENTS_ARN));
    const role = newRole(stack);

    // WHEN
    const grant = dlq.grantRedrive(role);

    // THEN
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    const queueId = onlyLogicalId(template, 'AWS::SQS::Queue');
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: onlyLogicalId(template, 'AWS::IAM::Role') }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'sqs:StartMessageMoveTask',
              'sqs:ListMessageMoveTasks',
              'sqs:CancelMessageMoveTask',
              'sqs:ReceiveMessage',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
            ],
            Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
          },
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ORDERS_ARN },
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: PAYMENTS_ARN },
        ],
      },
    });
  });

  test('grantRedrive also covers sources added after the grant', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    dlq.addSource(sourceQueue(stack, ORDERS_ARN));
    const role = newRole(stack);
    const other = newRole(stack, 'Auditor');

    // WHEN
    dlq.grantRedrive(role);
    dlq.grantRedrive(other);
    dlq.addSource(sourceQueue(stack, PAYMENTS_ARN));

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 2);
    for (const arn of [ORDERS_ARN, PAYMENTS_ARN]) {
      expect(actionsOn(template, arn)).toEqual(['sqs:SendMessage', 'sqs:SendMessage']);
    }
  });

  test('grantRedrive grants the KMS keys of the queue and of the sources', () => {
    // GIVEN
    const stack = newStack();
    const dlqKey = new kms.Key(stack, 'DlqKey');
    const sourceKey = new kms.Key(stack, 'SourceKey');
    const lateKey = new kms.Key(stack, 'LateKey');
    const dlq = new DeadLetterQueue(stack, 'Dlq', { encryptionKey: dlqKey });
    dlq.addSource(sourceQueue(stack, ORDERS_ARN, sourceKey));
    const role = newRole(stack);

    // WHEN
    dlq.grantRedrive(role);
    dlq.addSource(sourceQueue(stack, PAYMENTS_ARN, lateKey));

    // THEN
    const template = Template.fromStack(stack);
    const arnOf = (key: kms.Key) => ({ 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] });
    // reading the dead-letter queue decrypts its messages
    expect(actionsOn(template, arnOf(dlqKey))).toEqual(['kms:Decrypt']);
    // writing to an encrypted source generates a data key
    expect(actionsOn(template, arnOf(sourceKey))).toContain('kms:GenerateDataKey*');
    expect(actionsOn(template, arnOf(lateKey))).toContain('kms:GenerateDataKey*');
  });

  test('grantRedrive grants kms:Decrypt on the KMS keys of the sources, as SendMessage to an encrypted queue requires', () => {
    // SQS: a producer of a queue encrypted with a customer managed key needs
    // kms:GenerateDataKey AND kms:Decrypt (aws-cdk-lib's Queue.grantSendMessages
    // grants both for that reason). The message move task sends as the caller.

    // GIVEN
    const stack = newStack();
    const sourceKey = new kms.Key(stack, 'SourceKey');
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    dlq.addSource(sourceQueue(stack, ORDERS_ARN, sourceKey));
    const role = newRole(stack);

    // WHEN
    dlq.grantRedrive(role);

    // THEN
    const template = Template.fromStack(stack);
    const sourceKeyArn = { 'Fn::GetAtt': [stack.getLogicalId(sourceKey.node.defaultChild as kms.CfnKey), 'Arn'] };
    expect(actionsOn(template, sourceKeyArn)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
  });

  test('grantRedrive grants no KMS action without keys', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');
    dlq.addSource(sourceQueue(stack, ORDERS_ARN));
    const role = newRole(stack);

    // WHEN
    dlq.grantRedrive(role);

    // THEN
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap(p => p.Properties.PolicyDocument.Statement);
    expect(JSON.stringify(statements)).not.toMatch(/kms:/);
  });

  test('metric helpers', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');

    // WHEN
    const visible = dlq.metricApproximateNumberOfMessagesVisible();
    const age = dlq.metricApproximateAgeOfOldestMessage();
    const custom = dlq.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) });

    // THEN
    expect(visible.namespace).toBe('AWS/SQS');
    expect(visible.metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(visible.statistic).toBe('Maximum');
    expect(visible.period.toSeconds()).toBe(300);
    expect(stack.resolve(visible.dimensions)).toEqual({ QueueName: stack.resolve(dlq.queue.queueName) });
    expect(age.namespace).toBe('AWS/SQS');
    expect(age.metricName).toBe('ApproximateAgeOfOldestMessage');
    expect(age.statistic).toBe('Maximum');
    expect(age.period.toSeconds()).toBe(300);
    expect(custom.statistic).toBe('Maximum');
    expect(custom.period.toSeconds()).toBe(60);
  });

  test('snapshot', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    const dlq = new DeadLetterQueue(stack, 'Dlq', { alarmAction: new cw_actions.SnsAction(topic) });
    dlq.addSource(sourceQueue(stack, ORDERS_ARN));

    // WHEN
    dlq.grantRedrive(newRole(stack));

    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
