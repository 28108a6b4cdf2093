import { CustomResource, Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { ArchivedEventBus, AsyncFunction, FanOutTopic, QueueBackedApi, QueueDecoupledFunction, ResilienceChecks, RetryBudget, RetryBudgetReport } from '../../src';
import { handlerProps, newApp, newStack } from '../helpers';
import { findings } from './nag';
import { newPipe, readKinesis, readTable, safeSource, streamedTable } from './streams';

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

  describe('FanOutTopic', () => {
    /** Each path as `hops (without the stack) | attempts | worst case`. */
    const summary = (report: RetryBudgetReport) => report.paths.map(p => [p.hops.map(h => h.replace('Test/', '')).join(' > '), p.attempts, p.worstCaseInvocations]);

    test('a standard fan-out: each subscriber multiplies its own attempts; the subscriptions\' dead-letter queue ends no path', () => {
      // GIVEN a queue consumer (5 receives) that publishes to the topic, which fans out to a
      // QueueDecoupledFunction (5 receives) and an AsyncFunction (1 + 2 retries)
      const stack = newStack();
      const orders = new QueueDecoupledFunction(stack, 'Orders', { functionProps: handlerProps });
      const placed = new FanOutTopic(stack, 'Placed');
      placed.grantPublish(orders.function);
      placed.addSubscription(new subscriptions.SqsSubscription(new QueueDecoupledFunction(stack, 'Billing', { functionProps: handlerProps }).queue));
      placed.addSubscription(new subscriptions.LambdaSubscription(new AsyncFunction(stack, 'Notify', { functionProps: handlerProps }).function));
      // WHEN
      const paths = summary(RetryBudget.analyze(stack));
      // THEN
      expect(paths).toEqual([
        ['Orders/Queue > Orders/Function > Placed/Topic > Billing/Queue > Billing/Function', [1, 5, 1, 1, 5], 25],
        ['Orders/Queue > Orders/Function > Placed/Topic > Notify/Function', [1, 5, 1, 3], 15],
      ]);
    });

    test('a FIFO fan-out to a FIFO and a standard queue: each queue\'s maxReceiveCount', () => {
      // GIVEN
      const stack = newStack();
      const payments = new FanOutTopic(stack, 'Payments', { fifo: true });
      payments.addSubscription(new subscriptions.SqsSubscription(
        new QueueDecoupledFunction(stack, 'Ledger', { functionProps: handlerProps, fifo: true, maxReceiveCount: 3 }).queue));
      payments.addSubscription(new subscriptions.SqsSubscription(
        new QueueDecoupledFunction(stack, 'Audit', { functionProps: handlerProps, maxReceiveCount: 7 }).queue));
      // WHEN
      const paths = summary(RetryBudget.analyze(stack));
      // THEN
      expect(paths).toEqual([
        ['Payments/Topic > Audit/Queue > Audit/Function', [1, 1, 7], 7],
        ['Payments/Topic > Ledger/Queue > Ledger/Function', [1, 1, 3], 3],
      ]);
    });

    test('a function that consumes the subscriptions\' dead-letter queue (subscription redrive) continues the path', () => {
      // GIVEN a FIFO fan-out whose dead-letter queue (14 days, no redrive policy of its own) a function consumes (30 s visibility)
      const stack = newStack();
      const payments = new FanOutTopic(stack, 'Payments', { fifo: true });
      payments.addSubscription(new subscriptions.SqsSubscription(
        new QueueDecoupledFunction(stack, 'Ledger', { functionProps: handlerProps, fifo: true }).queue));
      new lambda.Function(stack, 'Redriver', handlerProps).addEventSource(new sources.SqsEventSource(payments.deadLetterQueue.queue));
      // WHEN
      const paths = summary(RetryBudget.analyze(stack));
      // THEN the redriver receives each message until the retention ends: 14 days / 30 s
      expect(paths).toEqual([
        ['Payments/Topic > Payments/DeadLetterQueue > Redriver', [1, 1, 1_209_600 / 30], 40_320],
        ['Payments/Topic > Ledger/Queue > Ledger/Function', [1, 1, 5], 5],
      ]);
    });

    test('a subscriber that publishes back to its topic is a loop', () => {
      // GIVEN
      const stack = newStack();
      const topic = new FanOutTopic(stack, 'Echo');
      const echo = new AsyncFunction(stack, 'Echoer', { functionProps: handlerProps, retryAttempts: 1 });
      topic.addSubscription(new subscriptions.LambdaSubscription(echo.function));
      topic.grantPublish(echo.function);
      // WHEN
      const report = RetryBudget.analyze(stack);
      // THEN
      expect(summary(report)).toEqual([['Echo/Topic > Echoer/Function > Echo/Topic', [1, 2, 1], 2]]);
      expect(report.paths[0].cyclic).toBe(true);
    });
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

describe('RetryBudget: streams', () => {
  test('a mapping as StreamConsumerFunction configures it: 1 + 3 retries + ceil(log2(100)) = 11; its unconsumed dead-letter queue ends no path', () => {
    // GIVEN
    const stack = newStack();
    readKinesis(new kinesis.Stream(stack, 'Stream'), safeSource(stack));
    // WHEN / THEN
    expect(RetryBudget.analyze(stack).paths).toEqual([{ hops: ['Test/Stream', 'Test/Fn'], attempts: [1, 11], worstCaseInvocations: 11, cyclic: false, certainLoop: false }]);
  });

  test('without bisecting, 1 + retries; a DynamoDB stream in batches of 1,000 that bisects: 1 + 5 + 10', () => {
    // GIVEN
    const stack = newStack();
    readKinesis(new kinesis.Stream(stack, 'Stream'), { retryAttempts: 2 }, 'Plain');
    readTable(streamedTable(stack), { retryAttempts: 5, bisectBatchOnError: true, batchSize: 1000 }, 'Bisecting');
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.worstCaseInvocations]);
    // THEN
    expect(paths).toEqual([['Test/Table > Test/Bisecting', 16], ['Test/Stream > Test/Plain', 3]]);
  });

  test('unbounded retries are counted as attempts of the function timeout in the record\'s life: 1 + 1 h / 30 s; with AWS\'s defaults, 1 + 24 h / 30 s', () => {
    // GIVEN 30 s functions: one with a 1 h maximum record age, one with AWS's defaults on a stream that keeps 24 h
    const stack = newStack();
    readKinesis(new kinesis.Stream(stack, 'Aged'), { maxRecordAge: Duration.hours(1) }, 'AgedFn');
    readKinesis(new kinesis.Stream(stack, 'Forever'), {}, 'ForeverFn');
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.worstCaseInvocations]);
    // THEN
    expect(paths).toEqual([['Test/Forever > Test/ForeverFn', 2881], ['Test/Aged > Test/AgedFn', 121]]);
  });

  test('an on-failure destination that a function consumes continues the path: the failed record once, then that queue\'s receives', () => {
    // GIVEN a mapping (2 retries) failing to a queue that a redrive function consumes (3 receives)
    const stack = newStack();
    const failures = new sqs.Queue(stack, 'Failures', {
      visibilityTimeout: Duration.minutes(3),
      deadLetterQueue: { queue: new sqs.Queue(stack, 'LastResort'), maxReceiveCount: 3 },
    });
    readKinesis(new kinesis.Stream(stack, 'Stream'), { retryAttempts: 2, onFailure: new sources.SqsDlq(failures) });
    new lambda.Function(stack, 'Redriver', handlerProps).addEventSource(new sources.SqsEventSource(failures, { reportBatchItemFailures: true }));
    // WHEN / THEN
    expect(RetryBudget.analyze(stack).paths).toEqual([
      { hops: ['Test/Stream', 'Test/Fn', 'Test/Failures', 'Test/Redriver'], attempts: [1, 3, 1, 3], worstCaseInvocations: 3, cyclic: false, certainLoop: false },
    ]);
  });
});

