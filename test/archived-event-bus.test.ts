import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ArchivedEventBus, ArchivedEventBusProps, DeadLetterQueue } from '../src';
import { actionsOn, handlerProps, logicalIdOf, maskAssetHashes, newApp, newStack, propertiesOf, resourceOf, statementsOf } from './helpers';

/** An ARN of the stack's partition, region and account, as `Stack.formatArn()` renders it. */
function arnOf(resource: string): unknown {
  return {
    'Fn::Join': ['', [
      'arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${resource}`,
    ]],
  };
}

/** The statements of the dead-letter queue's queue policy that let EventBridge send to it. */
function eventBridgeStatementsOf(stack: Stack, dlq: DeadLetterQueue): any[] {
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::SQS::QueuePolicy', {
    Properties: { Queues: [{ Ref: logicalIdOf(dlq.queue) }] },
  }));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement
    .filter((s: any) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }));
}

/** A statement that lets EventBridge send what `sourceArn` could not deliver to `dlq`. */
function allowEventBridgeFrom(dlq: DeadLetterQueue, sourceArn: unknown): unknown {
  return {
    Effect: 'Allow',
    Principal: { Service: 'events.amazonaws.com' },
    Action: 'sqs:SendMessage',
    Resource: { 'Fn::GetAtt': [logicalIdOf(dlq.queue), 'Arn'] },
    Condition: { ArnEquals: { 'aws:SourceArn': sourceArn } },
  };
}

/** What `grantReplay()` gives: start a replay of the archive, describe and cancel the replays named with the prefix. */
function replayStatements(eb: ArchivedEventBus): unknown[] {
  return [
    { Effect: 'Allow', Action: 'events:StartReplay', Resource: { 'Fn::GetAtt': [logicalIdOf(eb.archive), 'Arn'] } },
    {
      Effect: 'Allow',
      Action: ['events:DescribeReplay', 'events:CancelReplay'],
      Resource: arnOf(`replay/${eb.replayNamePrefix}*`),
    },
  ];
}

function newFunction(stack: Stack, id = 'Handler'): lambda.Function {
  return new lambda.Function(stack, id, handlerProps);
}

function newQueue(stack: Stack, id: string): sqs.Queue {
  return new sqs.Queue(stack, id, { enforceSSL: true });
}

/** An ArchivedEventBus with the given props. */
function bus(stack: Stack, props: ArchivedEventBusProps = {}, id = 'Bus'): ArchivedEventBus {
  return new ArchivedEventBus(stack, id, props);
}

const ORDERS: events.EventPattern = { source: ['orders'] };

