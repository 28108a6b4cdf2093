import { Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import { DeadLetterQueue, ResilienceChecks } from '../../src';
import { handlerProps } from '../helpers';

/**
 * What `StreamConsumerFunction` sets on its event source by default, written
 * with aws-cdk-lib's own event sources: batches of 100 split on error, 3
 * retries, records at most an hour old, partial batch responses, and (see
 * `safeSource`) a `DeadLetterQueue` as the on-failure destination.
 */
export const STREAM_CONSUMER_FUNCTION_DEFAULTS = {
  startingPosition: lambda.StartingPosition.TRIM_HORIZON,
  batchSize: 100,
  bisectBatchOnError: true,
  retryAttempts: 3,
  maxRecordAge: Duration.hours(1),
  reportBatchItemFailures: true,
};

/** The props of a stream event source as `StreamConsumerFunction` configures it, failing to a new `DeadLetterQueue`. */
export function safeSource(stack: Stack): sources.StreamEventSourceProps {
  const deadLetters = new DeadLetterQueue(stack, 'Failures');
  return { ...STREAM_CONSUMER_FUNCTION_DEFAULTS, onFailure: new sources.SqsDlq(deadLetters.queue) };
}

/** A new function `id` (30 s timeout) that reads `stream` through a `KinesisEventSource` with `props`. */
export function readKinesis(stream: kinesis.IStream, props: Partial<sources.KinesisEventSourceProps> = {}, id = 'Fn'): lambda.Function {
  const fn = new lambda.Function(Stack.of(stream), id, handlerProps);
  fn.addEventSource(new sources.KinesisEventSource(stream, { startingPosition: lambda.StartingPosition.LATEST, ...props }));
  return fn;
}

/** A new table `Table` with a stream. */
export function streamedTable(stack: Stack, id = 'Table'): dynamodb.Table {
  return new dynamodb.Table(stack, id, {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  });
}

/** A new function `id` (30 s timeout) that reads the table's stream through a `DynamoEventSource` with `props`. */
export function readTable(table: dynamodb.ITable, props: Partial<sources.DynamoEventSourceProps> = {}, id = 'Fn'): lambda.Function {
  const fn = new lambda.Function(Stack.of(table), id, handlerProps);
  fn.addEventSource(new sources.DynamoEventSource(table, { startingPosition: lambda.StartingPosition.LATEST, ...props }));
  return fn;
}

/** The construct path of the one event source mapping of `fn`. */
export function mappingOf(fn: lambda.Function): string {
  const [mapping] = fn.node.findAll().filter(c => c instanceof lambda.CfnEventSourceMapping);
  return mapping.node.path;
}

/** A new pipe `id` from `source` to `target` (ARNs), with a role EventBridge Pipes can assume, and `props` on top. */
export function newPipe(stack: Stack, source: string, target: string, props: Partial<pipes.CfnPipeProps> = {}, id = 'Pipe'): pipes.CfnPipe {
  const role = new iam.Role(stack, `${id}Role`, { assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com') });
  return new pipes.CfnPipe(stack, id, { roleArn: role.roleArn, source, target, ...props });
}

/** The messages of a rule's findings, with the numbers they carry: one per finding. */
export function describedBy(stack: Stack, ruleId: string): string[] {
  return new ResilienceChecks().validateScope(stack).violations.filter(v => v.ruleName === ruleId).map(v => v.description);
}