describe('RetryBudget: EventBridge pipes', () => {
  test('queue (5 receives) → pipe → function: the pipe retries up to maxReceiveCount, each attempt invokes the target once', () => {
    // GIVEN
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: new sqs.Queue(stack, 'DeadLetters'), maxReceiveCount: 5 } });
    newPipe(stack, queue.queueArn, new lambda.Function(stack, 'Target', handlerProps).functionArn);
    // WHEN / THEN
    expect(RetryBudget.analyze(stack).paths).toEqual([
      { hops: ['Test/Queue', 'Test/Pipe', 'Test/Target'], attempts: [1, 5, 1], worstCaseInvocations: 5, cyclic: false, certainLoop: false },
    ]);
  });

  test('a FIRE_AND_FORGET function target adds its asynchronous retries: 5 × 3 = 15', () => {
    // GIVEN
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: new sqs.Queue(stack, 'DeadLetters'), maxReceiveCount: 5 } });
    newPipe(stack, queue.queueArn, new lambda.Function(stack, 'Target', { ...handlerProps, retryAttempts: 2 }).functionArn, {
      targetParameters: { lambdaFunctionParameters: { invocationType: 'FIRE_AND_FORGET' } },
    });
    // WHEN
    const [path] = RetryBudget.analyze(stack).paths;
    // THEN
    expect(path).toMatchObject({ attempts: [1, 5, 3], worstCaseInvocations: 15 });
  });

  test('stream → pipe (4 retries, bisecting batches of 10: 1 + 4 + 4 = 9) → queue → function (5 receives): 45', () => {
    // GIVEN
    const stack = newStack();
    const next = consumedQueue(stack, 'Next', 5);
    newPipe(stack, new kinesis.Stream(stack, 'Stream').streamArn, next.queue.queueArn, {
      sourceParameters: {
        kinesisStreamParameters: {
          startingPosition: 'LATEST',
          batchSize: 10,
          maximumRetryAttempts: 4,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: new sqs.Queue(stack, 'PipeDeadLetters').queueArn },
        },
      },
    });
    // WHEN / THEN the pipe's dead-letter queue, consumed by nothing, ends no path
    expect(RetryBudget.analyze(stack).paths).toEqual([
      { hops: ['Test/Stream', 'Test/Pipe', 'Test/NextQueue', 'Test/NextFunction'], attempts: [1, 9, 1, 5], worstCaseInvocations: 45, cyclic: false, certainLoop: false },
    ]);
  });
});

