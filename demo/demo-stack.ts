import * as path from 'path';
import { CfnElement, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events_targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  AppConfigProfile, ArchivedEventBus, AsyncFunction, CircuitBreakerTable, DeadLetterQueue, DefaultAlarmAction, FailureInjection,
  IdempotencyTable, QueueDecoupledFunction,
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

function consumerProps(description: string, code = BATCH_HANDLER): lambda.FunctionProps {
  return {
    description,
    runtime: lambda.Runtime.NODEJS_24_X,
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
    bus.grantPutEvents(orders.function);
    bus.grantReplay(operator);

    // A function that calls a payments API through a circuit breaker whose
    // state all its environments share; an alarm fires when the circuit opens.
    const charge = new nodejs.NodejsFunction(this, 'Charge', {
      description: 'Charges orders through the payments API, behind a circuit breaker',
      entry: path.join(__dirname, 'handlers', 'charge.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(10),
      memorySize: 256,
      tracing: lambda.Tracing.ACTIVE,
      bundling: { minify: true, externalModules: ['@aws-sdk/*'] },
    });
    acknowledgeFunctionChoices({ function: charge });
    Validations.of(charge).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'The demo invokes Charge synchronously; its caller sees and handles the error.',
    });
    new CircuitBreakerTable(this, 'Circuits').attachTo(charge);

    // A queue-decoupled function whose limits live in AppConfig (validated,
    // rolled out gradually, rolled back when the function fails) and whose
    // handler runs under failure injection for chaos experiments.
    const reserve = new nodejs.NodejsFunction(this, 'Reserve', {
      description: 'Reserves the items of each order',
      entry: path.join(__dirname, 'handlers', 'reserve.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(30),
      memorySize: 256,
      tracing: lambda.Tracing.ACTIVE,
      bundling: { minify: true, externalModules: ['@aws-sdk/*'] },
    });
    acknowledgeFunctionChoices({ function: reserve });
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
      monitors: [reservations.oldestMessageAgeAlarm],
    }).attachTo(reserve);
    bus.replayFunction.grantInvoke(operator);
    Validations.of(operator).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(bus.replayFunction.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: 'grantInvoke covers the replay function\'s versions and aliases.',
    });

    // A queue consumer that ships each order once, however often the queue
    // delivers it: Powertools idempotency, with its records in an IdempotencyTable.
    const fulfil = new nodejs.NodejsFunction(this, 'Fulfil', {
      description: 'Ships each order once, with Powertools idempotency',
      entry: path.join(__dirname, 'handlers', 'fulfil.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(30),
      memorySize: 256,
      tracing: lambda.Tracing.ACTIVE,
      bundling: { minify: true, externalModules: ['@aws-sdk/*'] },
    });
    acknowledgeFunctionChoices({ function: fulfil });
    new QueueDecoupledFunction(this, 'Fulfilment', { function: fulfil });
    new IdempotencyTable(this, 'Idempotency').attachTo(fulfil);
  }
}