describe('ArchivedEventBus', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const eb = bus(stack);

    // THEN
    expect(eb.eventBusName).toMatch(/^Test-Bus-[0-9a-f]{8}$/);
    expect(eb.replayNamePrefix).toMatch(/^Test-Bus-[0-9a-f]{8}$/);
    expect(eb.archiveRetention.toDays()).toBe(30);
    expect(eb.targetRetryAttempts).toBe(185);
    expect(eb.targetMaxEventAge.toSeconds()).toBe(86400);
    expect(eb.deadLetterQueue).toBeInstanceOf(DeadLetterQueue);
    expect(eb.alarms).toEqual([eb.deadLetterQueue.depthAlarm]);

    const busId = logicalIdOf(eb.eventBus);
    const dlqArn = { 'Fn::GetAtt': [logicalIdOf(eb.deadLetterQueue.queue), 'Arn'] };
    const busArn = arnOf(`event-bus/${eb.eventBusName}`);
    expect(Stack.of(eb).resolve(eb.eventBusArn)).toEqual(busArn);

    // the bus: named, its own failures to the dead-letter queue, AWS-owned key
    expect(propertiesOf(stack, eb.eventBus)).toEqual({
      Name: eb.eventBusName,
      DeadLetterConfig: { Arn: dlqArn },
    });

    // the archive: 30 days, every event, names the bus by an ARN built from its name, after the bus
    const archive = resourceOf(stack, eb.archive);
    expect(archive.Properties).toMatchObject({
      RetentionDays: 30,
      SourceArn: busArn,
      Description: `Every event of ${eb.eventBusName}`,
    });
    expect(archive.Properties.EventPattern).toBeUndefined();
    expect(archive.Properties.KmsKeyIdentifier ?? '').toBe('');
    expect(archive.DependsOn).toEqual([busId]);

    // the dead-letter queue: 14 days, SSE-SQS, EventBridge may send what the bus could not deliver
    expect(propertiesOf(stack, eb.deadLetterQueue.queue)).toEqual({
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
    expect(eventBridgeStatementsOf(stack, eb.deadLetterQueue)).toEqual([allowEventBridgeFrom(eb.deadLetterQueue, busArn)]);

    // the replay function
    expect(eb.replayFunction).toBeInstanceOf(lambda.Function);
    expect(propertiesOf(stack, eb.replayFunction as lambda.Function)).toMatchObject({
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Architectures: ['arm64'],
      Timeout: 300,
      MemorySize: 256,
      Environment: {
        Variables: {
          ARCHIVE_ARN: { 'Fn::GetAtt': [logicalIdOf(eb.archive), 'Arn'] },
          EVENT_BUS_ARN: busArn,
          ARCHIVE_RETENTION_DAYS: '30',
          REPLAY_NAME_PREFIX: eb.replayNamePrefix,
        },
      },
    });

    // its role may start a replay of the archive and describe / cancel its own replays, nothing more
    expect(statementsOf(Template.fromStack(stack), eb.replayFunction.role!)).toEqual(replayStatements(eb));

    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });

  test('resource counts with defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    bus(stack);

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.resourceCountIs('AWS::Events::Archive', 1);
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 1);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(Object.keys(template.toJSON().Resources)).toHaveLength(8);
  });

  test('eventBusName', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const eb = bus(stack, { eventBusName: 'orders' });

    // THEN
    expect(eb.eventBusName).toBe('orders');
    expect(eb.replayNamePrefix).toMatch(/^Test-Bus-[0-9a-f]{8}$/);
    const busArn = arnOf('event-bus/orders');
    expect(propertiesOf(stack, eb.eventBus).Name).toBe('orders');
    expect(propertiesOf(stack, eb.archive).SourceArn).toEqual(busArn);
    expect(propertiesOf(stack, eb.replayFunction as lambda.Function).Environment.Variables.EVENT_BUS_ARN).toEqual(busArn);
    expect(eventBridgeStatementsOf(stack, eb.deadLetterQueue)).toEqual([allowEventBridgeFrom(eb.deadLetterQueue, busArn)]);
  });

  test('archiveRetention 7 days', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const eb = bus(stack, { archiveRetention: Duration.days(7) });

    // THEN
    expect(eb.archiveRetention.toDays()).toBe(7);
    expect(propertiesOf(stack, eb.archive).RetentionDays).toBe(7);
    expect(propertiesOf(stack, eb.replayFunction as lambda.Function).Environment.Variables.ARCHIVE_RETENTION_DAYS).toBe('7');
  });

  test('archiveRetention 0 days keeps events forever', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const eb = bus(stack, { archiveRetention: Duration.days(0) });

    // THEN
    expect(eb.archiveRetention.toDays()).toBe(0);
    expect(propertiesOf(stack, eb.archive).RetentionDays).toBe(0);
    expect(propertiesOf(stack, eb.replayFunction as lambda.Function).Environment.Variables.ARCHIVE_RETENTION_DAYS).toBe('0');
  });

  test('archiveEventPattern', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const eb = bus(stack, { archiveEventPattern: { source: ['orders'], detailType: ['OrderPlaced'] } });

    // THEN
    const archive = propertiesOf(stack, eb.archive);
    expect(archive.EventPattern).toEqual({ 'source': ['orders'], 'detail-type': ['OrderPlaced'] });
    expect(archive.Description).toBe(`Every event of ${eb.eventBusName} that matches the archive pattern`);
  });

  describe('encryptionKey', () => {
    test('encrypts the bus, the archive and the dead-letter queue; the key policy lets EventBridge use it', () => {
      // GIVEN
      const stack = newStack();
      const key = new kms.Key(stack, 'Key');

      // WHEN
      const eb = bus(stack, { encryptionKey: key });

      // THEN
      const keyArn = { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] };
      const busArn = arnOf(`event-bus/${eb.eventBusName}`);
      expect(propertiesOf(stack, eb.eventBus).KmsKeyIdentifier).toEqual(keyArn);
      expect(propertiesOf(stack, eb.archive).KmsKeyIdentifier).toEqual(keyArn);
      const dlq = propertiesOf(stack, eb.deadLetterQueue.queue);
      expect(dlq.KmsMasterKeyId).toEqual(keyArn);
      expect(dlq.SqsManagedSseEnabled).toBeUndefined();
      expect(eb.deadLetterQueue.encryptionKey).toBe(key);

      const statements = propertiesOf(stack, key).KeyPolicy.Statement
        .filter((s: any) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }));
      // the dead-letter queue: EventBridge encrypts what it sends there, for rules of this account
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      });
      // the bus
      expect(statements).toContainEqual(expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        Condition: {
          StringEquals: {
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
            'aws:SourceArn': busArn,
            'kms:EncryptionContext:aws:events:event-bus:arn': busArn,
          },
        },
      }));
      // the archive
      expect(statements).toContainEqual(expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncrypt*'],
        Condition: { StringEquals: { 'kms:EncryptionContext:aws:events:event-bus:arn': busArn } },
      }));
    });

    test.each([
      ['an imported key', (stack: Stack) => kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab')],
      ['an alias', (stack: Stack) => kms.Alias.fromAliasName(stack, 'Alias', 'alias/orders')],
    ])('fails if encryptionKey is %s, whose key policy the app cannot change', (_, keyOf) => {
      // GIVEN
      const stack = newStack();
      const key = keyOf(stack);

      // WHEN / THEN EventBridge could not encrypt what it sends to the dead-letter queue: refused, not lost
      expect(() => bus(stack, { encryptionKey: key }))
        .toThrow(new RegExp(`^the dead-letter queue of Test/Bus is encrypted with the key ${key.node.path}, whose key policy this app cannot change `
          + '\\(an imported key or an alias\\): EventBridge could not use it, so every event it could not deliver to a target would be lost; use a kms.Key of this app as encryptionKey'));
    });

    test('fails if a shared deadLetterQueue is encrypted with an imported key', () => {
      // GIVEN
      const stack = newStack();
      const imported = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
      const dlq = new DeadLetterQueue(stack, 'Dlq', { encryptionKey: imported });

      // WHEN / THEN
      expect(() => bus(stack, { deadLetterQueue: dlq }))
        .toThrow(/^the dead-letter queue of Test\/Bus is encrypted with the key Test\/Imported, whose key policy this app cannot change/);
    });

    test('no dependency cycle, also with a rule', () => {
      // GIVEN
      const stack = newStack();
      const key = new kms.Key(stack, 'Key');
      const eb = bus(stack, { encryptionKey: key });

      // WHEN
      const { rule } = eb.addRule('Orders', {
        eventPattern: ORDERS,
        targets: [new targets.LambdaFunction(newFunction(stack)), new targets.SqsQueue(newQueue(stack, 'Target'))],
      });

      // THEN
      expect(() => Template.fromStack(stack)).not.toThrow();
      // the key names neither the bus, the archive nor the rule by reference
      const keyResource = JSON.stringify(resourceOf(stack, key));
      for (const construct of [eb.eventBus, eb.archive, rule]) {
        expect(keyResource).not.toContain(logicalIdOf(construct));
      }
      expect(propertiesOf(stack, rule).Targets).toHaveLength(2);
    });
  });

  test('a shared deadLetterQueue', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq');

    // WHEN
    const eb = bus(stack, { deadLetterQueue: dlq });
    const { rule } = eb.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(newFunction(stack))] });

    // THEN
    expect(eb.deadLetterQueue).toBe(dlq);
    expect(eb.alarms[0]).toBe(dlq.depthAlarm);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    const dlqArn = { 'Fn::GetAtt': [logicalIdOf(dlq.queue), 'Arn'] };
    expect(propertiesOf(stack, eb.eventBus).DeadLetterConfig).toEqual({ Arn: dlqArn });
    expect(propertiesOf(stack, rule).Targets[0].DeadLetterConfig).toEqual({ Arn: dlqArn });
    expect(eventBridgeStatementsOf(stack, dlq)).toEqual([
      allowEventBridgeFrom(dlq, arnOf(`event-bus/${eb.eventBusName}`)),
      allowEventBridgeFrom(dlq, { 'Fn::GetAtt': [logicalIdOf(rule), 'Arn'] }),
    ]);
  });

  test('targetRetryAttempts and targetMaxEventAge', () => {
    // GIVEN
    const stack = newStack();
    const eb = bus(stack, { targetRetryAttempts: 3, targetMaxEventAge: Duration.hours(1) });
    const min = bus(stack, { targetRetryAttempts: 0, targetMaxEventAge: Duration.seconds(60) }, 'Min');

    // WHEN
    const { rule } = eb.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(newFunction(stack))] });
    const { rule: minRule } = min.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.SqsQueue(newQueue(stack, 'Target'))] });

    // THEN
    expect(eb.targetRetryAttempts).toBe(3);
    expect(eb.targetMaxEventAge.toSeconds()).toBe(3600);
    expect(propertiesOf(stack, rule).Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 });
    expect(propertiesOf(stack, minRule).Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  });

  test('alarmAction on the dead-letter queue alarm and on every rule alarm', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    const eb = bus(stack, { alarmAction: new cw_actions.SnsAction(topic) });

    // WHEN
    eb.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(newFunction(stack))] });

    // THEN
    expect(eb.alarms).toHaveLength(2);
    const topicRef = { Ref: logicalIdOf(topic) };
    for (const alarm of eb.alarms) {
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
    const eb = bus(stack, { deadLetterQueue: dlq, alarmAction: new cw_actions.SnsAction(topic) });

    // WHEN
    eb.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(newFunction(stack))] });

    // THEN
    expect(propertiesOf(stack, dlq.depthAlarm).AlarmActions).toBeUndefined();
    expect(propertiesOf(stack, eb.alarms[1]).AlarmActions).toEqual([{ Ref: logicalIdOf(topic) }]);
  });

  describe('addRule', () => {
    test('returns a rule on the bus whose targets get the dead-letter queue and the retry policy', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);
      const fn = newFunction(stack);
      const queue = newQueue(stack, 'Target');

      // WHEN
      const { rule } = eb.addRule('Orders', {
        eventPattern: ORDERS,
        targets: [new targets.LambdaFunction(fn), new targets.SqsQueue(queue)],
        description: 'Orders to the handler and the queue',
      });

      // THEN
      expect(rule).toBeInstanceOf(events.Rule);
      expect(rule.node.path).toBe('Test/Bus/Rules/Orders');
      const dlqArn = { 'Fn::GetAtt': [logicalIdOf(eb.deadLetterQueue.queue), 'Arn'] };
      const retryPolicy = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 };
      expect(propertiesOf(stack, rule)).toEqual({
        EventBusName: { Ref: logicalIdOf(eb.eventBus) },
        EventPattern: { source: ['orders'] },
        Description: 'Orders to the handler and the queue',
        State: 'ENABLED',
        Targets: [
          { Id: 'Target0', Arn: { 'Fn::GetAtt': [logicalIdOf(fn), 'Arn'] }, DeadLetterConfig: { Arn: dlqArn }, RetryPolicy: retryPolicy },
          { Id: 'Target1', Arn: { 'Fn::GetAtt': [logicalIdOf(queue), 'Arn'] }, DeadLetterConfig: { Arn: dlqArn }, RetryPolicy: retryPolicy },
        ],
      });
    });

    test('a target that sets its own dead-letter queue and retry policy keeps them', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);
      const queue = newQueue(stack, 'Target');
      const otherQueue = newQueue(stack, 'OtherDlq');
      const fn = newFunction(stack);

      // WHEN
      const { rule } = eb.addRule('Orders', {
        eventPattern: ORDERS,
        targets: [
          new targets.SqsQueue(queue, { deadLetterQueue: otherQueue, retryAttempts: 3 }),
          new targets.LambdaFunction(fn, { maxEventAge: Duration.hours(2) }),
        ],
      });

      // THEN
      const [own, mixed] = propertiesOf(stack, rule).Targets;
      expect(own.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [logicalIdOf(otherQueue), 'Arn'] } });
      expect(own.RetryPolicy).toEqual({ MaximumRetryAttempts: 3 });
      expect(mixed.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [logicalIdOf(eb.deadLetterQueue.queue), 'Arn'] } });
      expect(mixed.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 7200 });
    });

    test('a rule whose targets all have their own dead-letter queue adds nothing to the bus dead-letter queue policy', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);
      const otherQueue = newQueue(stack, 'OtherDlq');

      // WHEN
      eb.addRule('Orders', {
        eventPattern: ORDERS,
        targets: [new targets.LambdaFunction(newFunction(stack), { deadLetterQueue: otherQueue })],
      });

      // THEN
      expect(eventBridgeStatementsOf(stack, eb.deadLetterQueue)).toEqual([
        allowEventBridgeFrom(eb.deadLetterQueue, arnOf(`event-bus/${eb.eventBusName}`)),
      ]);
    });

    test('one dead-letter queue policy statement per rule, not per target', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);
      const fn = newFunction(stack);

      // WHEN
      const { rule: orders } = eb.addRule('Orders', {
        eventPattern: ORDERS,
        targets: [new targets.LambdaFunction(fn), new targets.SqsQueue(newQueue(stack, 'A')), new targets.SqsQueue(newQueue(stack, 'B'))],
      });
      const { rule: payments } = eb.addRule('Payments', {
        eventPattern: { source: ['payments'] },
        targets: [new targets.LambdaFunction(fn), new targets.SqsQueue(newQueue(stack, 'C'))],
      });

      // THEN
      expect(eventBridgeStatementsOf(stack, eb.deadLetterQueue)).toEqual([
        allowEventBridgeFrom(eb.deadLetterQueue, arnOf(`event-bus/${eb.eventBusName}`)),
        allowEventBridgeFrom(eb.deadLetterQueue, { 'Fn::GetAtt': [logicalIdOf(orders), 'Arn'] }),
        allowEventBridgeFrom(eb.deadLetterQueue, { 'Fn::GetAtt': [logicalIdOf(payments), 'Arn'] }),
      ]);
    });

    test('acceptReplays false refuses replayed events', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);

      // WHEN
      const { rule } = eb.addRule('Orders', {
        eventPattern: { source: ['orders'], detailType: ['OrderPlaced'] },
        targets: [new targets.LambdaFunction(newFunction(stack))],
        acceptReplays: false,
      });

      // THEN
      expect(propertiesOf(stack, rule).EventPattern).toEqual({
        'source': ['orders'],
        'detail-type': ['OrderPlaced'],
        'replay-name': [{ exists: false }],
      });
    });

    test('replayed events are accepted by default and with acceptReplays true', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);
      const fn = newFunction(stack);

      // WHEN
      const { rule: byDefault } = eb.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(fn)] });
      const { rule: explicit } = eb.addRule('Payments', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(fn)], acceptReplays: true });

      // THEN
      expect(propertiesOf(stack, byDefault).EventPattern).toEqual({ source: ['orders'] });
      expect(propertiesOf(stack, explicit).EventPattern).toEqual({ source: ['orders'] });
    });

    test('each rule adds an alarm on the events it could not send to the dead-letter queue', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);
      const fn = newFunction(stack);

      // WHEN
      const orders = eb.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(fn)] });
      const payments = eb.addRule('Payments', { eventPattern: { source: ['payments'] }, targets: [new targets.LambdaFunction(fn)] });

      // THEN each rule comes back with its alarm, and alarms lists them all
      expect(eb.alarms).toEqual([eb.deadLetterQueue.depthAlarm, orders.deadLetterFailuresAlarm, payments.deadLetterFailuresAlarm]);
      expect(eb.rules).toEqual([orders, payments]);
      Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 3);
      for (const { deadLetterFailuresAlarm: alarm, rule } of [orders, payments]) {
        const props = propertiesOf(stack, alarm);
        expect(props).toMatchObject({
          Namespace: 'AWS/Events',
          MetricName: 'InvocationsFailedToBeSentToDlq',
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        });
        expect(props.Dimensions.map((d: any) => d.Name).sort()).toEqual(['EventBusName', 'RuleName']);
        expect(props.Dimensions).toContainEqual({ Name: 'EventBusName', Value: eb.eventBusName });
        expect(props.AlarmActions).toBeUndefined();
        expect(rule.node.tryFindChild('DeadLetterFailuresAlarm')).toBe(alarm);
      }
    });

    test('the alarm dimension RuleName is the bare rule name, not the "bus|rule" that Ref returns on a custom bus', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);

      // WHEN
      const { rule } = eb.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(newFunction(stack))] });

      // THEN
      // CloudFormation's Ref of an AWS::Events::Rule on a custom bus returns `<bus name>|<rule name>`
      // (aws-cloudformation/cloudformation-coverage-roadmap#1131), while the AWS/Events metrics carry the
      // bare rule name: a dimension built from Ref names a metric that never exists, so the alarm never fires.
      const ruleProps = propertiesOf(stack, rule);
      const bareRuleName = ruleProps.Name ?? { 'Fn::Select': [1, { 'Fn::Split': ['|', { Ref: logicalIdOf(rule) }] }] };
      const dimensions = propertiesOf(stack, eb.alarms[1]).Dimensions;
      expect(dimensions).toContainEqual({ Name: 'RuleName', Value: bareRuleName });
      expect(dimensions).not.toContainEqual({ Name: 'RuleName', Value: { Ref: logicalIdOf(rule) } });
    });
  });

  test('grantReplay gives another role the 3 replay actions and nothing else', () => {
    // GIVEN
    const stack = newStack();
    const eb = bus(stack);
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });

    // WHEN
    const grant = eb.grantReplay(operator);

    // THEN
    expect(grant.success).toBe(true);
    expect(statementsOf(Template.fromStack(stack), operator)).toEqual(replayStatements(eb));
    // the operator's and the replay function's roles
    const template = Template.fromStack(stack);
    expect(actionsOn(template, { 'Fn::GetAtt': [logicalIdOf(eb.archive), 'Arn'] })).toEqual(['events:StartReplay', 'events:StartReplay']);
    expect(actionsOn(template, arnOf(`replay/${eb.replayNamePrefix}*`)))
      .toEqual(['events:CancelReplay', 'events:CancelReplay', 'events:DescribeReplay', 'events:DescribeReplay']);
  });

  test('grantPutEventsTo', () => {
    // GIVEN
    const stack = newStack();
    const eb = bus(stack);
    const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN
    const grant = eb.grantPutEventsTo(producer);

    // THEN
    expect(grant.success).toBe(true);
    expect(statementsOf(Template.fromStack(stack), producer)).toEqual([{
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': [logicalIdOf(eb.eventBus), 'Arn'] },
    }]);
  });

  describe('targets added after addRule()', () => {
    test('a target added with rule.addTarget() fails synth: it would have no dead-letter queue nor retry policy', () => {
      // GIVEN a rule of the bus, and a target added to it afterwards
      const stack = newStack();
      const eb = bus(stack);
      const { rule } = eb.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(newFunction(stack, 'First'))] });
      rule.addTarget(new targets.LambdaFunction(newFunction(stack, 'Later')));
      // WHEN / THEN
      expect(() => Template.fromStack(stack)).toThrow(
        /target Target1 of Test\/Bus\/Rules\/Orders has no dead-letter queue: a target added with rule.addTarget\(\) after ArchivedEventBus.addRule\(\) skips/);
    });

    test('a target added later with its own dead-letter queue and retry policy is accepted', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);
      const { rule } = eb.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(newFunction(stack, 'First'))] });
      rule.addTarget(new targets.LambdaFunction(newFunction(stack, 'Later'), {
        deadLetterQueue: eb.deadLetterQueue.queue, retryAttempts: 3, maxEventAge: Duration.hours(1),
      }));
      // WHEN / THEN
      expect(() => Template.fromStack(stack)).not.toThrow();
    });
  });

  test('metricInvocationsFailedToBeSentToDlq() is what each rule\'s alarm watches', () => {
    // GIVEN
    const stack = newStack();
    const eb = bus(stack);
    const { rule } = eb.addRule('Orders', { eventPattern: ORDERS, targets: [new targets.LambdaFunction(newFunction(stack))] });
    // WHEN
    const metric = eb.metricInvocationsFailedToBeSentToDlq(rule, { period: Duration.minutes(1) });
    // THEN
    expect(metric.metricName).toBe('InvocationsFailedToBeSentToDlq');
    expect(metric.period.toMinutes()).toBe(1);
    expect(stack.resolve(metric.with({ period: Duration.minutes(5) }).toMetricConfig())).toEqual(stack.resolve(eb.alarms[1].metric.toMetricConfig()));
  });

  describe('validation', () => {
    test('fails if archiveRetention is not whole days', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => bus(stack, { archiveRetention: Duration.hours(36) }))
        .toThrow(/archiveRetention must be whole days \(Duration.days\(0\) keeps events forever\), got 36 h/);
    });

    test('fails with the same message if archiveRetention is not whole hours', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => bus(stack, { archiveRetention: Duration.minutes(90) }))
        .toThrow(/archiveRetention must be whole days \(Duration.days\(0\) keeps events forever\), got 90 min/);
    });

    test.each<[string, ArchivedEventBusProps, RegExp]>([
      ['targetRetryAttempts is -1', { targetRetryAttempts: -1 }, /targetRetryAttempts must be an integer between 0 and 185, got -1/],
      ['targetRetryAttempts is 186', { targetRetryAttempts: 186 }, /targetRetryAttempts must be an integer between 0 and 185, got 186/],
      ['targetMaxEventAge is 59 seconds', { targetMaxEventAge: Duration.seconds(59) }, /targetMaxEventAge must be between 60 s and 1 day, got 59 s/],
      ['targetMaxEventAge is 25 hours', { targetMaxEventAge: Duration.hours(25) }, /targetMaxEventAge must be between 60 s and 1 day, got 25 h/],
    ])('fails if %s', (_case, props, message) => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => bus(stack, props)).toThrow(message);
    });

    test('fails if deadLetterQueue is FIFO', () => {
      // GIVEN
      const stack = newStack();
      const dlq = new DeadLetterQueue(stack, 'Dlq', { fifo: true });
      // WHEN / THEN
      expect(() => bus(stack, { deadLetterQueue: dlq }))
        .toThrow(/deadLetterQueue must be a standard queue: EventBridge does not support FIFO dead-letter queues, got the FIFO queue Test\/Dlq/);
    });

    test.each<[string, ArchivedEventBusProps, RegExp]>([
      ['eventBusName is default', { eventBusName: 'default' }, /eventBusName must be 1-256 letters, digits, .* and not 'default', got 'default'/],
      ['eventBusName has a space', { eventBusName: 'orders bus' }, /eventBusName must be 1-256 letters, digits, .* got 'orders bus'/],
      ['eventBusName has a slash, which a custom bus name must not have', { eventBusName: 'orders/prod' }, /eventBusName must be .* got 'orders\/prod'/],
      ['eventBusName is longer than 256 characters', { eventBusName: 'b'.repeat(257) }, /eventBusName must be 1-256 letters, digits, .* got 'b{257}'/],
    ])('fails if %s', (_case, props, message) => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => bus(stack, props)).toThrow(message);
    });

    test('fails if addRule has no targets', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);
      // WHEN / THEN
      expect(() => eb.addRule('Orders', { eventPattern: ORDERS, targets: [] }))
        .toThrow(/targets must list 1 to 5 targets \(an EventBridge rule's limit\), got 0/);
      expect(eb.alarms).toHaveLength(1);
    });

    test('fails if addRule has 6 targets', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);
      const fn = newFunction(stack);
      const six = Array.from({ length: 6 }, () => new targets.LambdaFunction(fn));
      // WHEN / THEN
      expect(() => eb.addRule('Orders', { eventPattern: ORDERS, targets: six }))
        .toThrow(/targets must list 1 to 5 targets \(an EventBridge rule's limit\), got 6/);
      expect(eb.addRule('Five', { eventPattern: ORDERS, targets: six.slice(0, 5) }).rule).toBeInstanceOf(events.Rule);
    });

    test('fails if addRule has an empty event pattern', () => {
      // GIVEN
      const stack = newStack();
      const eb = bus(stack);
      // WHEN / THEN
      expect(() => eb.addRule('Orders', { eventPattern: {}, targets: [new targets.LambdaFunction(newFunction(stack))] }))
        .toThrow(/eventPattern must match something: an empty pattern matches no event, got \{\}/);
    });
  });

  describe('names', () => {
    function namesIn(build: (stack: Stack) => ArchivedEventBus, stackId = 'Test'): { busName: string; prefix: string } {
      const stack = new Stack(newApp(), stackId);
      const eb = build(stack);
      return { busName: propertiesOf(stack, eb.eventBus).Name, prefix: eb.replayNamePrefix };
    }

    test('are deterministic', () => {
      // GIVEN
      const build = (stack: Stack) => bus(stack);

      // WHEN
      const first = namesIn(build);
      const second = namesIn(build);

      // THEN
      expect(first.busName).toMatch(/^Test-Bus-[0-9a-f]{8}$/);
      expect(first.prefix).toMatch(/^Test-Bus-[0-9a-f]{8}$/);
      expect(second).toEqual(first);
    });

    test('differ by stack and by construct path', () => {
      // WHEN
      const base = namesIn(stack => bus(stack));
      const otherStack = namesIn(stack => bus(stack), 'Other');
      const otherId = namesIn(stack => bus(stack, {}, 'Payments'));

      // THEN
      expect(new Set([base.busName, otherStack.busName, otherId.busName]).size).toBe(3);
      expect(new Set([base.prefix, otherStack.prefix, otherId.prefix]).size).toBe(3);
    });

    test('the replay name prefix is at most 38 characters, with a long construct id and stack name', () => {
      // GIVEN
      const stackName = 'S'.repeat(60);
      const longId = 'VeryLongConstructId'.repeat(5);

      // WHEN
      const long = namesIn(stack => bus(stack, {}, longId), stackName);
      const sibling = namesIn(stack => bus(stack, {}, `${longId}2`), stackName);

      // THEN
      expect(long.prefix.length).toBeLessThanOrEqual(38);
      expect(long.prefix).toMatch(/^S+-[0-9a-f]{8}$/);
      expect(long.busName).toMatch(new RegExp(`^${stackName}-${longId}-[0-9a-f]{8}$`));
      // the hash keeps names apart when the readable part is cut
      expect(sibling.prefix).not.toEqual(long.prefix);
      expect(sibling.busName).not.toEqual(long.busName);
    });

    test('a default bus name is at most 256 characters, and the bus synthesizes', () => {
      // GIVEN
      const stackName = 'S'.repeat(120);
      const longId = 'VeryLongConstructId'.repeat(10);

      // WHEN
      const long = namesIn(stack => bus(stack, {}, longId), stackName);

      // THEN
      expect(long.busName.length).toBeLessThanOrEqual(256);
      expect(long.busName).toMatch(/^[A-Za-z0-9_-]+-[0-9a-f]{8}$/);
      expect(long.prefix.length).toBeLessThanOrEqual(38);
    });

    test('an eventBusName of 256 characters (the maximum) synthesizes', () => {
      // GIVEN
      const name = 'b'.repeat(256);

      // WHEN
      const names = namesIn(stack => bus(stack, { eventBusName: name }));

      // THEN
      expect(names.busName).toBe(name);
    });
  });

  test('snapshot', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    const eb = bus(stack, { alarmAction: new cw_actions.SnsAction(topic) });

    // WHEN
    eb.addRule('Orders', {
      eventPattern: ORDERS,
      targets: [new targets.LambdaFunction(newFunction(stack)), new targets.SqsQueue(newQueue(stack, 'Target'))],
      acceptReplays: false,
    });

    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