/** A function `id` that a rule of `bus` matching `pattern` invokes (1 retry), and that may put any event on `bus`. */
function putsOnItsOwnBus(stack: Stack, bus: events.EventBus, id: string, pattern: events.EventPattern,
  grant: (fn: lambda.Function) => void = fn => bus.grantPutEventsTo(fn)): lambda.Function {
  const fn = new lambda.Function(stack, id, { ...handlerProps, retryAttempts: 1 });
  grant(fn);
  new events.Rule(stack, `${id}Rule`, { eventBus: bus, eventPattern: pattern, targets: [new targets.LambdaFunction(fn)] });
  return fn;
}

/** The loops of a report, as `hops (certain|possible)`. */
function loopsOf(report: RetryBudgetReport): string[] {
  return report.paths.filter(p => p.cyclic).map(p => `${p.hops.map(h => h.replace('Test/', '')).join(' > ')} (${p.certainLoop ? 'certain' : 'possible'})`);
}

describe('RetryBudget: loops through EventBridge rules are certain only when the template shows the event matches again', () => {
  test('functions that put events on the bus that triggers them, with detail-types their rules do not name: possible loops, no finding', () => {
    // GIVEN two functions on one bus, each triggered by a detail-type, each allowed to put any event on the bus
    const stack = newStack();
    const bus = new events.EventBus(stack, 'Bus');
    putsOnItsOwnBus(stack, bus, 'Orders', { detailType: ['OrderPlaced'] });
    putsOnItsOwnBus(stack, bus, 'Shipping', { detailType: ['OrderPaid'] });
    // WHEN
    const report = RetryBudget.analyze(stack);
    // THEN every loop is possible, none certain
    expect(loopsOf(report)).toEqual(['Bus > OrdersRule > Orders > Bus (possible)', 'Bus > ShippingRule > Shipping > Bus (possible)']);
    expect(report.pathsOver(25)).toEqual([]);
    expect(report.toMarkdown()).toContain('| `Test/Bus` → `Test/OrdersRule` → `Test/Orders` ×2 → `Test/Bus` | 2 per trip (possible loop: the template does not show that the event comes back) |');
    expect(findings(stack, 'Resilience-RetryBudget1')).toEqual([]);
  });

  test('a role that several functions share: its grant closes a possible loop, not a certain one; the function\'s own role closes a certain one', () => {
    // GIVEN one role for every function, as the Serverless Framework makes it: the consumer of a queue,
    // and a producer that the role lets send to that queue
    const build = (sharedRole: boolean) => {
      const stack = newStack();
      const queue = new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: new sqs.Queue(stack, 'DeadLetters'), maxReceiveCount: 5 } });
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      const consumer = new lambda.Function(stack, 'Consumer', { ...handlerProps, role });
      consumer.addEventSource(new sources.SqsEventSource(queue, { reportBatchItemFailures: true }));
      if (sharedRole) new lambda.Function(stack, 'Producer', { ...handlerProps, role });
      queue.grantSendMessages(role);
      return stack;
    };
    // WHEN / THEN
    expect(loopsOf(RetryBudget.analyze(build(true)))).toEqual(['Producer > Queue > Consumer > Queue (possible)']);
    expect(findings(build(true), 'Resilience-RetryBudget1')).toEqual([]);
    expect(loopsOf(RetryBudget.analyze(build(false)))).toEqual(['Queue > Consumer > Queue (certain)']);
    expect(findings(build(false), 'Resilience-RetryBudget1')).toEqual(['Test/Queue/Resource']);
  });

  test('a grant whose conditions name a detail-type that the rule matches is a certain loop, and a finding; one it does not match is no loop', () => {
    // GIVEN a function allowed to put only OrderPlaced events, on the bus whose OrderPlaced rule triggers it
    const grantOnly = (detailType: string) => (fn: lambda.Function) => fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['events:PutEvents'], resources: [bus.eventBusArn], conditions: { StringEquals: { 'events:detail-type': detailType } },
    }));
    const stack = newStack();
    const bus = new events.EventBus(stack, 'Bus');
    putsOnItsOwnBus(stack, bus, 'Orders', { detailType: ['OrderPlaced'] }, grantOnly('OrderPlaced'));
    // WHEN / THEN
    expect(loopsOf(RetryBudget.analyze(stack))).toEqual(['Bus > OrdersRule > Orders > Bus (certain)']);
    expect(findings(stack, 'Resilience-RetryBudget1')).toEqual(['Test/Bus/Resource']);

    // GIVEN it may put only OrderShipped events
    const other = newStack();
    const otherBus = new events.EventBus(other, 'Bus');
    putsOnItsOwnBus(other, otherBus, 'Orders', { detailType: ['OrderPlaced'] }, fn => fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['events:PutEvents'], resources: [otherBus.eventBusArn], conditions: { StringEquals: { 'events:detail-type': 'OrderShipped' } },
    })));
    // THEN the event cannot come back
    expect(loopsOf(RetryBudget.analyze(other))).toEqual([]);
  });

  test('a rule that matches every event of the account closes a certain loop', () => {
    // GIVEN a function triggered by every event of the account, allowed to put events on the bus
    const stack = newStack();
    putsOnItsOwnBus(stack, new events.EventBus(stack, 'Bus'), 'Audit', { account: [stack.account] });
    // WHEN / THEN
    expect(loopsOf(RetryBudget.analyze(stack))).toEqual(['Bus > AuditRule > Audit > Bus (certain)']);
  });

  test('a Lambda destination\'s events close a certain loop through a rule that matches them, a possible one otherwise', () => {
    // GIVEN a function whose on-success destination is the bus, triggered by a rule on `pattern`
    const build = (pattern: events.EventPattern) => {
      const stack = newStack();
      const bus = new events.EventBus(stack, 'Bus');
      const fn = new lambda.Function(stack, 'Next', { ...handlerProps, retryAttempts: 0, onSuccess: new destinations.EventBridgeDestination(bus) });
      new events.Rule(stack, 'NextRule', { eventBus: bus, eventPattern: pattern, targets: [new targets.LambdaFunction(fn)] });
      return stack;
    };
    // WHEN / THEN
    expect(loopsOf(RetryBudget.analyze(build({ source: ['lambda'] })))).toEqual(['Bus > NextRule > Next > Bus (certain)']);
    expect(loopsOf(RetryBudget.analyze(build({ source: ['lambda'], detail: { status: ['done'] } })))).toEqual(['Bus > NextRule > Next > Bus (possible)']);
    expect(loopsOf(RetryBudget.analyze(build({ source: ['orders'] })))).toEqual([]);
  });

  test('two buses that forward to each other: the event comes back unchanged, a certain loop', () => {
    // GIVEN
    const stack = newStack();
    const a = new events.EventBus(stack, 'A');
    const b = new events.EventBus(stack, 'B');
    new events.Rule(stack, 'AtoB', { eventBus: a, eventPattern: { source: ['orders'] }, targets: [new targets.EventBus(b)] });
    new events.Rule(stack, 'BtoA', { eventBus: b, eventPattern: { detailType: ['OrderPlaced'] }, targets: [new targets.EventBus(a)] });
    // WHEN / THEN
    expect(loopsOf(RetryBudget.analyze(stack))).toEqual(['A > AtoB > B > BtoA > A (certain)']);
  });
});

