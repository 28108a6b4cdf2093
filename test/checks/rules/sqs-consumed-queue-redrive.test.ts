import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { handlerProps, newApp, newStack } from '../../helpers';
import { consume, findings, reported } from '../nag';
import { newPipe } from '../streams';

const RULE = 'Resilience-SQS1';

describe('Resilience-SQS1: a queue that a Lambda function consumes has a redrive policy', () => {
  test('a consumed queue without a redrive policy is an error on the queue; a dead-letter queue fixes it', () => {
    // GIVEN a queue consumed by a function, without a dead-letter queue
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) });
    consume(queue);

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue/Resource', severity: 'error' }]);

    // GIVEN the same queue with a redrive policy
    const fixed = newStack();
    const deadLetters = new sqs.Queue(fixed, 'DeadLetters', { retentionPeriod: Duration.days(14) });
    consume(new sqs.Queue(fixed, 'Queue', { visibilityTimeout: Duration.minutes(3), deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 } }));

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a function that serves a custom resource and also consumes a queue still has its queue checked', () => {
    // GIVEN a function that is the service token of a custom resource, and that consumes a queue without a redrive policy
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Fn', handlerProps);
    new CustomResource(stack, 'Seed', { serviceToken: fn.functionArn });
    fn.addEventSource(new SqsEventSource(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) }), { reportBatchItemFailures: true }));

    // WHEN / THEN the queue is reported: only the custom resource's invocation is left out, not the function
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue/Resource', severity: 'error' }]);
  });

  test('a queue that nothing consumes is not checked, even without a redrive policy', () => {
    // GIVEN a plain queue, and a function that is not wired to it
    const stack = newStack();
    new sqs.Queue(stack, 'Queue');
    new lambda.Function(stack, 'Fn', handlerProps);

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('only the consumed queue is reported when the stack has both', () => {
    // GIVEN two queues without redrive policies, one of them consumed
    const stack = newStack();
    new sqs.Queue(stack, 'Idle');
    consume(new sqs.Queue(stack, 'Consumed', { visibilityTimeout: Duration.minutes(3) }));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Consumed/Resource']);
  });

  test('a redrive policy to a dead-letter queue outside the stack complies', () => {
    // GIVEN a consumed queue whose dead-letter queue is imported
    const stack = newStack();
    const deadLetters = sqs.Queue.fromQueueArn(stack, 'DeadLetters', 'arn:aws:sqs:us-east-1:123456789012:dead-letters');
    consume(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3), deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 } }));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('an event source mapping that names the queue by a literal ARN makes it consumed', () => {
    // GIVEN a named queue, and a mapping whose source is the queue's ARN written out
    const stack = newStack();
    new sqs.Queue(stack, 'Queue', { queueName: 'orders', visibilityTimeout: Duration.minutes(3) });
    const fn = new lambda.Function(stack, 'Fn', handlerProps);
    new lambda.EventSourceMapping(stack, 'Mapping', {
      target: fn,
      eventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:orders',
      reportBatchItemFailures: true,
    });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Queue/Resource']);
  });

  test('an acknowledgement on a queue silences the finding for that queue only', () => {
    // GIVEN two consumed queues without redrive policies, one of them acknowledged
    const stack = newStack();
    const acknowledged = new sqs.Queue(stack, 'Acknowledged', { visibilityTimeout: Duration.minutes(3) });
    consume(acknowledged, 'AcknowledgedFn');
    consume(new sqs.Queue(stack, 'Other', { visibilityTimeout: Duration.minutes(3) }), 'OtherFn');
    expect(findings(stack, RULE)).toEqual(['Test/Acknowledged/Resource', 'Test/Other/Resource']);

    // WHEN
    Validations.of(acknowledged).acknowledge({ id: RULE, reason: 'Messages are reproducible from the source of truth.' });

    // THEN the acknowledged queue is no longer reported, the other one still is
    expect(findings(stack, RULE)).toEqual(['Test/Other/Resource']);
    // and other rules still see the acknowledged queue (the retry budget: no redrive means thousands of receives)
    expect(findings(stack, 'Resilience-RetryBudget1')).toContain('Test/Acknowledged/Resource');
  });
});

describe('Resilience-SQS1 across aliases and stacks', () => {
  test('a queue consumed through an alias of the function is checked', () => {
    // GIVEN
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Fn', handlerProps);
    const live = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
    live.addEventSource(new SqsEventSource(new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) }), { reportBatchItemFailures: true }));
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Queue/Resource']);
  });

  test('before synth, a queue of another stack is not mistaken for a queue of this stack with the same id', () => {
    // GIVEN stack Queues holds a safe queue that stack Workers consumes; Workers has an idle queue with the same id
    const app = newApp();
    const queues = new Stack(app, 'Queues');
    const deadLetters = new sqs.Queue(queues, 'DeadLetters', { retentionPeriod: Duration.days(14) });
    const shared = new sqs.Queue(queues, 'Queue', { visibilityTimeout: Duration.minutes(3), deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 } });
    const workers = new Stack(app, 'Workers');
    new sqs.Queue(workers, 'Queue');
    new lambda.Function(workers, 'Fn', handlerProps).addEventSource(new SqsEventSource(shared, { reportBatchItemFailures: true }));
    // WHEN / THEN neither stack has a finding, before or after synth
    expect([...findings(workers, RULE), ...findings(queues, RULE)]).toEqual([]);
    app.synth();
    expect([...findings(workers, RULE), ...findings(queues, RULE)]).toEqual([]);
  });
});

describe('Resilience-SQS1 on queues that an EventBridge pipe reads', () => {
  test('a queue read by a pipe is consumed: without a redrive policy it is an error; a dead-letter queue fixes it', () => {
    // GIVEN a pipe from a queue without a redrive policy to a function, and the same with one
    const stack = newStack();
    newPipe(stack, new sqs.Queue(stack, 'Queue').queueArn, new lambda.Function(stack, 'Fn', handlerProps).functionArn);
    const fixed = newStack();
    const deadLetters = new sqs.Queue(fixed, 'DeadLetters', { retentionPeriod: Duration.days(14) });
    const queue = new sqs.Queue(fixed, 'Queue', { deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 } });
    newPipe(fixed, queue.queueArn, new lambda.Function(fixed, 'Fn', handlerProps).functionArn);
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue/Resource', severity: 'error' }]);
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a queue that a pipe only sends to is not consumed', () => {
    // GIVEN a pipe from a Kinesis stream to a queue without a redrive policy
    const stack = newStack();
    newPipe(stack, new kinesis.Stream(stack, 'Stream').streamArn, new sqs.Queue(stack, 'Target').queueArn);
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
