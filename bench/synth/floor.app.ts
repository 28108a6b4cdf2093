/**
 * The floor: what a `QueueDecoupledFunction` with defaults deploys, written by
 * hand with aws-cdk-lib L2s and nothing else: the same queues, function,
 * mapping and alarms, with the same settings.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { functionProps, synthApp } from './harness';

synthApp((stack, id) => {
  const scope = new Construct(stack, id);
  // Known before the queue exists, so the dead-letter queue's redrive-allow policy can name it without a cycle.
  const queueName = `${stack.stackName}-${id}`;
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    retentionPeriod: Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    redriveAllowPolicy: {
      redrivePermission: sqs.RedrivePermission.BY_QUEUE,
      sourceQueues: [sqs.Queue.fromQueueArn(scope, 'Source', stack.formatArn({ service: 'sqs', resource: queueName }))],
    },
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    queueName,
    visibilityTimeout: Duration.seconds(180),
    retentionPeriod: Duration.days(4),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
  });
  const fn = new lambda.Function(scope, 'Function', functionProps());
  fn.addEventSource(new SqsEventSource(queue, { reportBatchItemFailures: true }));

  const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number) => new cloudwatch.Alarm(scope, alarmId, {
    metric,
    threshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm('DepthAlarm', deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }), 1);
  alarm('QueueAgeAlarm', queue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }), Duration.days(2).toSeconds());
  alarm('ErrorsAlarm', fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }), 1);
});