describe('RetryBudget: counting', () => {
  test('two targets of one rule on the same API destination count twice, each with its retries', () => {
    // GIVEN one rule with two targets on one API destination: 1 + 2 and 1 + 3 attempts
    const stack = newStack();
    const connection = new events.Connection(stack, 'Connection', {
      authorization: events.Authorization.apiKey('x-api-key', SecretValue.unsafePlainText('test only')),
    });
    const api = new events.ApiDestination(stack, 'Api', { connection, endpoint: 'https://example.com/hook' });
    new events.Rule(stack, 'Rule', {
      eventPattern: { source: ['orders'] },
      targets: [new targets.ApiDestination(api, { retryAttempts: 2 }), new targets.ApiDestination(api, { retryAttempts: 3 })],
    });
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.attempts, p.worstCaseInvocations]);
    // THEN
    expect(paths).toEqual([['Test/Rule > Test/Api/ApiDestination', [1, 7], 7]]);
  });

  test('an API Gateway method that invokes a function asynchronously: the function\'s retries count', () => {
    // GIVEN a method whose integration invokes with 'Event' a function (1 + 2 attempts) that sends to a queue (5 receives)
    const stack = newStack();
    const fn = new lambda.Function(stack, 'Accept', handlerProps);
    consumedQueue(stack, 'Q', 5).queue.grantSendMessages(fn);
    new apigateway.RestApi(stack, 'Api').root.addMethod('POST', new apigateway.LambdaIntegration(fn, {
      proxy: false,
      requestParameters: { 'integration.request.header.X-Amz-Invocation-Type': "'Event'" },
      integrationResponses: [{ statusCode: '202' }],
    }), { methodResponses: [{ statusCode: '202' }] });
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.attempts, p.worstCaseInvocations]);
    // THEN
    expect(paths).toEqual([['Test/Api/Default/POST > Test/Accept > Test/QQueue > Test/QFunction', [1, 3, 1, 5], 15]]);
  });

  test('two targets of one rule on the same queue deliver each event twice: the consumer counts both', () => {
    // GIVEN
    const stack = newStack();
    const q = consumedQueue(stack, 'Q', 5);
    new events.Rule(stack, 'Rule', { eventPattern: { source: ['orders'] }, targets: [new targets.SqsQueue(q.queue), new targets.SqsQueue(q.queue)] });
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.worstCaseInvocations]);
    // THEN 2 messages × 5 receives
    expect(paths).toEqual([['Test/Rule > Test/QQueue > Test/QFunction', 10]]);
  });

  test('a destination and a grant on the same queue are one edge: the destination wins', () => {
    // GIVEN a function (2 retries) whose on-success destination is a queue it may also send to
    const stack = newStack();
    const q = consumedQueue(stack, 'Q', 5);
    const fn = new lambda.Function(stack, 'Fn', { ...handlerProps, retryAttempts: 2, onSuccess: new destinations.SqsDestination(q.queue) });
    q.queue.grantSendMessages(fn);
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.worstCaseInvocations]);
    // THEN once per event, 5 receives
    expect(paths).toEqual([['Test/Fn > Test/QQueue > Test/QFunction', 5]]);
  });

  test('aws-cdk-lib\'s own functions are in no path and no finding', () => {
    // GIVEN a bucket that deletes its objects and notifies a queue, a function with log retention,
    // an AwsCustomResource that publishes to a topic, and a provider framework whose handler sends to a queue
    const stack = newStack();
    const notified = consumedQueue(stack, 'Notified', 5);
    new s3.Bucket(stack, 'Bucket', { autoDeleteObjects: true, removalPolicy: RemovalPolicy.DESTROY })
      .addObjectCreatedNotification(new s3n.SqsDestination(notified.queue));
    new lambda.Function(stack, 'Logged', { ...handlerProps, logRetention: logs.RetentionDays.ONE_WEEK });
    const topic = new sns.Topic(stack, 'Topic');
    topic.addSubscription(new subscriptions.SqsSubscription(consumedQueue(stack, 'Subscribed', 5).queue));
    new cr.AwsCustomResource(stack, 'Publish', {
      onCreate: { service: 'SNS', action: 'publish', parameters: { TopicArn: topic.topicArn, Message: 'hello' }, physicalResourceId: cr.PhysicalResourceId.of('x') },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [topic.topicArn] }),
    });
    const onEvent = new lambda.Function(stack, 'OnEvent', handlerProps);
    consumedQueue(stack, 'Provisioned', 5).queue.grantSendMessages(onEvent);
    new CustomResource(stack, 'Custom', { serviceToken: new cr.Provider(stack, 'Provider', { onEventHandler: onEvent }).serviceToken });
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops.join(' > '), p.worstCaseInvocations]);
    // THEN only the user's event paths
    expect(paths).toEqual([
      ['Test/Bucket > Test/NotifiedQueue > Test/NotifiedFunction', 5],
      ['Test/Topic > Test/SubscribedQueue > Test/SubscribedFunction', 5],
      ['Test/ProvisionedQueue > Test/ProvisionedFunction', 5],
    ]);
    expect(findings(stack, 'Resilience-Lambda1')).toEqual([]);
  });
});

