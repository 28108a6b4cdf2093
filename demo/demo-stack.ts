import { Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DeadLetterQueue, QueueDecoupledFunction } from '../src';

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

function consumerProps(description: string): lambda.FunctionProps {
  return {
    description,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromInline(BATCH_HANDLER),
    timeout: Duration.seconds(30),
    memorySize: 256,
    tracing: lambda.Tracing.ACTIVE,
  };
}

/** The demo's own choices for its functions, acknowledged with their reasons. */
function acknowledgeFunctionChoices(consumer: QueueDecoupledFunction): void {
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

    // Where every alarm goes; subscribe your on-call to it.
    const alarmTopic = new sns.Topic(this, 'AlarmTopic', { enforceSSL: true });
    const alarmAction = new cw_actions.SnsAction(alarmTopic);
    Validations.of(alarmTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason: 'Alarm notifications carry no sensitive data; SSE would need a customer-managed key policy that lets CloudWatch publish.',
    });

    // A standard queue in front of a function, with every default.
    const orders = new QueueDecoupledFunction(this, 'Orders', {
      functionProps: consumerProps('Processes orders'),
      alarmAction,
    });

    // A FIFO queue: messages of one group are processed in order.
    const payments = new QueueDecoupledFunction(this, 'Payments', {
      functionProps: consumerProps('Processes payments in order'),
      fifo: true,
      alarmAction,
    });
    const consumers = [orders, payments];

    // Two consumers that share one dead-letter queue, and an operator role that may redrive it.
    const shared = new DeadLetterQueue(this, 'SharedDeadLetters', { alarmAction });
    for (const name of ['Shipping', 'Invoices']) {
      consumers.push(new QueueDecoupledFunction(this, name, {
        functionProps: consumerProps(`Processes ${name.toLowerCase()}`),
        deadLetterQueue: shared,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(10),
        maxConcurrency: 5,
        alarmAction,
      }));
    }
    consumers.forEach(acknowledgeFunctionChoices);

    const operator = new iam.Role(this, 'RedriveOperator', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'Redrives the shared dead-letter queue once the cause of the failures is fixed',
    });
    shared.grantRedrive(operator);
  }
}
