import { Duration, SecretValue, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ArchivedEventBus, AsyncFunction, QueueDecoupledFunction, RetryBudget, RetryBudgetReport } from '../../src';
import { handlerProps, newApp, newStack } from '../helpers';

/** A queue with a dead-letter queue after `maxReceiveCount` receives, consumed by a new function. */
function consumedQueue(stack: Stack, id: string, maxReceiveCount: number): { queue: sqs.Queue; fn: lambda.Function } {
  const queue = new sqs.Queue(stack, `${id}Queue`, {
    visibilityTimeout: Duration.minutes(3),
    deadLetterQueue: { queue: new sqs.Queue(stack, `${id}DeadLetters`), maxReceiveCount },
  });
  const fn = new lambda.Function(stack, `${id}Function`, handlerProps);
  fn.addEventSource(new sources.SqsEventSource(queue, { reportBatchItemFailures: true }));
  return { queue, fn };
}

describe('RetryBudget', () => {
  test('an AsyncFunction with 2 retries that sends to a QueueDecoupledFunction with maxReceiveCount 5: 3 × 5 = 15', () => {
    // GIVEN
    const stack = newStack();
    const producer = new AsyncFunction(stack, 'Producer', { functionProps: handlerProps, retryAttempts: 2 });
    const consumer = new QueueDecoupledFunction(stack, 'Consumer', { functionProps: handlerProps, maxReceiveCount: 5 });
    consumer.queue.grantSendMessages(producer.function);
    // WHEN
    const report = RetryBudget.analyze(stack);
    // THEN one path; the failure queue and the dead-letter queue keep what failed and end no path
    expect(report.paths).toEqual([{
      hops: ['Test/Producer/Function', 'Test/Consumer/Queue', 'Test/Consumer/Function'],
      attempts: [3, 1, 5],
      worstCaseInvocations: 15,
      cyclic: false,
      certainLoop: false,
    }]);
  });

  test('retries multiply along a longer path, and the longest path comes first', () => {
    // GIVEN queue A (5 receives) -> function A sends to queue B (10 receives) -> function B
    const stack = newStack();
    const a = consumedQueue(stack, 'A', 5);
    const b = consumedQueue(stack, 'B', 10);
    b.queue.grantSendMessages(a.fn);
    // WHEN
    const report = RetryBudget.analyze(stack);
    // THEN
    expect(report.paths.map(p => [p.hops.join(' > '), p.worstCaseInvocations])).toEqual([
      ['Test/AQueue > Test/AFunction > Test/BQueue > Test/BFunction', 50],
    ]);
    expect(report.pathsOver(25)).toHaveLength(1);
    expect(report.pathsOver(50)).toHaveLength(0);
  });

  test('a function that sends on every attempt multiplies; its destination sends once per event', () => {
    // GIVEN two functions with 2 retries: one sends to queue X from its code, the other through its on-success destination
    const stack = newStack();
    const x = consumedQueue(stack, 'X', 5);
    const y = consumedQueue(stack, 'Y', 5);
    const sender = new lambda.Function(stack, 'Sender', { ...handlerProps, retryAttempts: 2 });
    x.queue.grantSendMessages(sender);
    new lambda.Function(stack, 'Destined', { ...handlerProps, retryAttempts: 2, onSuccess: new destinations.SqsDestination(y.queue) });
    // WHEN
    const byFirstHop = Object.fromEntries(RetryBudget.analyze(stack).paths.map(p => [p.hops[0], p]));
    // THEN
    expect(byFirstHop['Test/Sender']).toMatchObject({ hops: ['Test/Sender', 'Test/XQueue', 'Test/XFunction'], worstCaseInvocations: 15 });
    expect(byFirstHop['Test/Destined']).toMatchObject({ hops: ['Test/Destined', 'Test/YQueue', 'Test/YFunction'], worstCaseInvocations: 5 });
  });

  test('a queue without a redrive policy is received until its retention ends: retention / visibility timeout', () => {
    // GIVEN SQS defaults: 4 days of retention, 30 s of visibility
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Queue');
    new lambda.Function(stack, 'Function', { ...handlerProps, timeout: Duration.seconds(5) })
      .addEventSource(new sources.SqsEventSource(queue));
    // WHEN
    const [path] = RetryBudget.analyze(stack).paths;
    // THEN
    expect(path).toMatchObject({ hops: ['Test/Queue', 'Test/Function'], worstCaseInvocations: 345_600 / 30 });
  });

  test('a function that sends to its own queue is a loop, reported once', () => {
    // GIVEN
    const stack = newStack();
    const loop = new QueueDecoupledFunction(stack, 'Loop', { functionProps: handlerProps });
    loop.queue.grantSendMessages(loop.function);
    // WHEN
    const report = RetryBudget.analyze(stack);
    // THEN the walk ends where it started
    expect(report.paths).toEqual([{
      hops: ['Test/Loop/Queue', 'Test/Loop/Function', 'Test/Loop/Queue'],
      attempts: [1, 5, 1],
      worstCaseInvocations: 5,
      cyclic: true,
      certainLoop: true,
    }]);
    expect(report.pathsOver(1000)).toHaveLength(1);
    expect(report.toMarkdown()).toContain('| `Test/Loop/Queue` → `Test/Loop/Function` ×5 → `Test/Loop/Queue` | 5 per trip (certain loop) |');
  });

  test('a loop entered from outside is reported once from its entry', () => {
    // GIVEN an entry queue whose function sends to a loop of two queue-decoupled functions
    const stack = newStack();
    const entry = consumedQueue(stack, 'Entry', 5);
    const ping = new QueueDecoupledFunction(stack, 'Ping', { functionProps: handlerProps });
    const pong = new QueueDecoupledFunction(stack, 'Pong', { functionProps: handlerProps });
    ping.queue.grantSendMessages(entry.fn);
    pong.queue.grantSendMessages(ping.function);
    ping.queue.grantSendMessages(pong.function);
    // WHEN
    const report = RetryBudget.analyze(stack);
    // THEN
    expect(report.paths.map(p => p.hops.map(h => h.replace('Test/', '')).join(' > '))).toEqual([
      'EntryQueue > EntryFunction > Ping/Queue > Ping/Function > Pong/Queue > Pong/Function > Ping/Queue',
    ]);
    expect(report.paths[0]).toMatchObject({ cyclic: true, worstCaseInvocations: 5 * 5 * 5 });
  });

  test('an EventBridge rule: a Lambda target is attempted 1 + its async retries, an API destination 1 + the target retries', () => {
    // GIVEN
    const stack = newStack();
    const bus = new ArchivedEventBus(stack, 'Bus');
    const fn = new lambda.Function(stack, 'Handler', { ...handlerProps, retryAttempts: 1 });
    const connection = new events.Connection(stack, 'Connection', {
      authorization: events.Authorization.apiKey('x-api-key', SecretValue.unsafePlainText('test only')),
    });
    const api = new events.ApiDestination(stack, 'Api', { connection, endpoint: 'https://example.com/hook' });
    bus.addRule('ToFunction', { eventPattern: { source: ['a'] }, targets: [new targets.LambdaFunction(fn)] });
    bus.addRule('ToApi', { eventPattern: { source: ['a'] }, targets: [new targets.ApiDestination(api)] });
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.attempts, p.worstCaseInvocations]);
    // THEN (ArchivedEventBus sets 185 retries on its targets)
    expect(paths).toEqual(expect.arrayContaining([
      ['Test/Bus > Test/Bus/Rules/ToFunction > Test/Handler', [1, 1, 2], 2],
      ['Test/Bus > Test/Bus/Rules/ToApi > Test/Api/ApiDestination', [1, 1, 186], 186],
    ]));
  });

  test('an SNS subscription invokes a function asynchronously; a queue subscription passes each message once', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    const fn = new lambda.Function(stack, 'Subscriber', { ...handlerProps, retryAttempts: 0 });
    topic.addSubscription(new subscriptions.LambdaSubscription(fn));
    const q = consumedQueue(stack, 'Q', 7);
    topic.addSubscription(new subscriptions.SqsSubscription(q.queue));
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.worstCaseInvocations]);
    // THEN
    expect(paths).toEqual([
      ['Test/Topic > Test/QQueue > Test/QFunction', 7],
      ['Test/Topic > Test/Subscriber', 1],
    ]);
  });

  test('a consumed dead-letter queue continues the path: a redrive consumer retries again', () => {
    // GIVEN queue (5 receives) whose dead-letter queue is consumed by a function (3 receives)
    const stack = newStack();
    const deadLetters = new sqs.Queue(stack, 'DeadLetters', {
      visibilityTimeout: Duration.minutes(3),
      deadLetterQueue: { queue: new sqs.Queue(stack, 'LastResort'), maxReceiveCount: 3 },
    });
    const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3), deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 } });
    new lambda.Function(stack, 'Worker', handlerProps).addEventSource(new sources.SqsEventSource(queue));
    new lambda.Function(stack, 'Redriver', handlerProps).addEventSource(new sources.SqsEventSource(deadLetters));
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.worstCaseInvocations]);
    // THEN
    expect(paths).toEqual([
      ['Test/Queue > Test/DeadLetters > Test/Redriver', 3],
      ['Test/Queue > Test/Worker', 5],
    ]);
  });

  test('a dead-letter queue that nothing consumes ends no path, even with a dead-letter queue of its own', () => {
    // GIVEN queue -> dead-letter queue -> last resort, none of them consumed but the first
    const stack = newStack();
    const deadLetters = new sqs.Queue(stack, 'DeadLetters', { deadLetterQueue: { queue: new sqs.Queue(stack, 'LastResort'), maxReceiveCount: 3 } });
    const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3), deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 } });
    new lambda.Function(stack, 'Worker', handlerProps).addEventSource(new sources.SqsEventSource(queue));
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.worstCaseInvocations]);
    // THEN
    expect(paths).toEqual([['Test/Queue > Test/Worker', 5]]);
  });

  test('an app: every stack, each analysed on its own', () => {
    // GIVEN
    const app = newApp();
    consumedQueue(new Stack(app, 'One'), 'A', 5);
    consumedQueue(new Stack(app, 'Two'), 'B', 8);
    // WHEN
    const report = RetryBudget.analyze(app);
    // THEN
    expect(report.paths.map(p => [p.hops[0], p.worstCaseInvocations])).toEqual([['Two/BQueue', 8], ['One/AQueue', 5]]);
  });

  test('toMarkdown(): a table with each hop, its attempts and the worst case', () => {
    // GIVEN
    const report = new RetryBudgetReport([
      { hops: ['S/Queue', 'S/Function'], attempts: [1, 5], worstCaseInvocations: 5, cyclic: false },
      { hops: ['S/Async', 'S/Queue2', 'S/Function2'], attempts: [3, 1, 5], worstCaseInvocations: 15, cyclic: false },
    ]);
    // WHEN / THEN longest first
    expect(report.toMarkdown()).toBe([
      '| Path (hop ×attempts per event) | Worst-case invocations of the last hop |',
      '|---|---|',
      '| `S/Async` ×3 → `S/Queue2` → `S/Function2` ×5 | 15 |',
      '| `S/Queue` → `S/Function` ×5 | 5 |',
      '',
    ].join('\n'));
    expect(new RetryBudgetReport([]).toMarkdown()).toContain('| (no path) | |');
  });

  test('a stack with no event flow has no path', () => {
    // GIVEN a function nothing invokes and a queue nothing consumes
    const stack = newStack();
    new lambda.Function(stack, 'Alone', handlerProps);
    new sqs.Queue(stack, 'Idle');
    // WHEN / THEN
    expect(RetryBudget.analyze(stack).paths).toEqual([]);
  });
});
