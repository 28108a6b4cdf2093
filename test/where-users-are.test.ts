import * as path from 'path';
import { App, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import {
  AppConfigProfile, ArchivedEventBus, AsyncFunction, CircuitBreakerTable, DeadLetterQueue, FailureInjection, FanOutTopic,
  FisLambdaExperiment, IdempotencyTable, LambdaFault, MessageGroupId, QueueBackedApi, QueueDecoupledFunction, ResilienceChecks,
  StreamConsumerFunction,
} from '../src';
import { acknowledgementsOn, FLAG_SETS, FlagSet, handlerProps, newApp } from './helpers';

const content = appconfig.ConfigurationContent.fromInlineJson('{"enabled":true}');
/** The AppConfig extension layer of eu-west-1, for stacks whose region is a token. */
const LAYER_ARN = 'arn:aws:lambda:eu-west-1:434848589818:layer:AWS-AppConfig-Extension:303';

/**
 * The Node.js runtime a user picks to pass cdk-nag's AwsSolutions-L1: the newest one the aws-cdk-lib in use
 * knows (NODEJS_24_X on the floor, NODEJS_26_X on 2.278), so that this matrix runs on any release.
 */
const NEWEST_NODE_RUNTIME = lambda.Runtime.ALL
  .filter(runtime => runtime.family === lambda.RuntimeFamily.NODEJS && !runtime.isVariable && /^nodejs\d+\.x$/.test(runtime.name))
  .reduce((newest, runtime) => parseInt(runtime.name.slice(6), 10) > parseInt(newest.name.slice(6), 10) ? runtime : newest);

/** A user's function props: the newest Node.js runtime and a memory size of their own choice. */
const userFunctionProps: lambda.FunctionProps = { ...handlerProps, runtime: NEWEST_NODE_RUNTIME, memorySize: 256 };

/** What a user acknowledges on a function of theirs: their own choices, which are not the library's to make. */
function acknowledgeUserChoices(fn: lambda.IFunction): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'the user keeps the managed basic execution role',
  }, { id: 'Serverless-LambdaTracing', reason: 'the user does not trace' });
}

/** A function the user brings, with the user's own choices acknowledged. */
function userFunction(stack: Stack, id: string): lambda.Function {
  const fn = new lambda.Function(stack, id, userFunctionProps);
  acknowledgeUserChoices(fn);
  return fn;
}

/** What a user acknowledges on an API of theirs: AWS WAF and the kind of authorization are their choices (see the README). */
function acknowledgeUserApiChoices(api: QueueBackedApi): QueueBackedApi {
  Validations.of(api.stage).acknowledge({ id: 'AwsSolutions-APIG3', reason: 'the user puts no AWS WAF web ACL in front of this API' });
  Validations.of(api.method).acknowledge({ id: 'AwsSolutions-COG4', reason: 'the user authorizes callers with IAM (SigV4), not a Cognito user pool' });
  return api;
}

/** A user's Kinesis stream, encrypted with the AWS managed key as AwsSolutions-KDS1 and -KDS3 ask. */
function userStream(stack: Stack): kinesis.Stream {
  return new kinesis.Stream(stack, 'Clicks', { encryption: kinesis.StreamEncryption.MANAGED });
}

const streamKey = { name: 'id', type: dynamodb.AttributeType.STRING };

