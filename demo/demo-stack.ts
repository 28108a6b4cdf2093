import * as path from 'path';
import { CfnElement, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events_targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sns_subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  AppConfigProfile, ArchivedEventBus, AsyncFunction, CircuitBreakerTable, DeadLetterQueue, DefaultAlarmAction, FailureInjection,
  FanOutTopic, FisLambdaExperiment, IdempotencyTable, LambdaFault, QueueBackedApi, QueueDecoupledFunction, StreamConsumerFunction,
} from '../src';

/** A handler that processes an SQS batch and reports the messages it could not process. */
const BATCH_HANDLER = `
exports.handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    try {
      JSON.parse(record.body);
    } catch (err) {
      console.error(JSON.stringify({ messageId: record.messageId, error: String(err) }));
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
`;

/** A handler for single events; it throws to have Lambda retry the event. */
const EVENT_HANDLER = `
exports.handler = async (event) => {
  if (!event.detail || !event.detail.orderId) {
    throw new Error('event without detail.orderId: ' + JSON.stringify(event));
  }
  console.log(JSON.stringify({ message: 'order shipped', orderId: event.detail.orderId }));
};
`;

/** A handler for SNS notifications; it throws to have Lambda retry the event. */
const NOTIFY_HANDLER = `
exports.handler = async (event) => {
  for (const record of event.Records) {
    const order = JSON.parse(record.Sns.Message);
    if (!order.orderId) throw new Error('order without orderId: ' + record.Sns.MessageId);
    console.log(JSON.stringify({ message: 'customer notified', orderId: order.orderId }));
  }
};
`;

/**
 * A handler for a batch of stream records (Kinesis or DynamoDB): it stops at the
 * first record it cannot process and names it, so Lambda retries from there.
 */
const STREAM_HANDLER = `
exports.handler = async (event) => {
  for (const record of event.Records) {
    const sequenceNumber = record.kinesis ? record.kinesis.sequenceNumber : record.dynamodb.SequenceNumber;
    try {
      if (record.kinesis) JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
      else if (record.eventName !== 'REMOVE' && !record.dynamodb.NewImage) throw new Error('change without a new image');
    } catch (err) {
      console.error(JSON.stringify({ sequenceNumber, error: String(err) }));
      return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
};
`;

/**
 * The newest Node.js runtime this app's aws-cdk-lib knows (NODEJS_24_X on 2.269, NODEJS_26_X on 2.278):
 * the one cdk-nag's AwsSolutions-L1 asks for, so the demo passes it on any aws-cdk-lib it is built with.
 */
function newestNodeRuntime(): lambda.Runtime {
  const major = (runtime: lambda.Runtime) => Number(/^nodejs(\d+)\.x$/.exec(runtime.name)?.[1] ?? 0);
  return lambda.Runtime.ALL
    .filter(runtime => runtime.family === lambda.RuntimeFamily.NODEJS && !runtime.isVariable)
    .reduce((newest, runtime) => major(runtime) > major(newest) ? runtime : newest, lambda.Runtime.NODEJS_24_X);
}

function consumerProps(description: string, code = BATCH_HANDLER): lambda.FunctionProps {
  return {
    description,
    runtime: newestNodeRuntime(),
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromInline(code),
    timeout: Duration.seconds(30),
    memorySize: 256,
    tracing: lambda.Tracing.ACTIVE,
  };
}

/** The demo's own choices for its functions, acknowledged with their reasons. */
function acknowledgeFunctionChoices(consumer: { function: lambda.IFunction }): void {
  Validations.of(consumer.function).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
    },
  );
}

/** A handler of demo/handlers, bundled by esbuild as users bundle theirs (the Lambda runtime provides the AWS SDK). */
function bundledHandler(scope: Construct, id: string, description: string, file: string, timeout: Duration): nodejs.NodejsFunction {
  const fn = new nodejs.NodejsFunction(scope, id, {
    description,
    entry: path.join(__dirname, 'handlers', file),
    runtime: newestNodeRuntime(),
    architecture: lambda.Architecture.ARM_64,
    timeout,
    memorySize: 256,
    tracing: lambda.Tracing.ACTIVE,
    bundling: { minify: true, externalModules: ['@aws-sdk/*'] },
  });
  acknowledgeFunctionChoices({ function: fn });
  return fn;
}

