import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { handlerProps, newApp, newStack } from '../../helpers';
import { consume, findings, readStream, reported } from '../nag';
import { newPipe } from '../streams';

const RULE = 'Resilience-SQS3';
/** The event source mapping of a function `Fn` that consumes the queue `Test/Queue`. */
const MAPPING = 'Test/Fn/SqsEventSource:TestQueueCC385424/Resource';

describe('Resilience-SQS3: an SQS event source mapping reports batch item failures', () => {
  test('a mapping without reportBatchItemFailures is an error on the mapping; turning it on fixes it', () => {
    // GIVEN a function that consumes a queue in batches (of the default 10) without partial batch responses
    const stack = newStack();
    consume(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) }), 'Fn', {});

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: MAPPING, severity: 'error' }]);

    // GIVEN the same with reportBatchItemFailures
    const fixed = newStack();
    consume(new sqs.Queue(fixed, 'Queue', { visibilityTimeout: Duration.minutes(3) }), 'Fn', { reportBatchItemFailures: true });

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a batch size of 1 complies without partial batch responses; a batch size of 2 does not', () => {
    // GIVEN a mapping that receives one message at a time
    const stack = newStack();
    consume(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) }), 'Fn', { batchSize: 1 });
    // THEN
    expect(findings(stack, RULE)).toEqual([]);

    // GIVEN one that receives two
    const pairs = newStack();
    consume(new sqs.Queue(pairs, 'Queue', { visibilityTimeout: Duration.minutes(3) }), 'Fn', { batchSize: 2 });
    // THEN
    expect(findings(pairs, RULE)).toEqual([MAPPING]);
  });

  test('a mapping from a queue outside the stack is checked too', () => {
    // GIVEN a function that consumes an imported queue
    const stack = newStack();
    const fn = consume(sqs.Queue.fromQueueArn(stack, 'Imported', 'arn:aws:sqs:us-east-1:123456789012:orders'), 'Fn', {});

    // WHEN / THEN
    const [mapping] = fn.node.findAll().filter(c => c instanceof lambda.CfnEventSourceMapping);
    expect(findings(stack, RULE)).toEqual([mapping.node.path]);
  });

  test('a mapping from a source other than SQS is not checked', () => {
    // GIVEN a function that reads a Kinesis stream without reportBatchItemFailures
    const stack = newStack();
    readStream(stack);

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});

describe('Resilience-SQS3 across stacks', () => {
  test('a mapping that consumes a queue of another stack is checked', () => {
    // GIVEN stack Workers consumes a queue of stack Queues in batches, without partial batch responses
    const app = newApp();
    const queues = new Stack(app, 'Queues');
    const orders = new sqs.Queue(queues, 'Orders', { visibilityTimeout: Duration.minutes(3) });
    const workers = new Stack(app, 'Workers');
    new lambda.Function(workers, 'Fn', handlerProps).addEventSource(new sources.SqsEventSource(orders));
    // WHEN / THEN
    expect(findings(workers, RULE)).toEqual([expect.stringMatching(/^Workers\/Fn\/SqsEventSource:.*\/Resource$/)]);
  });
});

describe('Resilience-SQS3 and EventBridge pipes', () => {
  test('a pipe is not checked: a pipe has no setting for partial batch responses (its Lambda target returns batchItemFailures in code)', () => {
    // GIVEN a pipe from a queue to a function, in batches of 10
    const stack = newStack();
    newPipe(stack, new sqs.Queue(stack, 'Queue').queueArn, new lambda.Function(stack, 'Fn', handlerProps).functionArn, {
      sourceParameters: { sqsQueueParameters: { batchSize: 10 } },
    });
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
