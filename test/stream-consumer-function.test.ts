import * as path from 'path';
import { CfnParameter, Duration, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeadLetterQueue, DefaultAlarmAction, StreamConsumerFunction, StreamConsumerFunctionProps } from '../src';
import {
  acknowledgementsOn, handlerProps, logicalIdOf, maskAssetHashes, newApp, newStack, propertiesOf, regionalStack, resourceOf, statementsOf,
} from './helpers';

const IMPORTED_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:clicks';
const IMPORTED_ROLE_ARN = 'arn:aws:iam::123456789012:role/clicks';
const IMPORTED_STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks';
const IMPORTED_TABLE_STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-11-29T00:00:00.000';

/** A Kinesis stream of the test's stack (encrypted with the AWS managed key). */
function newStream(stack: Stack, props: kinesis.StreamProps = {}, id = 'Clicks'): kinesis.Stream {
  return new kinesis.Stream(stack, id, { encryption: kinesis.StreamEncryption.MANAGED, ...props });
}

const partitionKey = { name: 'id', type: dynamodb.AttributeType.STRING };

/** A StreamConsumerFunction on a new Kinesis stream (unless `props` name a source), with a new function (30 s timeout). */
function consumer(stack: Stack, props: Partial<StreamConsumerFunctionProps> = {}, id = 'Consumer'): StreamConsumerFunction {
  const source = props.stream || props.table ? {} : { stream: newStream(stack) };
  return new StreamConsumerFunction(stack, id, { functionProps: handlerProps, ...source, ...props });
}

/** Every permission granted to `role`, as sorted `<action> on <resource>` lines, however the policy groups them. */
function grantsOf(stack: Stack, role: iam.IRole): string[] {
  return statementsOf(Template.fromStack(stack), role).flatMap(statement => {
    expect(statement.Effect).toBe('Allow');
    const actions: string[] = [statement.Action].flat();
    const resources: unknown[] = [statement.Resource].flat();
    return actions.flatMap(action => resources.map(resource => `${action} on ${typeof resource === 'string' ? resource : JSON.stringify(resource)}`));
  }).sort();
}

/** The properties of the only event source mapping of the stack. */
function mappingOf(stack: Stack): any {
  const mappings = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::EventSourceMapping'));
  expect(mappings).toHaveLength(1);
  return mappings[0].Properties;
}