/**
 * The demo application: every construct of cdk-resilience, composed as a user would.
 */
export class DemoStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // Where every alarm of the library's constructs in this stack goes; subscribe your on-call to it.
    const alarmTopic = new sns.Topic(this, 'AlarmTopic', { enforceSSL: true });
    DefaultAlarmAction.set(this, new cw_actions.SnsAction(alarmTopic));
    Validations.of(alarmTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason: 'Alarm notifications carry no sensitive data; SSE would need a customer-managed key policy that lets CloudWatch publish.',
    });

    // A standard queue in front of a function, with every default.
    const orders = new QueueDecoupledFunction(this, 'Orders', {
      functionProps: consumerProps('Processes orders'),
    });

    // The front door of Orders: POST /orders stores each valid order in its queue and answers
    // 202 with the message id. No function runs in the request path: a slow or failing consumer
    // never fails a client, and a body the schema refuses gets 400 and never reaches the queue.
    const ordersApi = new QueueBackedApi(this, 'OrdersApi', {
      consumer: orders,
      path: '/orders',
      requestSchema: {
        schema: apigateway.JsonSchemaVersion.DRAFT4,
        type: apigateway.JsonSchemaType.OBJECT,
        required: ['orderId', 'items'],
        properties: {
          orderId: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: 64 },
          items: { type: apigateway.JsonSchemaType.ARRAY, minItems: 1, items: { type: apigateway.JsonSchemaType.OBJECT } },
        },
      },
    });
    Validations.of(ordersApi.stage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'The demo API takes only IAM-signed requests from services of its own account; an AWS WAF web ACL would filter public traffic it does not take.',
    });
    Validations.of(ordersApi.method).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Its callers are services of the same account, authorized with IAM (SigV4); there are no end users to sign in with Cognito.',
    });

    // A FIFO queue: messages of one group are processed in order.
    const payments = new QueueDecoupledFunction(this, 'Payments', {
      functionProps: consumerProps('Processes payments in order'),
      fifo: true,
    });
    const consumers = [orders, payments];

    // Two consumers that share one dead-letter queue, and an operator role that may redrive it.
    const shared = new DeadLetterQueue(this, 'SharedDeadLetters');
    for (const name of ['Shipping', 'Invoices']) {
      consumers.push(new QueueDecoupledFunction(this, name, {
        functionProps: consumerProps(`Processes ${name.toLowerCase()}`),
        deadLetterQueue: shared,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(10),
        maxConcurrency: 5,
      }));
    }
    consumers.forEach(acknowledgeFunctionChoices);

    const operator = new iam.Role(this, 'RedriveOperator', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'Redrives the shared dead-letter queue once the cause of the failures is fixed',
    });
    shared.grantRedrive(operator);

    // An event bus whose events are archived; its rule invokes a function
    // asynchronously, with retries and a failure queue, and refuses replays
    // because shipping twice is not idempotent.
    const bus = new ArchivedEventBus(this, 'OrderEvents');
    const shipper = new AsyncFunction(this, 'Shipper', {
      functionProps: consumerProps('Ships placed orders', EVENT_HANDLER),
    });
    acknowledgeFunctionChoices(shipper);
    bus.addRule('OrderPlaced', {
      description: 'Ships every placed order',
      eventPattern: { source: ['demo.orders'], detailType: ['OrderPlaced'] },
      targets: [new events_targets.LambdaFunction(shipper.function)],
      acceptReplays: false,
    });
    bus.grantPutEventsTo(orders.function);
    bus.grantReplay(operator);

    // A function that calls a payments API through a circuit breaker whose
    // state all its environments share; an alarm fires when the circuit opens.
    const charge = bundledHandler(this, 'Charge', 'Charges orders through the payments API, behind a circuit breaker', 'charge.ts', Duration.seconds(10));
    Validations.of(charge).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'The demo invokes Charge synchronously; its caller sees and handles the error.',
    });
    new CircuitBreakerTable(this, 'Circuits').attachTo(charge);

    // A queue-decoupled function whose limits live in AppConfig (validated,
    // rolled out gradually, rolled back when the function fails) and whose
    // handler runs under failure injection for chaos experiments.
    const reserve = bundledHandler(this, 'Reserve', 'Reserves the items of each order', 'reserve.ts', Duration.seconds(30));
    const reservations = new QueueDecoupledFunction(this, 'Reservations', {
      function: reserve,
    });
    new AppConfigProfile(this, 'ReservationConfig', {
      content: appconfig.ConfigurationContent.fromInlineJson(JSON.stringify({ maxItemsPerOrder: 20 })),
      schema: JSON.stringify({
        type: 'object',
        properties: { maxItemsPerOrder: { type: 'integer', minimum: 1, maximum: 100 } },
        required: ['maxItemsPerOrder'],
        additionalProperties: false,
      }),
    }).attachTo(reserve);
    new FailureInjection(this, 'Chaos', {
      // the experiment ends when the reservations' oldest message grows too old
      stopConditions: [reservations.oldestMessageAgeAlarm],
    }).attachTo(reserve);
    bus.replayFunction.grantInvoke(operator);
    Validations.of(operator).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(bus.replayFunction.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: 'grantInvoke covers the replay function\'s versions and aliases.',
    });

    // A fan-out: every processed order is published once and delivered to each
    // subscriber, whose failed deliveries SNS keeps in the topic's dead-letter queue.
    // The receipts queue reads each order as published (raw delivery); the notifier
    // is invoked asynchronously, so it is an AsyncFunction that keeps its own failures.
    const orderProcessed = new FanOutTopic(this, 'OrderProcessed');
    const receipts = new QueueDecoupledFunction(this, 'Receipts', {
      functionProps: consumerProps('Writes a receipt for each processed order'),
    });
    const notifier = new AsyncFunction(this, 'Notifier', {
      functionProps: consumerProps('Notifies the customer of each processed order', NOTIFY_HANDLER),
    });
    [receipts, notifier].forEach(acknowledgeFunctionChoices);
    orderProcessed.addSubscription(new sns_subscriptions.SqsSubscription(receipts.queue));
    orderProcessed.addSubscription(new sns_subscriptions.LambdaSubscription(notifier.function));
    orderProcessed.grantPublish(orders.function);

    // FIFO end to end: the payment events of one order (one message group) reach the
    // FIFO queue of Payments in the order Charge published them, each once.
    const paymentEvents = new FanOutTopic(this, 'PaymentEvents', { fifo: true, contentBasedDeduplication: true });
    paymentEvents.addSubscription(new sns_subscriptions.SqsSubscription(payments.queue));
    paymentEvents.grantPublish(charge);

    // A Kinesis stream of page clicks and the stream of an order table, each read by a function:
    // a failing batch is split until the bad record is alone, retried 3 times, and its record
    // (shard and sequence numbers) then goes to a dead-letter queue; the shard moves on.
    const clicks = new kinesis.Stream(this, 'Clicks', { encryption: kinesis.StreamEncryption.MANAGED });
    const clickStream = new StreamConsumerFunction(this, 'ClickStream', {
      stream: clicks,
      functionProps: consumerProps('Counts page clicks', STREAM_HANDLER),
    });
    const orderTable = new dynamodb.TableV2(this, 'OrderTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    const orderChanges = new StreamConsumerFunction(this, 'OrderChanges', {
      table: orderTable,
      functionProps: consumerProps('Reacts to order changes', STREAM_HANDLER),
      batchSize: 10,
    });
    [clickStream, orderChanges].forEach(acknowledgeFunctionChoices);

    // An AWS FIS experiment, started by hand or from a pipeline: 2 s of delay
    // on a quarter of the shipping consumer's invocations for 10 minutes. It
    // stops when the shipping backlog grows too old (what customers feel),
    // not on the consumer's own duration, which is what it slows down.
    const shipping = consumers[2];
    new FisLambdaExperiment(this, 'SlowShipping', {
      functions: [shipping.function],
      fault: LambdaFault.addDelay(Duration.seconds(2)),
      invocationPercentage: 25,
      duration: Duration.minutes(10),
      stopConditions: [shipping.oldestMessageAgeAlarm],
    });

    // A queue consumer that ships each order once, however often the queue
    // delivers it: Powertools idempotency, with its records in an IdempotencyTable.
    const fulfil = bundledHandler(this, 'Fulfil', 'Ships each order once, with Powertools idempotency', 'fulfil.ts', Duration.seconds(30));
    new QueueDecoupledFunction(this, 'Fulfilment', { function: fulfil });
    new IdempotencyTable(this, 'Idempotency').attachTo(fulfil);
  }
}