describe('RetryBudget: the synchronous front door', () => {
  test('a QueueBackedApi stores each request in its consumer\'s queue: method → queue → consumer, once per request', () => {
    // GIVEN
    const stack = newStack();
    const consumer = new QueueDecoupledFunction(stack, 'Orders', { functionProps: handlerProps });
    new QueueBackedApi(stack, 'OrdersApi', { consumer });
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops, p.attempts, p.worstCaseInvocations]);
    // THEN
    expect(paths).toEqual([[['Test/OrdersApi/RestApi/Default/POST', 'Test/Orders/Queue', 'Test/Orders/Function'], [1, 1, 5], 5]]);
  });
});

describe('RetryBudget past the path limit', () => {
  /**
   * A template whose topic `Fan` fans out to `width` consumed queues whose functions all publish to a topic
   * `Out` of `depth` subscribed queues (width × depth paths from `Fan`), and, apart, a queue `Zeta` with
   * maxReceiveCount 100 consumed by a function: its one path (×100) comes after `Fan`'s in the walk.
   */
  function fanOutTemplate(width: number, depth: number): any {
    const resources: Record<string, any> = {
      Fan: { Type: 'AWS::SNS::Topic' },
      Out: { Type: 'AWS::SNS::Topic' },
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Publish: {
        Type: 'AWS::IAM::Policy',
        Properties: { Roles: [{ Ref: 'Role' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'Out' } }] } },
      },
      ZetaDeadLetters: { Type: 'AWS::SQS::Queue' },
      Zeta: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['ZetaDeadLetters', 'Arn'] }, maxReceiveCount: 100 } } },
      ZetaRole: { Type: 'AWS::IAM::Role', Properties: {} },
      ZetaFunction: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['ZetaRole', 'Arn'] } } },
      ZetaMapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: { 'Fn::GetAtt': ['Zeta', 'Arn'] }, FunctionName: { Ref: 'ZetaFunction' } } },
    };
    for (let i = 0; i < width; i++) {
      resources[`In${i}`] = { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['ZetaDeadLetters', 'Arn'] }, maxReceiveCount: 1 } } };
      resources[`In${i}Subscription`] = { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'Fan' }, Protocol: 'sqs', Endpoint: { 'Fn::GetAtt': [`In${i}`, 'Arn'] } } };
      resources[`In${i}Function`] = { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } };
      resources[`In${i}Mapping`] = { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: { 'Fn::GetAtt': [`In${i}`, 'Arn'] }, FunctionName: { Ref: `In${i}Function` } } };
    }
    for (let j = 0; j < depth; j++) {
      resources[`Sink${j}`] = { Type: 'AWS::SQS::Queue' };
      resources[`Sink${j}Subscription`] = { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'Out' }, Protocol: 'sqs', Endpoint: { 'Fn::GetAtt': [`Sink${j}`, 'Arn'] } } };
    }
    return { Resources: resources };
  }

  test('the listing stops at PATH_LIMIT paths from one resource, says so, and walks every other resource', () => {
    // GIVEN 40 × 30 = 1,200 paths from Fan, and Zeta's path after them
    const template = fanOutTemplate(40, 30);
    // WHEN
    const report = RetryBudget.fromTemplate(template);
    // THEN Fan's listing stopped at the limit, and says so
    expect(RetryBudgetReport.PATH_LIMIT).toBe(1000);
    expect(report.paths.filter(p => p.hops[0] === 'Template/Fan')).toHaveLength(RetryBudgetReport.PATH_LIMIT);
    expect(report.incomplete).toEqual(['Template/Fan']);
    expect(report.toMarkdown()).toContain('| `Template/Fan` → … | not listed: the listing stopped at 1,000 paths from here |');
    // and Zeta's ×100 path is still there
    expect(report.paths.filter(p => p.hops[0] === 'Template/Zeta').map(p => [p.hops, p.worstCaseInvocations])).toEqual([
      [['Template/Zeta', 'Template/ZetaFunction'], 100],
    ]);
  });

  test('below the limit every path is listed and nothing is incomplete', () => {
    // GIVEN 10 × 10 = 100 paths from Fan
    // WHEN
    const report = RetryBudget.fromTemplate(fanOutTemplate(10, 10));
    // THEN
    expect(report.paths.filter(p => p.hops[0] === 'Template/Fan')).toHaveLength(100);
    expect(report.incomplete).toEqual([]);
  });

  test('Resilience-Checks3 reports where the listing stopped; Resilience-RetryBudget1 still reports the ×100 path after it', () => {
    // GIVEN
    const template = fanOutTemplate(40, 30);
    // WHEN
    const report = ResilienceChecks.checkTemplate(template);
    const on = (rule: string) => report.violations.filter(v => v.ruleName === rule)
      .flatMap(v => v.violatingResources.map(r => [r.resourceLogicalId, v.description]));
    // THEN
    expect(on('Resilience-Checks3')).toEqual([['Fan', expect.stringMatching(/more than 1,000 paths.*\(1000 path\(s\) listed\)$/)]]);
    expect(on('Resilience-RetryBudget1')).toEqual([['Zeta', expect.stringMatching(/Template\/Zeta → Template\/ZetaFunction ×100: 100 worst-case invocations, budget 25/)]]);
  });
});
