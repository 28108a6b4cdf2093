import { CfnCustomResource, CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iotevents from 'aws-cdk-lib/aws-iotevents';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { CFN_TYPE, CfnModel } from '../../../src/checks/model/cfn-model';
import { handlerProps, newApp, newStack } from '../../helpers';

/** A resource whose only property throws `message` when it is resolved. */
function brokenQueue(stack: Stack, id: string, message: string): CfnResource {
  return new CfnResource(stack, id, {
    type: CFN_TYPE.QUEUE,
    properties: { QueueName: Lazy.string({ produce: () => { throw new Error(message); } }) },
  });
}

describe('CfnModel', () => {
  describe('CFN_TYPE', () => {
    // The classes are read here, in the test, and not by the model: see CFN_TYPE.
    const classes: Record<Exclude<keyof typeof CFN_TYPE, 'BUCKET_NOTIFICATIONS'>, { CFN_RESOURCE_TYPE_NAME: string }> = {
      QUEUE: sqs.CfnQueue,
      FUNCTION: lambda.CfnFunction,
      FUNCTION_ALIAS: lambda.CfnAlias,
      FUNCTION_VERSION: lambda.CfnVersion,
      EVENT_SOURCE_MAPPING: lambda.CfnEventSourceMapping,
      EVENT_INVOKE_CONFIG: lambda.CfnEventInvokeConfig,
      PERMISSION: lambda.CfnPermission,
      TOPIC: sns.CfnTopic,
      SUBSCRIPTION: sns.CfnSubscription,
      BUS: events.CfnEventBus,
      RULE: events.CfnRule,
      ARCHIVE: events.CfnArchive,
      API_DESTINATION: events.CfnApiDestination,
      BUCKET: s3.CfnBucket,
      STATE_MACHINE: sfn.CfnStateMachine,
      API_METHOD: apigateway.CfnMethod,
      API_V2: apigatewayv2.CfnApi,
      API_V2_INTEGRATION: apigatewayv2.CfnIntegration,
      SCHEDULE: scheduler.CfnSchedule,
      IOT_EVENTS_DETECTOR_MODEL: iotevents.CfnDetectorModel,
      CUSTOM_RESOURCE: CfnCustomResource,
      ROLE: iam.CfnRole,
      POLICY: iam.CfnPolicy,
      MANAGED_POLICY: iam.CfnManagedPolicy,
      APPCONFIG_ENVIRONMENT: appconfig.CfnEnvironment,
      APPCONFIG_DEPLOYMENT: appconfig.CfnDeployment,
      APPCONFIG_DEPLOYMENT_STRATEGY: appconfig.CfnDeploymentStrategy,
      KINESIS_STREAM: kinesis.CfnStream,
      KINESIS_STREAM_CONSUMER: kinesis.CfnStreamConsumer,
      TABLE: dynamodb.CfnTable,
      GLOBAL_TABLE: dynamodb.CfnGlobalTable,
      PIPE: pipes.CfnPipe,
      FIS_EXPERIMENT_TEMPLATE: fis.CfnExperimentTemplate,
    };

    test.each(Object.entries(classes))('%s is aws-cdk-lib\'s type name', (key, cfnClass) => {
      expect(CFN_TYPE[key as keyof typeof classes]).toEqual(cfnClass.CFN_RESOURCE_TYPE_NAME);
    });

    test('BUCKET_NOTIFICATIONS is the type of the custom resource behind aws-cdk-lib\'s S3 notifications', () => {
      // GIVEN
      const stack = newStack();
      new s3.Bucket(stack, 'Bucket').addObjectCreatedNotification(new s3n.SqsDestination(new sqs.Queue(stack, 'Queue')));
      // WHEN
      const types = new CfnModel(stack).resources.map(r => r.type);
      // THEN
      expect(types).toContain(CFN_TYPE.BUCKET_NOTIFICATIONS);
    });
  });

  describe('a resource that fails to render', () => {
    test('is kept in unrendered with the first line of its error, and the rest of the stack is modelled', () => {
      // GIVEN
      const stack = newStack();
      const broken = brokenQueue(stack, 'Broken', 'no name yet\nsecond line');
      const queue = new sqs.Queue(stack, 'Queue');
      // WHEN
      const model = new CfnModel(stack);
      // THEN
      expect(model.unrendered).toEqual([{ construct: broken, error: 'Resolution error: no name yet' }]);
      expect(model.renderErrorOf(broken)).toEqual('Resolution error: no name yet');
      expect(model.resourceOf(broken)).toBeUndefined();
      expect(model.resources.map(r => r.name)).toEqual(['Test/Queue']);
      expect(model.renderErrorOf(queue.node.defaultChild as CfnResource)).toBeUndefined();
    });

    test('is not confused with a resource that is not in the template', () => {
      // GIVEN an IAM policy with no statement, which aws-cdk-lib leaves out of the template
      const stack = newStack();
      const policy = new iam.Policy(stack, 'Empty', { force: false });
      policy.attachToRole(new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
      // WHEN
      const model = new CfnModel(stack);
      // THEN
      expect(model.unrendered).toEqual([]);
      expect(model.ofType(CFN_TYPE.POLICY)).toEqual([]);
    });

    test('CfnModel.of keeps the failures of each stack in that stack\'s model', () => {
      // GIVEN
      const app = newApp();
      const first = new Stack(app, 'First');
      const second = new Stack(app, 'Second');
      const broken = brokenQueue(second, 'Broken', 'boom');
      new sqs.Queue(first, 'Queue');
      // WHEN
      const models = CfnModel.of(app);
      // THEN
      expect(models.map(m => [m.stack.stackName, m.unrendered])).toEqual([['First', []], ['Second', [{ construct: broken, error: 'Resolution error: boom' }]]]);
    });
  });

  test('a reference to a resource of another stack is a marker with its type, not a logical ID of this stack', () => {
    // GIVEN a function in one stack whose environment names a queue of another
    const app = newApp();
    const queue = new sqs.Queue(new Stack(app, 'Queues'), 'Queue');
    const stack = new Stack(app, 'Functions');
    const fn = new lambda.Function(stack, 'Fn', { ...handlerProps, environment: { QUEUE_URL: queue.queueUrl } });
    // WHEN
    const model = new CfnModel(stack);
    const environment = model.resourceOf(fn.node.defaultChild as CfnResource)!.properties.Environment;
    // THEN
    expect(model.crossStackTypes(environment)).toEqual([CFN_TYPE.QUEUE]);
    expect(model.referencedBy(environment)).toEqual([]);
  });

  test('an ARN built from a literal name refers to the resource of that name; one with an unknown part refers to none', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
    const queue = new sqs.Queue(stack, 'Queue', { queueName: 'orders' });
    const model = new CfnModel(stack);
    const resource = model.resourceOf(queue.node.defaultChild as CfnResource);
    // WHEN / THEN
    expect(model.referencedBy('arn:aws:sqs:eu-west-1:111122223333:orders')).toEqual([resource]);
    expect(model.referencedBy({ 'Fn::Join': ['', ['arn:aws:sqs:eu-west-1:111122223333:', { Ref: 'AWS::StackName' }]] })).toEqual([]);
    expect(model.named('sqs', 'orders')).toBe(resource);
  });

  test('streamKind: a stream, consumer or table of this stack or another, or an ARN that shows a stream; nothing else', () => {
    // GIVEN a Kinesis stream with an enhanced fan-out consumer and a table with a stream, and a stream of another stack
    const app = newApp();
    const other = new kinesis.Stream(new Stack(app, 'Streams'), 'Stream');
    const stack = new Stack(app, 'Test');
    const stream = new kinesis.Stream(stack, 'Stream');
    const consumer = new kinesis.CfnStreamConsumer(stack, 'Consumer', { consumerName: 'efo', streamArn: stream.streamArn });
    const table = new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    const queue = new sqs.Queue(stack, 'Queue');
    const mapping = new lambda.EventSourceMapping(stack, 'Mapping', {
      target: new lambda.Function(stack, 'Fn', handlerProps), eventSourceArn: other.streamArn, startingPosition: lambda.StartingPosition.LATEST,
    });
    const model = new CfnModel(stack);
    const resolve = (value: string) => stack.resolve(value);
    // WHEN / THEN
    expect(model.streamKind(resolve(stream.streamArn))).toBe('kinesis');
    expect(model.streamKind(resolve(consumer.attrConsumerArn))).toBe('kinesis');
    expect(model.streamKind(resolve(table.tableStreamArn!))).toBe('dynamodb');
    expect(model.streamKind(model.resourceOf(mapping.node.defaultChild as CfnResource)!.properties.EventSourceArn)).toBe('kinesis');
    expect(model.streamKind('arn:aws:kinesis:eu-west-1:111122223333:stream/clicks')).toBe('kinesis');
    expect(model.streamKind({ 'Fn::Join': ['', ['arn:aws:kinesis:', { Ref: 'AWS::Region' }, ':111122223333:stream/clicks']] })).toBe('kinesis');
    expect(model.streamKind('arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2026-01-01T00:00:00.000')).toBe('dynamodb');
    expect(model.streamKind('arn:aws:dynamodb:eu-west-1:111122223333:table/orders')).toBeUndefined();
    expect(model.streamKind(resolve(queue.queueArn))).toBeUndefined();
    expect(model.streamKind('arn:aws:sqs:eu-west-1:111122223333:orders')).toBeUndefined();
  });
});