describe('StreamConsumerFunction', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();
    const stream = newStream(stack);

    // WHEN
    const scf = new StreamConsumerFunction(stack, 'Consumer', { stream, functionProps: handlerProps });

    // THEN
    expect(scf.retryAttempts).toBe(3);
    expect(scf.maxRecordAge.toSeconds()).toBe(3600);
    expect(scf.batchSize).toBe(100);
    expect(scf.streamRetention.toHours()).toBe(24);
    expect(scf.function).toBeInstanceOf(lambda.Function);
    expect(scf.deadLetterQueue).toBeInstanceOf(DeadLetterQueue);
    expect(scf.deadLetterQueue.fifo).toBe(false);
    expect(scf.eventSourceMapping).toBeInstanceOf(lambda.EventSourceMapping);

    const dlqArn = { 'Fn::GetAtt': [logicalIdOf(scf.deadLetterQueue.queue), 'Arn'] };
    const streamArn = { 'Fn::GetAtt': [logicalIdOf(stream), 'Arn'] };
    const policy = scf.function.role!.node.tryFindChild('DefaultPolicy') as iam.Policy;

    // bisect, 3 retries, 1 hour, partial batch responses, from the oldest record, failures to the dead-letter queue,
    // created after the policy that lets the function read the stream
    expect(resourceOf(stack, scf.eventSourceMapping)).toEqual({
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: streamArn,
        FunctionName: { Ref: logicalIdOf(scf.function) },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 3,
        MaximumRecordAgeInSeconds: 3600,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: dlqArn } },
      },
      DependsOn: [logicalIdOf(policy)],
    });

    // the dead-letter queue: 14 days, SSE-SQS, no redrive-allow policy (no queue sends to it)
    expect(propertiesOf(stack, scf.deadLetterQueue.queue)).toEqual({ MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });

    // exactly what the mapping needs: read the stream, send to the dead-letter queue
    const dlq = JSON.stringify(dlqArn);
    const kinesisStream = JSON.stringify(streamArn);
    expect(grantsOf(stack, scf.function.role!)).toEqual([
      `kinesis:DescribeStream on ${kinesisStream}`,
      `kinesis:DescribeStreamConsumer on ${kinesisStream}`,
      `kinesis:DescribeStreamSummary on ${kinesisStream}`,
      `kinesis:GetRecords on ${kinesisStream}`,
      `kinesis:GetShardIterator on ${kinesisStream}`,
      `kinesis:ListShards on ${kinesisStream}`,
      `kinesis:ListStreams on ${kinesisStream}`,
      `kinesis:SubscribeToShard on ${kinesisStream}`,
      `sqs:GetQueueAttributes on ${dlq}`,
      `sqs:GetQueueUrl on ${dlq}`,
      `sqs:SendMessage on ${dlq}`,
    ]);

    // the created function is the one from functionProps, acknowledged as every pattern's function is
    expect(propertiesOf(stack, scf.function)).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x', Timeout: 30 });
    expect(acknowledgementsOn(scf.function)['Annotation::Serverless-LambdaDLQ']).toMatch(/on-failure destination/);

    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });

  test('resource counts with defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    consumer(stack);

    // THEN the stream is the user's; the construct adds 9 resources
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    expect(Object.keys(template.toJSON().Resources)).toHaveLength(10);
  });

  test('alarms: dead-letter queue depth, iterator age at half of maxRecordAge, function errors', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const scf = consumer(stack);

    // THEN
    expect(scf.alarms).toEqual([scf.deadLetterQueue.depthAlarm, scf.iteratorAgeAlarm, scf.errorsAlarm]);
    const functionName = [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(scf.function) } }];
    expect(propertiesOf(stack, scf.iteratorAgeAlarm)).toEqual({
      AlarmDescription: 'Iterator age is 30 min, half of maxRecordAge (1 h): the consumer falls behind; records older than maxRecordAge go to the dead-letter queue unprocessed.',
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: functionName,
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1_800_000,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(propertiesOf(stack, scf.errorsAlarm)).toMatchObject({
      AlarmDescription: 'The consumer failed: its batch is split and retried (at most 11 invocations for a poison record), then its record goes to the dead-letter queue.',
      MetricName: 'Errors',
      Dimensions: functionName,
      Statistic: 'Sum',
      Threshold: 1,
    });
    expect(propertiesOf(stack, scf.deadLetterQueue.depthAlarm)).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    for (const alarm of scf.alarms) {
      expect(propertiesOf(stack, alarm).AlarmActions).toBeUndefined();
    }
  });

  test('the errors alarm counts the worst case of a poison record: 1 + retryAttempts + ceil(log2(batchSize)) with bisecting', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    const one = consumer(stack, { batchSize: 1, retryAttempts: 0 }, 'One');
    const many = consumer(stack, { stream: newStream(stack, {}, 'Other'), batchSize: 10_000, retryAttempts: 5 }, 'Many');
    const wholeBatch = consumer(stack, { stream: newStream(stack, {}, 'Third'), bisectBatchOnError: false }, 'WholeBatch');
    // THEN
    expect(propertiesOf(stack, one.errorsAlarm).AlarmDescription).toMatch(/at most 1 invocations/);
    expect(propertiesOf(stack, many.errorsAlarm).AlarmDescription).toMatch(/at most 20 invocations/);
    expect(propertiesOf(stack, wholeBatch.errorsAlarm).AlarmDescription).toBe(
      'The consumer failed: its batch is retried (at most 4 invocations for a poison record), then its record goes to the dead-letter queue.');
  });

  test('metric helpers are what the alarms watch, with the options given', () => {
    // GIVEN
    const stack = newStack();
    const scf = consumer(stack);
    // WHEN / THEN
    expect(stack.resolve(scf.metricIteratorAge().toMetricConfig())).toEqual(stack.resolve(scf.iteratorAgeAlarm.metric.toMetricConfig()));
    expect(stack.resolve(scf.metricErrors().toMetricConfig())).toEqual(stack.resolve(scf.errorsAlarm.metric.toMetricConfig()));
    expect(scf.metricIteratorAge({ statistic: 'p99' }).statistic).toBe('p99');
    expect(scf.metricIteratorAge({ period: Duration.minutes(1) }).period.toSeconds()).toBe(60);
  });

  test('every option', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    consumer(stack, {
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 500,
      maxBatchingWindow: Duration.seconds(20),
      parallelizationFactor: 10,
      bisectBatchOnError: false,
      retryAttempts: 0,
      maxRecordAge: Duration.minutes(10),
      reportBatchItemFailures: false,
      filters: [lambda.FilterCriteria.filter({ data: { kind: lambda.FilterRule.isEqual('click') } })],
    });

    // THEN
    expect(mappingOf(stack)).toMatchObject({
      StartingPosition: 'LATEST',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 20,
      ParallelizationFactor: 10,
      BisectBatchOnFunctionError: false,
      MaximumRetryAttempts: 0,
      MaximumRecordAgeInSeconds: 600,
      FilterCriteria: { Filters: [{ Pattern: '{"data":{"kind":["click"]}}' }] },
    });
    expect(mappingOf(stack).FunctionResponseTypes).toBeUndefined();
  });

  test.each([
    ['60 seconds', Duration.seconds(60), 60],
    ['23 hours', Duration.hours(23), 82_800],
  ])('maxRecordAge %s', (_name, maxRecordAge, seconds) => {
    // GIVEN
    const stack = newStack();
    // WHEN
    const scf = consumer(stack, { maxRecordAge });
    // THEN
    expect(mappingOf(stack).MaximumRecordAgeInSeconds).toBe(seconds);
    expect(propertiesOf(stack, scf.iteratorAgeAlarm).Threshold).toBe(seconds * 500);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('an odd number of seconds: the iterator-age threshold is rounded down to whole seconds', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    const scf = consumer(stack, { maxRecordAge: Duration.seconds(61) });
    // THEN
    expect(mappingOf(stack).MaximumRecordAgeInSeconds).toBe(61);
    expect(propertiesOf(stack, scf.iteratorAgeAlarm)).toMatchObject({
      Threshold: 30_000,
      AlarmDescription: expect.stringMatching(/^Iterator age is 30 s, half of maxRecordAge \(61 s\)/),
    });
  });

  test('a maxRecordAge below a second is refused with the prop and the range', () => {
    // GIVEN
    const stack = newStack();
    // WHEN / THEN
    expect(() => consumer(stack, { maxRecordAge: Duration.millis(500) })).toThrow(/maxRecordAge must be between 60 s and 7 days, got 500 ms/);
  });

  test('retryAttempts 10000, the most AWS allows', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    consumer(stack, { retryAttempts: 10_000 });
    // THEN
    expect(mappingOf(stack).MaximumRetryAttempts).toBe(10_000);
  });

  describe('the iterator-age alarm sits below the shorter of the retention and maxRecordAge', () => {
    test('a Kinesis stream of this app: its retention is read from the stream', () => {
      // GIVEN a stream that keeps records 48 hours
      const stack = newStack();
      const stream = newStream(stack, { retentionPeriod: Duration.hours(48) });
      // WHEN maxRecordAge is longer than the stream's retention
      const scf = consumer(stack, { stream, maxRecordAge: Duration.days(3) });
      // THEN the alarm is at half the retention, and a warning says that records can expire unseen
      expect(scf.streamRetention.toHours()).toBe(48);
      expect(propertiesOf(stack, scf.iteratorAgeAlarm)).toMatchObject({
        Threshold: 86_400_000,
        AlarmDescription: 'Iterator age is 1 day, half of the stream\'s retention (2 days): the consumer falls behind; records older than maxRecordAge go to the dead-letter queue unprocessed.',
      });
      Annotations.fromStack(stack).hasWarning('/Test/Consumer', Match.stringLikeRegexp(
        'maxRecordAge is 3 days, not below the stream\'s retention \\(2 days\\): a record the consumer falls behind on can expire from the stream before Lambda gives up on it'));
    });

    test('a Kinesis stream of this app with a longer retention than maxRecordAge: no warning', () => {
      // GIVEN
      const stack = newStack();
      const stream = newStream(stack, { retentionPeriod: Duration.days(7) });
      // WHEN
      const scf = consumer(stack, { stream, maxRecordAge: Duration.days(6) });
      // THEN
      expect(propertiesOf(stack, scf.iteratorAgeAlarm).Threshold).toBe(3 * 86_400_000);
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });

    test('an imported Kinesis stream: 24 hours assumed, and a warning that says so when maxRecordAge is not below it', () => {
      // GIVEN
      const stack = newStack();
      const stream = kinesis.Stream.fromStreamArn(stack, 'Imported', IMPORTED_STREAM_ARN);
      // WHEN
      const scf = consumer(stack, { stream, maxRecordAge: Duration.days(2) });
      // THEN
      expect(scf.streamRetention.toHours()).toBe(24);
      expect(propertiesOf(stack, scf.iteratorAgeAlarm)).toMatchObject({
        Threshold: 43_200_000,
        AlarmDescription: expect.stringContaining('half of the stream\'s retention (1 day (Kinesis\'s default, assumed: the stream\'s own is unknown here))'),
      });
      expect(mappingOf(stack).EventSourceArn).toBe(IMPORTED_STREAM_ARN);
      Annotations.fromStack(stack).hasWarning('/Test/Consumer', Match.stringLikeRegexp(
        'maxRecordAge is 2 days, not below Kinesis\'s default retention \\(1 day\\), assumed because the retention of an imported stream is unknown here'));
    });

    test('a DynamoDB stream keeps records 24 hours', () => {
      // GIVEN
      const stack = newStack();
      const table = new dynamodb.TableV2(stack, 'Orders', { partitionKey, dynamoStream: dynamodb.StreamViewType.NEW_IMAGE });
      // WHEN
      const scf = consumer(stack, { table, maxRecordAge: Duration.hours(24) });
      // THEN
      expect(scf.streamRetention.toHours()).toBe(24);
      expect(propertiesOf(stack, scf.iteratorAgeAlarm).Threshold).toBe(43_200_000);
      Annotations.fromStack(stack).hasWarning('/Test/Consumer', Match.stringLikeRegexp('maxRecordAge is 1 day, not below the stream\'s retention \\(1 day\\)'));
    });
  });

  describe('DynamoDB streams', () => {
    test('a Table with a stream: read on its stream, ListStreams on * acknowledged as aws-cdk-lib grants it', () => {
      // GIVEN
      const app = newApp();
      const stack = new Stack(app, 'Test');
      const table = new dynamodb.Table(stack, 'Orders', { partitionKey, stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES });

      // WHEN
      const scf = consumer(stack, { table });

      // THEN
      const streamArn = { 'Fn::GetAtt': [logicalIdOf(table), 'StreamArn'] };
      expect(mappingOf(stack)).toMatchObject({
        EventSourceArn: streamArn,
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 3,
        MaximumRecordAgeInSeconds: 3600,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      const stream = JSON.stringify(streamArn);
      expect(grantsOf(stack, scf.function.role!).filter(g => g.startsWith('dynamodb:'))).toEqual([
        `dynamodb:DescribeStream on ${stream}`,
        `dynamodb:GetRecords on ${stream}`,
        `dynamodb:GetShardIterator on ${stream}`,
        'dynamodb:ListStreams on *',
      ]);
      expect(acknowledgementsOn(scf.function.role!)['Annotation::AwsSolutions-IAM5[Resource::*]']).toMatch(/dynamodb:ListStreams/);
      const iam5 = new AwsSolutionsChecks(app).validateScope(stack).violations.filter(v => v.ruleName.startsWith('AwsSolutions-IAM5'));
      expect(iam5).toEqual([]);
    });

    test('a TableV2 with a stream: every read scoped to the stream, nothing acknowledged', () => {
      // GIVEN
      const stack = newStack();
      const table = new dynamodb.TableV2(stack, 'Orders', { partitionKey, dynamoStream: dynamodb.StreamViewType.NEW_IMAGE });

      // WHEN
      const scf = consumer(stack, { table });

      // THEN
      const streamArn = { 'Fn::GetAtt': [logicalIdOf(table), 'StreamArn'] };
      expect(mappingOf(stack).EventSourceArn).toEqual(streamArn);
      const stream = JSON.stringify(streamArn);
      expect(grantsOf(stack, scf.function.role!).filter(g => g.startsWith('dynamodb:'))).toEqual([
        `dynamodb:DescribeStream on ${stream}`,
        `dynamodb:GetRecords on ${stream}`,
        `dynamodb:GetShardIterator on ${stream}`,
        `dynamodb:ListStreams on ${stream}`,
      ]);
      expect(acknowledgementsOn(scf.function.role!)).toEqual({});
    });

    test('a TableV2 whose stream comes from a replica added later', () => {
      // GIVEN a global table, which has a stream once it has a replica
      const stack = regionalStack();
      const table = new dynamodb.TableV2(stack, 'Orders', { partitionKey });

      // WHEN
      consumer(stack, { table });
      table.addReplica({ region: 'eu-central-1' });

      // THEN
      expect(() => Template.fromStack(stack)).not.toThrow();
      expect(mappingOf(stack).EventSourceArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(table), 'StreamArn'] });
    });

    test('a table imported with its stream ARN', () => {
      // GIVEN
      const stack = newStack();
      const table = dynamodb.Table.fromTableAttributes(stack, 'Imported', { tableName: 'orders', tableStreamArn: IMPORTED_TABLE_STREAM_ARN });
      // WHEN
      const scf = consumer(stack, { table });
      // THEN
      expect(mappingOf(stack).EventSourceArn).toBe(IMPORTED_TABLE_STREAM_ARN);
      expect(grantsOf(stack, scf.function.role!)).toContain(`dynamodb:GetRecords on ${IMPORTED_TABLE_STREAM_ARN}`);
    });
  });

  test('a Kinesis stream encrypted with a customer-managed key: the function may decrypt', () => {
    // GIVEN
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Clicks', { encryption: kinesis.StreamEncryption.KMS });
    // WHEN
    const scf = consumer(stack, { stream });
    // THEN
    expect(grantsOf(stack, scf.function.role!)).toContain(`kms:Decrypt on ${JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(stream.encryptionKey!), 'Arn'] })}`);
  });

  test('a shared deadLetterQueue: no queue of its own, the shared queue\'s alarm listed', () => {
    // GIVEN
    const stack = newStack();
    const shared = new DeadLetterQueue(stack, 'Failures');
    // WHEN
    const first = consumer(stack, { deadLetterQueue: shared }, 'First');
    const second = consumer(stack, { stream: newStream(stack, {}, 'Other'), deadLetterQueue: shared }, 'Second');
    // THEN
    expect(first.deadLetterQueue).toBe(shared);
    expect(second.alarms[0]).toBe(shared.depthAlarm);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    for (const mapping of Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))) {
      expect(mapping.Properties.DestinationConfig).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(shared.queue), 'Arn'] } } });
    }
  });

  test('encryptionKey encrypts the dead-letter queue it creates; the function may send there before the mapping exists', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    // WHEN
    const scf = consumer(stack, { encryptionKey: key });
    // THEN
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] };
    expect(scf.node.tryFindChild('DeadLetterQueue')).toBe(scf.deadLetterQueue);
    expect(scf.deadLetterQueue.encryptionKey).toBe(key);
    expect(propertiesOf(stack, scf.deadLetterQueue.queue).KmsMasterKeyId).toEqual(keyArn);
    const policy = scf.function.role!.node.tryFindChild('DefaultPolicy') as iam.Policy;
    expect(propertiesOf(stack, policy).PolicyDocument.Statement).toContainEqual(expect.objectContaining({
      Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
      Resource: keyArn,
    }));
    expect(resourceOf(stack, scf.eventSourceMapping).DependsOn).toContain(logicalIdOf(policy));
  });

  test('fails if encryptionKey is given with a deadLetterQueue', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const shared = new DeadLetterQueue(stack, 'Failures');
    // WHEN / THEN
    expect(() => consumer(stack, { encryptionKey: key, deadLetterQueue: shared }))
      .toThrow(/^encryptionKey encrypts the dead-letter queue StreamConsumerFunction creates, and it creates none when deadLetterQueue is given: .*got encryptionKey Test\/Key and deadLetterQueue Test\/Failures$/);
  });

  test('alarmAction on every alarm, on ALARM and on OK', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    // WHEN
    const scf = consumer(stack, { alarmAction: new cw_actions.SnsAction(topic) });
    // THEN
    for (const alarm of scf.alarms) {
      expect(propertiesOf(stack, alarm)).toMatchObject({ AlarmActions: [{ Ref: logicalIdOf(topic) }], OKActions: [{ Ref: logicalIdOf(topic) }] });
    }
  });

  test('DefaultAlarmAction reaches every alarm', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    DefaultAlarmAction.set(stack, new cw_actions.SnsAction(topic));
    // WHEN
    const scf = consumer(stack);
    // THEN
    for (const alarm of scf.alarms) {
      expect(propertiesOf(stack, alarm).AlarmActions).toEqual([{ Ref: logicalIdOf(topic) }]);
    }
  });

  test('a NodejsFunction the user brings: its mapping reads into it and the acknowledgement is on it', () => {
    // GIVEN
    const stack = newStack();
    const fn = new nodejs.NodejsFunction(stack, 'ClicksHandler', {
      entry: path.join(__dirname, 'fixtures', 'handlers', 'stream.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      timeout: Duration.seconds(30),
      bundling: { minify: true, externalModules: ['@aws-sdk/*'] },
    });
    // WHEN
    const scf = consumer(stack, { function: fn, functionProps: undefined });
    // THEN
    expect(scf.function).toBe(fn);
    expect(scf.eventSourceMapping.node.scope).toBe(scf);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
    expect(mappingOf(stack).FunctionName).toEqual({ Ref: logicalIdOf(fn) });
    expect(acknowledgementsOn(fn)['Annotation::Serverless-LambdaDLQ']).toMatch(/on-failure destination/);
  });

  test('an imported function with its role is granted the stream and the dead-letter queue', () => {
    // GIVEN
    const stack = newStack();
    const role = iam.Role.fromRoleArn(stack, 'ImportedRole', IMPORTED_ROLE_ARN);
    const fn = lambda.Function.fromFunctionAttributes(stack, 'Imported', { functionArn: IMPORTED_FUNCTION_ARN, role });
    // WHEN
    const scf = consumer(stack, { function: fn, functionProps: undefined });
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    expect(mappingOf(stack).FunctionName).toBe('clicks');
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['clicks'],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']), Resource: { 'Fn::GetAtt': [logicalIdOf(scf.deadLetterQueue.queue), 'Arn'] } }),
          Match.objectLike({ Action: Match.arrayWith(['kinesis:GetRecords']) }),
        ]),
      },
    });
    expect(propertiesOf(stack, scf.iteratorAgeAlarm).Dimensions).toEqual([{ Name: 'FunctionName', Value: 'clicks' }]);
  });

  test('tokens are not validated', () => {
    // GIVEN
    const stack = newStack();
    const number = (id: string) => Token.asNumber(new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber);
    // WHEN
    const scf = consumer(stack, { batchSize: number('BatchSize'), retryAttempts: number('Retries'), parallelizationFactor: number('Parallel') });
    // THEN
    expect(mappingOf(stack)).toMatchObject({ BatchSize: { Ref: 'BatchSize' }, MaximumRetryAttempts: { Ref: 'Retries' }, ParallelizationFactor: { Ref: 'Parallel' } });
    expect(propertiesOf(stack, scf.errorsAlarm).AlarmDescription).toBe('The consumer failed: its batch is split and retried, then its record goes to the dead-letter queue.');
  });

  describe('validation', () => {
    test.each<[string, Partial<StreamConsumerFunctionProps>, RegExp]>([
      ['retryAttempts is -1 (AWS\'s unbounded)', { retryAttempts: -1 },
        /retryAttempts must be an integer between 0 and 10000, got -1: AWS's -1 retries until the record expires from the stream/],
      ['retryAttempts is 10001', { retryAttempts: 10_001 }, /retryAttempts must be an integer between 0 and 10000, got 10001/],
      ['retryAttempts is not an integer', { retryAttempts: 2.5 }, /retryAttempts must be an integer between 0 and 10000, got 2.5/],
      ['maxRecordAge is 59 seconds', { maxRecordAge: Duration.seconds(59) }, /maxRecordAge must be between 60 s and 7 days, got 59 s/],
      ['maxRecordAge is 8 days', { maxRecordAge: Duration.days(8) }, /maxRecordAge must be between 60 s and 7 days, got 8 days/],
      ['parallelizationFactor is 0', { parallelizationFactor: 0 }, /parallelizationFactor must be an integer between 1 and 10, got 0/],
      ['parallelizationFactor is 11', { parallelizationFactor: 11 }, /parallelizationFactor must be an integer between 1 and 10, got 11/],
      ['batchSize is 0', { batchSize: 0 }, /batchSize must be an integer between 1 and 10000 for a Kinesis stream, got 0/],
      ['batchSize is 10001', { batchSize: 10_001 }, /batchSize must be an integer between 1 and 10000 for a Kinesis stream, got 10001/],
      ['maxBatchingWindow is 301 seconds', { maxBatchingWindow: Duration.seconds(301) }, /maxBatchingWindow must be between 0 s and 5 min, got 301 s/],
      ['startingPosition is AT_TIMESTAMP', { startingPosition: lambda.StartingPosition.AT_TIMESTAMP },
        /startingPosition must be TRIM_HORIZON or LATEST, got AT_TIMESTAMP/],
    ])('fails if %s', (_case, props, message) => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => consumer(stack, props)).toThrow(message);
    });

    test('fails if the batch size of a DynamoDB stream is above 10000, naming the source', () => {
      // GIVEN
      const stack = newStack();
      const table = new dynamodb.TableV2(stack, 'Orders', { partitionKey, dynamoStream: dynamodb.StreamViewType.NEW_IMAGE });
      // WHEN / THEN
      expect(() => consumer(stack, { table, batchSize: 10_001 })).toThrow(/batchSize must be an integer between 1 and 10000 for a DynamoDB stream, got 10001/);
    });

    test('fails if both stream and table are given', () => {
      // GIVEN
      const stack = newStack();
      const table = new dynamodb.TableV2(stack, 'Orders', { partitionKey, dynamoStream: dynamodb.StreamViewType.NEW_IMAGE });
      // WHEN / THEN
      expect(() => consumer(stack, { stream: newStream(stack), table }))
        .toThrow(/StreamConsumerFunction needs exactly one of stream \(a Kinesis stream\) or table \(a DynamoDB table with a stream\), got both/);
    });

    test('fails if neither stream nor table is given', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new StreamConsumerFunction(stack, 'Consumer', { functionProps: handlerProps }))
        .toThrow(/StreamConsumerFunction needs exactly one of stream \(a Kinesis stream\) or table \(a DynamoDB table with a stream\), got neither/);
    });

    test('fails if a Table has no stream', () => {
      // GIVEN
      const stack = newStack();
      const table = new dynamodb.Table(stack, 'Orders', { partitionKey });
      // WHEN / THEN
      expect(() => consumer(stack, { table })).toThrow(
        /^table must have a stream, got Test\/Orders without one: set stream \(Table\) or dynamoStream \(TableV2\), e\.g\. dynamodb\.StreamViewType\.NEW_AND_OLD_IMAGES/);
    });

    test('fails if a table is imported without its stream ARN', () => {
      // GIVEN
      const stack = newStack();
      const table = dynamodb.Table.fromTableName(stack, 'Imported', 'orders');
      // WHEN / THEN
      expect(() => consumer(stack, { table })).toThrow(/table must have a stream, got Test\/Imported without one: .*or import the table with its tableStreamArn/);
    });

    test('fails at synth if a TableV2 has no stream (nor a replica that would give it one)', () => {
      // GIVEN
      const app = newApp();
      const stack = new Stack(app, 'Test');
      const table = new dynamodb.TableV2(stack, 'Orders', { partitionKey });
      consumer(stack, { table });
      // WHEN / THEN
      expect(() => app.synth()).toThrow(/table must have a stream, got Test\/Orders without one/);
    });

    test('fails if deadLetterQueue is a FIFO queue', () => {
      // GIVEN
      const stack = newStack();
      const fifo = new DeadLetterQueue(stack, 'Failures', { fifo: true });
      // WHEN / THEN
      expect(() => consumer(stack, { deadLetterQueue: fifo }))
        .toThrow(/deadLetterQueue must be a standard queue: Lambda does not send stream failure records to FIFO queues, got the FIFO dead-letter queue Test\/Failures/);
    });

    test('fails if an imported function has no role, naming what it needs and how to import it', () => {
      // GIVEN
      const stack = newStack();
      const fn = lambda.Function.fromFunctionArn(stack, 'Imported', IMPORTED_FUNCTION_ARN);
      // WHEN / THEN
      expect(() => consumer(stack, { function: fn, functionProps: undefined })).toThrow(new RegExp(
        '^function Test/Imported was imported without its role, so StreamConsumerFunction cannot grant it read on the Kinesis stream and sqs:SendMessage on the dead-letter queue: '
        + 'import it with Function.fromFunctionAttributes\\(\\{ functionArn, role \\}\\)'));
    });

    test('fails if both function and functionProps are given', () => {
      // GIVEN
      const stack = newStack();
      const fn = new lambda.Function(stack, 'Handler', handlerProps);
      // WHEN / THEN
      expect(() => consumer(stack, { function: fn })).toThrow(/StreamConsumerFunction needs exactly one of function or functionProps, got both/);
    });

    test('fails if neither function nor functionProps is given', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new StreamConsumerFunction(stack, 'Consumer', { stream: newStream(stack) }))
        .toThrow(/StreamConsumerFunction needs exactly one of function or functionProps, got neither/);
    });
  });

  test('snapshot: Kinesis', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    // WHEN
    consumer(stack, { alarmAction: new cw_actions.SnsAction(topic) });
    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });

  test('snapshot: DynamoDB', () => {
    // GIVEN
    const stack = newStack();
    const table = new dynamodb.Table(stack, 'Orders', { partitionKey, stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES });
    // WHEN
    consumer(stack, { table });
    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