/** A user's DynamoDB table with a stream and point-in-time recovery (AwsSolutions-DDB3). */
function userTable(stack: Stack): dynamodb.Table {
  return new dynamodb.Table(stack, 'OrderTable', {
    partitionKey: streamKey,
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
}

/** A user's DynamoDB TableV2 with a stream and point-in-time recovery. */
function userTableV2(stack: Stack): dynamodb.TableV2 {
  return new dynamodb.TableV2(stack, 'OrderTable', {
    partitionKey: streamKey,
    dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
}

const scenarios: Record<string, (stack: Stack) => void> = {
  'DeadLetterQueue': stack => new DeadLetterQueue(stack, 'DeadLetters'),
  'QueueDecoupledFunction with functionProps': stack =>
    acknowledgeUserChoices(new QueueDecoupledFunction(stack, 'Orders', { functionProps: userFunctionProps }).function),
  'QueueDecoupledFunction with a function the user brings': stack =>
    new QueueDecoupledFunction(stack, 'Orders', { function: userFunction(stack, 'Handler') }),
  'QueueBackedApi in front of a QueueDecoupledFunction': stack => acknowledgeUserApiChoices(new QueueBackedApi(stack, 'OrdersApi', {
    consumer: new QueueDecoupledFunction(stack, 'Orders', { function: userFunction(stack, 'Handler') }),
  })),
  'QueueBackedApi in front of a FIFO QueueDecoupledFunction on a KMS key, the group id from a body field': stack => acknowledgeUserApiChoices(new QueueBackedApi(stack, 'PaymentsApi', {
    consumer: new QueueDecoupledFunction(stack, 'Payments', { function: userFunction(stack, 'Handler'), fifo: true, encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) }),
    messageGroupId: MessageGroupId.fromBodyField('accountId'),
    requestSchema: { type: apigateway.JsonSchemaType.OBJECT, required: ['accountId'], properties: { accountId: { type: apigateway.JsonSchemaType.STRING } } },
  })),
  'AsyncFunction with functionProps': stack =>
    acknowledgeUserChoices(new AsyncFunction(stack, 'Thumbnails', { functionProps: userFunctionProps }).function),
  'AsyncFunction with a function the user brings': stack =>
    new AsyncFunction(stack, 'Thumbnails', { function: userFunction(stack, 'Handler') }),
  'StreamConsumerFunction on a Kinesis stream with functionProps': stack =>
    acknowledgeUserChoices(new StreamConsumerFunction(stack, 'ClickStream', { stream: userStream(stack), functionProps: userFunctionProps }).function),
  'StreamConsumerFunction on a Kinesis stream with a function the user brings': stack =>
    new StreamConsumerFunction(stack, 'ClickStream', { stream: userStream(stack), function: userFunction(stack, 'Handler') }),
  'StreamConsumerFunction on a DynamoDB Table stream with functionProps': stack =>
    acknowledgeUserChoices(new StreamConsumerFunction(stack, 'OrderChanges', { table: userTable(stack), functionProps: userFunctionProps }).function),
  'StreamConsumerFunction on a DynamoDB Table stream with a function the user brings': stack =>
    new StreamConsumerFunction(stack, 'OrderChanges', { table: userTable(stack), function: userFunction(stack, 'Handler') }),
  'StreamConsumerFunction on a DynamoDB TableV2 stream with a function the user brings': stack =>
    new StreamConsumerFunction(stack, 'OrderChanges', { table: userTableV2(stack), function: userFunction(stack, 'Handler') }),
  'ArchivedEventBus with a rule to an AsyncFunction': stack => {
    const shipper = new AsyncFunction(stack, 'Shipper', { function: userFunction(stack, 'Handler') });
    const bus = new ArchivedEventBus(stack, 'Events');
    bus.addRule('Placed', { eventPattern: { source: ['orders'] }, targets: [new targets.LambdaFunction(shipper.function)] });
    bus.grantReplay(new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() }));
  },
  'FanOutTopic to a QueueDecoupledFunction and an AsyncFunction, with a publisher': stack => {
    const topic = new FanOutTopic(stack, 'OrderEvents');
    topic.addSubscription(new subscriptions.SqsSubscription(new QueueDecoupledFunction(stack, 'Billing', { function: userFunction(stack, 'BillingHandler') }).queue));
    topic.addSubscription(new subscriptions.LambdaSubscription(new AsyncFunction(stack, 'Notify', { function: userFunction(stack, 'NotifyHandler') }).function));
    topic.grantPublish(new iam.Role(stack, 'Intake', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
  },
  'FanOutTopic (FIFO) to a FIFO QueueDecoupledFunction and a standard one, with a subscription\'s own DeadLetterQueue': stack => {
    const topic = new FanOutTopic(stack, 'Payments', { fifo: true, contentBasedDeduplication: true });
    topic.addSubscription(new subscriptions.SqsSubscription(new QueueDecoupledFunction(stack, 'Ledger', { function: userFunction(stack, 'LedgerHandler'), fifo: true }).queue));
    const audit = new QueueDecoupledFunction(stack, 'Audit', { function: userFunction(stack, 'AuditHandler') });
    topic.addSubscription(new subscriptions.SqsSubscription(audit.queue, { deadLetterQueue: new DeadLetterQueue(stack, 'AuditDeliveries', { fifo: true }).queue }));
  },
  'CircuitBreakerTable attached to a queue consumer': stack => {
    const consumer = new QueueDecoupledFunction(stack, 'Orders', { function: userFunction(stack, 'Handler') });
    new CircuitBreakerTable(stack, 'Circuits').attachTo(consumer.function);
  },
  'IdempotencyTable': stack => new IdempotencyTable(stack, 'Idempotency'),
  'IdempotencyTable attached to a queue consumer': stack => {
    const consumer = new QueueDecoupledFunction(stack, 'Orders', { functionProps: userFunctionProps });
    acknowledgeUserChoices(consumer.function);
    new IdempotencyTable(stack, 'Idempotency').attachTo(consumer.function);
  },
  'IdempotencyTable attached to a function the user brings': stack =>
    new IdempotencyTable(stack, 'Idempotency').attachTo(new AsyncFunction(stack, 'Thumbnails', { function: userFunction(stack, 'Handler') }).function),
  'AppConfigProfile attached to a queue consumer': stack => {
    const consumer = new QueueDecoupledFunction(stack, 'Orders', { function: userFunction(stack, 'Handler') });
    new AppConfigProfile(stack, 'Config', { content, layerArn: LAYER_ARN }).attachTo(consumer.function);
  },
  'FailureInjection attached to a queue consumer': stack => {
    const consumer = new QueueDecoupledFunction(stack, 'Orders', { function: userFunction(stack, 'Handler') });
    new FailureInjection(stack, 'Chaos', { layerArn: LAYER_ARN, stopConditions: [consumer.deadLetterQueue.depthAlarm] }).attachTo(consumer.function);
  },
  'FisLambdaExperiment on a queue consumer, stopped by its backlog': stack => {
    const consumer = new QueueDecoupledFunction(stack, 'Orders', { function: userFunction(stack, 'Handler') });
    new FisLambdaExperiment(stack, 'SlowOrders', {
      functions: [consumer.function],
      fault: LambdaFault.addDelay(Duration.seconds(2)),
      invocationPercentage: 25,
      stopConditions: [consumer.oldestMessageAgeAlarm],
    });
  },
  'two FisLambdaExperiments on one arm64 function': stack => {
    const fn = new lambda.Function(stack, 'Handler', { ...userFunctionProps, architecture: lambda.Architecture.ARM_64 });
    acknowledgeUserChoices(fn);
    const consumer = new QueueDecoupledFunction(stack, 'Orders', { function: fn });
    new FisLambdaExperiment(stack, 'Slow', { functions: [fn], fault: LambdaFault.addDelay(Duration.seconds(1)), stopConditions: [consumer.oldestMessageAgeAlarm] });
    new FisLambdaExperiment(stack, 'Failing', { functions: [fn], fault: LambdaFault.error(), stopConditions: [consumer.oldestMessageAgeAlarm] });
  },
};

const environments: Record<string, StackProps> = {
  'environment-agnostic': {},
  'account and region': { env: { account: '111122223333', region: 'eu-west-1' } },
};

/** Every finding of the packs a user runs (cdk-nag's AwsSolutions and Serverless, and ResilienceChecks) on `stack`. */
function findingsOf(app: App, stack: Stack): string[] {
  return [new AwsSolutionsChecks(app), new ServerlessChecks(app), new ResilienceChecks(app)]
    .flatMap(pack => pack.validateScope(stack).violations)
    .flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${r.constructPath}`));
}

const cells = FLAG_SETS.flatMap(flags => Object.keys(environments).flatMap(env => Object.keys(scenarios).map(name => [flags, env, name] as const)));

describe('where users are: every construct, plain App and cdk init flags, with and without an environment', () => {
  test.each(cells)('%s App, %s: %s has no unacknowledged finding of cdk-nag, ResilienceChecks or the validator', (flags: FlagSet, env, name) => {
    // GIVEN
    const app: App = newApp(flags);
    const stack = new Stack(app, 'Test', environments[env]);
    scenarios[name](stack);
    // WHEN / THEN
    expect(findingsOf(app, stack)).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('functions the user brings', () => {
  test('NodejsFunctions passed as function: to every construct, in a cdk init app, have no unacknowledged finding', () => {
    // GIVEN a cdk init app whose handlers are NodejsFunctions, each composed with the constructs
    const app = newApp('recommended');
    const stack = new Stack(app, 'Shop', { env: { region: 'eu-west-1' } });
    const handler = (id: string) => {
      const fn = new nodejs.NodejsFunction(stack, id, {
        entry: path.join(__dirname, 'fixtures', 'handlers', 'batch.ts'),
        runtime: NEWEST_NODE_RUNTIME,
        memorySize: 256,
        timeout: Duration.seconds(30),
        bundling: { minify: true, externalModules: ['@aws-sdk/*'] },
      });
      acknowledgeUserChoices(fn);
      return fn;
    };
    const orders = new QueueDecoupledFunction(stack, 'Orders', { function: handler('OrdersHandler') });
    const shipper = new AsyncFunction(stack, 'Shipper', { function: handler('ShipperHandler') });
    new ArchivedEventBus(stack, 'Events')
      .addRule('Placed', { eventPattern: { source: ['shop.orders'] }, targets: [new targets.LambdaFunction(shipper.function)] });
    new CircuitBreakerTable(stack, 'Circuits').attachTo(orders.function);
    new IdempotencyTable(stack, 'Idempotency').attachTo(orders.function);
    new AppConfigProfile(stack, 'Limits', { content }).attachTo(orders.function);
    new FailureInjection(stack, 'Chaos', { stopConditions: [orders.oldestMessageAgeAlarm] }).attachTo(orders.function);
    const placed = new FanOutTopic(stack, 'OrderPlaced');
    placed.addSubscription(new subscriptions.SqsSubscription(orders.queue));
    placed.addSubscription(new subscriptions.LambdaSubscription(shipper.function));
    new StreamConsumerFunction(stack, 'ClickStream', { stream: userStream(stack), function: handler('ClicksHandler') });
    new StreamConsumerFunction(stack, 'OrderChanges', { table: userTable(stack), function: handler('OrderChangesHandler') });
    new FisLambdaExperiment(stack, 'SlowShipping', {
      functions: [shipper.function],
      fault: LambdaFault.error(),
      stopConditions: [shipper.droppedEventsAlarm],
    });
    // WHEN / THEN
    expect(findingsOf(app, stack)).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });

  test.each([
    ['QueueDecoupledFunction', (stack: Stack, props: { function?: lambda.IFunction; functionProps?: lambda.FunctionProps }, id: string) =>
      new QueueDecoupledFunction(stack, id, props).function, /synchronously through its event source mapping/],
    ['AsyncFunction', (stack: Stack, props: { function?: lambda.IFunction; functionProps?: lambda.FunctionProps }, id: string) =>
      new AsyncFunction(stack, id, props).function, /on-failure destination/],
    ['StreamConsumerFunction', (stack: Stack, props: { function?: lambda.IFunction; functionProps?: lambda.FunctionProps }, id: string) =>
      new StreamConsumerFunction(stack, id, { ...props, stream: new kinesis.Stream(stack, `${id}Stream`) }).function, /mapping's on-failure destination/],
  ])('%s gives a function the user brings the acknowledgement it gives one it creates', (_name, build, reason) => {
    // GIVEN
    const stack = new Stack(newApp(), 'Test');
    const fn = new lambda.Function(stack, 'Handler', userFunctionProps);
    // WHEN
    const brought = build(stack, { function: fn }, 'Brought');
    const created = build(stack, { functionProps: userFunctionProps }, 'Created');
    // THEN
    expect(brought).toBe(fn);
    expect(acknowledgementsOn(fn)).toEqual(acknowledgementsOn(created));
    expect(acknowledgementsOn(fn)['Annotation::Serverless-LambdaDLQ']).toMatch(reason);
    expect(new ServerlessChecks().validateScope(stack).violations.filter(v => v.ruleName === 'Serverless-LambdaDLQ')).toEqual([]);
  });

  test('a function the user brings, subscribed to a FanOutTopic without AsyncFunction, is reported: the subscription keeps only delivery failures', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'Test');
    const fn = userFunction(stack, 'Notify');
    // WHEN
    new FanOutTopic(stack, 'Orders').addSubscription(new subscriptions.LambdaSubscription(fn));
    // THEN the function's own failures have nowhere to go: AsyncFunction would give it an on-failure destination
    expect(findingsOf(stack.node.root as App, stack)).toEqual(['Serverless-LambdaDLQ Test/Notify/Resource', 'Resilience-Lambda1 Test/Notify/Resource']);
  });

  test('the pattern acknowledges its own invocation only: a function also invoked asynchronously elsewhere is still reported', () => {
    // GIVEN a queue consumer the user brings, which an SNS topic also invokes (asynchronously, without a failure destination)
    const stack = new Stack(newApp(), 'Test');
    const fn = userFunction(stack, 'Handler');
    new QueueDecoupledFunction(stack, 'Orders', { function: fn });
    new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.LambdaSubscription(fn, { deadLetterQueue: new DeadLetterQueue(stack, 'Dlq').queue }));
    // WHEN
    const findings = new ResilienceChecks().validateScope(stack).violations.map(v => `${v.ruleName} ${v.violatingResources[0].constructPath}`);
    // THEN
    expect(findings).toEqual(['Resilience-Lambda1 Test/Handler/Resource']);
  });
});

