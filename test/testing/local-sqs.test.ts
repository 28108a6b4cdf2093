/**
 * The local SQS of cdk-resilience/testing, through @aws-sdk/client-sqs v3 as
 * users call it. Most tests run on a clock the test moves (no waiting); the
 * default clock and long polling are tested in real time with wide margins.
 */
import {
  ChangeMessageVisibilityBatchCommand, ChangeMessageVisibilityCommand, CreateQueueCommand, DeleteMessageBatchCommand,
  DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, Message, ReceiveMessageCommand, SendMessageBatchCommand,
  SendMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import { LocalSqs, startLocalSqs } from '../../src/testing';

const HOUR = 3_600_000;

let sqs: LocalSqs;
let client: SQSClient;
/** The local SQS's clock: moved by the tests. */
let now = Date.UTC(2026, 0, 1);
let count = 0;

beforeAll(async () => {
  sqs = await startLocalSqs({ clock: () => now });
  client = sqs.client();
});

afterAll(() => sqs.stop());

afterEach(() => sqs.faults.clear());

/** A queue no other test uses; its name and URL. */
async function queue(settings: Record<string, string> = {}, fifo = false): Promise<{ name: string; url: string }> {
  count += 1;
  const name = `queue-${count}${fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: { ...settings, ...(fifo ? { FifoQueue: 'true' } : {}) } }));
  return { name, url: QueueUrl! };
}

async function send(url: string, ...bodies: string[]): Promise<void> {
  for (const body of bodies) await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
}

async function receive(url: string, max = 10, extra: { VisibilityTimeout?: number } = {}): Promise<Message[]> {
  const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: max, MessageSystemAttributeNames: ['All'], ...extra }));
  return Messages ?? [];
}

/** The error a call rejects with: its name (the JSON type), its query code and its message. */
async function failure(call: Promise<unknown>): Promise<{ name: string; code: string; message: string; status?: number }> {
  try {
    await call;
  } catch (error: any) {
    return { name: error.name, code: error.Code, message: error.message, status: error.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail, and it succeeded');
}

async function attributes(url: string, ...names: string[]): Promise<Record<string, string>> {
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as any }));
  return Attributes ?? {};
}

describe('startLocalSqs', () => {
  test('defaults: us-east-1, account 000000000000, the URLs and ARNs of AWS, an environment for the AWS SDK', async () => {
    // GIVEN / WHEN
    const local = await startLocalSqs();
    try {
      // THEN
      expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(local.queueUrl('orders')).toBe('https://sqs.us-east-1.amazonaws.com/000000000000/orders');
      expect(local.queueArn('orders')).toBe('arn:aws:sqs:us-east-1:000000000000:orders');
      expect(local.environment).toEqual({
        AWS_ENDPOINT_URL_SQS: local.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
      });
    } finally {
      await local.stop();
    }
  });

  test('a region and an account of your own', async () => {
    // GIVEN / WHEN
    const local = await startLocalSqs({ region: 'eu-west-1', account: '111122223333' });
    try {
      const { QueueUrl } = await local.client().send(new CreateQueueCommand({ QueueName: 'orders' }));
      // THEN
      expect(QueueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/111122223333/orders');
      expect(local.queueArn('orders')).toBe('arn:aws:sqs:eu-west-1:111122223333:orders');
      expect(local.environment.AWS_REGION).toBe('eu-west-1');
    } finally {
      await local.stop();
    }
  });

  test.each([
    [{ account: '1234' }, /account must be 12 digits, got "1234"/],
    [{ region: 'Europe' }, /region must be an AWS region name such as us-east-1, got "Europe"/],
  ])('fails if an option is not valid: %j', async (options, message) => {
    await expect(startLocalSqs(options)).rejects.toThrow(message);
  });

  test('an SDK client configured by its environment reaches it', async () => {
    // GIVEN the environment of the local SQS, and a client that takes everything from it
    const saved = { ...process.env };
    Object.assign(process.env, sqs.environment);
    try {
      const fromEnvironment = new SQSClient({ useQueueUrlAsEndpoint: false });
      // WHEN it creates a queue and sends to it
      const { QueueUrl } = await fromEnvironment.send(new CreateQueueCommand({ QueueName: 'from-environment' }));
      await fromEnvironment.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
      fromEnvironment.destroy();
      // THEN the local SQS has the message
      expect(sqs.messages('from-environment').map(m => m.body)).toEqual(['hello']);
    } finally {
      process.env = saved;
    }
  });

  test('GetQueueUrl, and GetQueueAttributes with the settings, the ARN and the numbers of messages', async () => {
    // GIVEN a queue with a dead-letter queue
    const dlq = await queue();
    const { name, url } = await queue({ VisibilityTimeout: '60', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn(dlq.name), maxReceiveCount: '3' }) });
    await send(url, 'a', 'b');
    await receive(url, 1);
    // WHEN / THEN
    expect((await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl).toBe(sqs.queueUrl(name));
    expect(url).toBe(sqs.queueUrl(name));
    expect(await attributes(url, 'All')).toEqual(expect.objectContaining({
      QueueArn: sqs.queueArn(name),
      VisibilityTimeout: '60',
      DelaySeconds: '0',
      MessageRetentionPeriod: '345600',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn(dlq.name), maxReceiveCount: 3 }),
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '0',
    }));
    expect(await attributes(url, 'VisibilityTimeout')).toEqual({ VisibilityTimeout: '60' });
  });

  test('CreateQueue answers the same URL for the same attributes, and refuses different ones', async () => {
    // GIVEN
    const { name, url } = await queue({ VisibilityTimeout: '10' });
    // WHEN / THEN
    expect((await client.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '10' } }))).QueueUrl).toBe(url);
    expect(await failure(client.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '20' } })))).toEqual(expect.objectContaining({
      name: 'QueueNameExists', message: expect.stringMatching(/different value for attribute VisibilityTimeout/),
    }));
  });

  test.each([
    ['a FIFO queue whose name lacks .fifo', { QueueName: 'orders', Attributes: { FifoQueue: 'true' } }, 'InvalidParameterValue', /must end with \.fifo/],
    ['a visibility timeout above 12 hours', { QueueName: 'orders', Attributes: { VisibilityTimeout: '43201' } }, 'InvalidAttributeValue', /VisibilityTimeout: 43201/],
    ['an unknown attribute', { QueueName: 'orders', Attributes: { Colour: 'blue' } }, 'InvalidAttributeName', /Unknown Attribute Colour/],
    ['a dead-letter queue that does not exist', { QueueName: 'orders', Attributes: { RedrivePolicy: '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:none","maxReceiveCount":5}' } },
      'InvalidParameterValue', /Dead letter target does not exist/],
    ['a maxReceiveCount of 0', { QueueName: 'orders', Attributes: { RedrivePolicy: '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:none","maxReceiveCount":0}' } },
      'InvalidParameterValue', /maxReceiveCount: 0/],
  ] as const)('CreateQueue refuses %s', async (_, input, name, message) => {
    expect(await failure(client.send(new CreateQueueCommand(input as any))))
      .toEqual(expect.objectContaining({ name, message: expect.stringMatching(message) }));
  });

  test('a QueueUrl is accepted with any host; another account\'s or an unknown queue does not exist', async () => {
    // GIVEN
    const { name } = await queue();
    // WHEN / THEN
    await send(`http://localhost:4566/000000000000/${name}`, 'any host');
    expect(sqs.messages(name).map(m => m.body)).toEqual(['any host']);
    for (const url of [`https://sqs.us-east-1.amazonaws.com/111122223333/${name}`, sqs.queueUrl('no-such-queue')]) {
      expect(await failure(send(url, 'x'))).toEqual({
        name: 'QueueDoesNotExist', code: 'AWS.SimpleQueueService.NonExistentQueue', message: 'The specified queue does not exist.', status: 400,
      });
    }
    expect(() => sqs.messages('no-such-queue')).toThrow(/no local queue is named "no-such-queue"/);
  });
});

describe('visibility timeout and receive counts', () => {
  test('a received message is hidden for the queue\'s visibility timeout, then comes back with a new receipt handle and one receive more', async () => {
    // GIVEN a queue whose visibility timeout is 30 s, with one message
    const { url } = await queue({ VisibilityTimeout: '30' });
    await send(url, 'order-1');
    // WHEN it is received
    const [first] = await receive(url);
    // THEN it is hidden until 30 s later
    expect(first.Attributes?.ApproximateReceiveCount).toBe('1');
    now += 29_999;
    expect(await receive(url)).toEqual([]);
    now += 1;
    const [second] = await receive(url);
    expect(second.MessageId).toBe(first.MessageId);
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
    expect(second.Attributes).toEqual(expect.objectContaining({
      ApproximateReceiveCount: '2', ApproximateFirstReceiveTimestamp: String(now - 30_000), SentTimestamp: String(now - 30_000),
    }));
  });

  test('ReceiveMessage\'s VisibilityTimeout replaces the queue\'s for that receive', async () => {
    // GIVEN
    const { url } = await queue({ VisibilityTimeout: '30' });
    await send(url, 'order-1');
    // WHEN
    await receive(url, 1, { VisibilityTimeout: 5 });
    // THEN
    now += 4_999;
    expect(await receive(url)).toEqual([]);
    now += 1;
    expect(await receive(url)).toHaveLength(1);
  });

  test('on the default clock, in real time: hidden at once, back after the timeout', async () => {
    // GIVEN a local SQS on the real clock, a queue whose visibility timeout is 1 s
    const local = await startLocalSqs();
    try {
      const real = local.client();
      const { QueueUrl } = await real.send(new CreateQueueCommand({ QueueName: 'real-time', Attributes: { VisibilityTimeout: '1' } }));
      await real.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
      // WHEN it is received for 30 s
      const [first] = (await real.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 30 }))).Messages ?? [];
      // THEN it is hidden
      expect((await real.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
      // WHEN it is made visible, and received again for the queue's 1 s
      await real.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
      expect((await real.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toHaveLength(1);
      // THEN it is back after that second (waited for 2.5 s)
      await new Promise(resolve => setTimeout(resolve, 2_500));
      const back = (await real.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages ?? [];
      expect(back.map(m => m.Attributes)).toEqual([{ ApproximateReceiveCount: '3' }]);
    } finally {
      await local.stop();
    }
  });

  test('DelaySeconds hides a message from its send; it counts as delayed, not in flight', async () => {
    // GIVEN a queue whose messages are delayed 10 s, and one sent with 20 s
    const { url } = await queue({ DelaySeconds: '10' });
    await send(url, 'queue-delay');
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'own-delay', DelaySeconds: 20 }));
    // WHEN / THEN
    expect(await attributes(url, 'ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesNotVisible'))
      .toEqual({ ApproximateNumberOfMessagesDelayed: '2', ApproximateNumberOfMessagesNotVisible: '0' });
    now += 10_000;
    expect((await receive(url)).map(m => m.Body)).toEqual(['queue-delay']);
    now += 10_000;
    expect((await receive(url)).map(m => m.Body)).toEqual(['own-delay']);
  });

  test('a message older than the retention period is deleted, not received', async () => {
    // GIVEN a queue that keeps messages 60 s
    const { name, url } = await queue({ MessageRetentionPeriod: '60' });
    await send(url, 'old');
    // WHEN 60 s pass
    now += 60_000;
    // THEN
    expect(await receive(url)).toEqual([]);
    expect(sqs.messages(name)).toEqual([]);
  });

  test('long polling: WaitTimeSeconds answers with a message sent during the wait', async () => {
    // GIVEN an empty queue on the real clock
    const local = await startLocalSqs();
    try {
      const real = local.client();
      const { QueueUrl } = await real.send(new CreateQueueCommand({ QueueName: 'long-poll' }));
      // WHEN a receive waits up to 20 s and a message is sent 200 ms later
      const waiting = real.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
      await new Promise(resolve => setTimeout(resolve, 200));
      await real.send(new SendMessageCommand({ QueueUrl, MessageBody: 'late' }));
      // THEN the waiting receive gets it
      expect((await waiting).Messages?.map(m => m.Body)).toEqual(['late']);
    } finally {
      await local.stop();
    }
  });
});

describe('ChangeMessageVisibility(Batch)', () => {
  test('the new timeout counts from the call; 0 makes the message visible at once', async () => {
    // GIVEN a message received with the queue's 30 s
    const { url } = await queue({ VisibilityTimeout: '30' });
    await send(url, 'm');
    const [message] = await receive(url);
    // WHEN, 20 s later, its timeout is changed to 15 s
    now += 20_000;
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 15 }));
    // THEN it comes back 15 s after the call, not after the receive
    now += 14_999;
    expect(await receive(url)).toEqual([]);
    now += 1;
    const [back] = await receive(url);
    // and a change to 0 makes it visible at once
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: back.ReceiptHandle, VisibilityTimeout: 0 }));
    expect((await receive(url)).map(m => m.Attributes?.ApproximateReceiveCount)).toEqual(['3']);
  });

  test('SQS\'s errors: not in flight, an earlier receipt handle, an unknown handle, out of range', async () => {
    // GIVEN a message received twice (the first handle is stale), then visible again
    const { url } = await queue({ VisibilityTimeout: '30' });
    await send(url, 'm');
    const [first] = await receive(url);
    now += 30_000;
    const [second] = await receive(url);
    now += 30_000;
    const change = (ReceiptHandle: string | undefined, VisibilityTimeout: number) =>
      failure(client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle, VisibilityTimeout })));
    // WHEN / THEN
    expect(await change(second.ReceiptHandle, 10)).toEqual(expect.objectContaining({
      name: 'MessageNotInflight', code: 'AWS.SimpleQueueService.MessageNotInflight',
    }));
    expect(await change(first.ReceiptHandle, 10)).toEqual(expect.objectContaining({
      name: 'InvalidParameterValue', message: expect.stringMatching(/parameter ReceiptHandle is invalid\. Reason: Message does not exist or is not available/),
    }));
    expect(await change('not-a-handle', 10)).toEqual(expect.objectContaining({ name: 'ReceiptHandleIsInvalid', message: expect.stringMatching(/"not-a-handle"/) }));
    expect(await change(second.ReceiptHandle, 43_201)).toEqual(expect.objectContaining({
      name: 'InvalidParameterValue', message: 'Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.',
    }));
  });

  test('12 hours: a message stays hidden at most 12 hours after its receive', async () => {
    // GIVEN a message just received
    const { url } = await queue({ VisibilityTimeout: '30' });
    await send(url, 'm');
    const [message] = await receive(url);
    const change = (VisibilityTimeout: number) =>
      client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout }));
    // WHEN / THEN 12 hours from the receive is accepted
    await change(43_200);
    // and, 6 hours later, 6 hours more is accepted, 6 hours and 1 s is not
    now += 6 * HOUR;
    await change(21_600);
    expect(await failure(change(21_601))).toEqual(expect.objectContaining({
      name: 'InvalidParameterValue',
      message: 'Value 21601 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]',
    }));
    // and the refusal changed nothing: the message comes back 12 hours after its receive
    now += 6 * HOUR - 1;
    expect(await receive(url)).toEqual([]);
    now += 1;
    expect(await receive(url)).toHaveLength(1);
  });

  test('a batch answers each entry in Successful or Failed, with SQS\'s codes', async () => {
    // GIVEN two messages in flight, one visible again
    const { url } = await queue({ VisibilityTimeout: '30' });
    await send(url, 'a', 'b');
    const [a, b] = await receive(url);
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: b.ReceiptHandle, VisibilityTimeout: 0 }));
    // WHEN
    const result = await client.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl: url,
      Entries: [
        { Id: 'a', ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 60 },
        { Id: 'b', ReceiptHandle: b.ReceiptHandle, VisibilityTimeout: 60 },
        { Id: 'unknown', ReceiptHandle: 'nope', VisibilityTimeout: 60 },
        { Id: 'too-long', ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 43_201 },
      ],
    }));
    // THEN
    expect(result.Successful).toEqual([{ Id: 'a' }]);
    expect(result.Failed?.map(f => [f.Id, f.Code, f.SenderFault])).toEqual([
      ['b', 'AWS.SimpleQueueService.MessageNotInflight', true],
      ['unknown', 'ReceiptHandleIsInvalid', true],
      ['too-long', 'InvalidParameterValue', true],
    ]);
    now += 59_999;
    expect((await receive(url)).map(m => m.Body)).toEqual(['b']);
  });

  test.each([
    ['no entries', [], 'EmptyBatchRequest'],
    ['11 entries', Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, ReceiptHandle: 'h', VisibilityTimeout: 1 })), 'TooManyEntriesInBatchRequest'],
    ['two entries with one id', [{ Id: 'x', ReceiptHandle: 'h', VisibilityTimeout: 1 }, { Id: 'x', ReceiptHandle: 'h', VisibilityTimeout: 1 }], 'BatchEntryIdsNotDistinct'],
    ['an id with a dot', [{ Id: 'a.b', ReceiptHandle: 'h', VisibilityTimeout: 1 }], 'InvalidBatchEntryId'],
  ])('a batch with %s is refused as a whole', async (_, Entries, name) => {
    const { url } = await queue();
    expect((await failure(client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries })))).name).toBe(name);
  });
});

describe('DeleteMessage(Batch)', () => {
  test('the current receipt handle deletes; an earlier one succeeds and deletes nothing; an unknown one is invalid', async () => {
    // GIVEN a message received twice
    const { name, url } = await queue({ VisibilityTimeout: '30' });
    await send(url, 'm');
    const [first] = await receive(url);
    now += 30_000;
    const [second] = await receive(url);
    // WHEN / THEN the earlier handle deletes nothing
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
    expect(sqs.messages(name)).toHaveLength(1);
    expect((await failure(client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'nope' })))).name).toBe('ReceiptHandleIsInvalid');
    // and the current one deletes
    const result = await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'm', ReceiptHandle: second.ReceiptHandle }] }));
    expect(result.Successful).toEqual([{ Id: 'm' }]);
    expect(sqs.messages(name)).toEqual([]);
  });
});

describe('redrive to the dead-letter queue', () => {
  test('the receive after maxReceiveCount moves the message to the dead-letter queue, with its id, body and receive count', async () => {
    // GIVEN a queue with maxReceiveCount 3
    const dlq = await queue();
    const { name, url } = await queue({ VisibilityTimeout: '10', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn(dlq.name), maxReceiveCount: 3 }) });
    await send(url, 'poison');
    const sentAt = now;
    // WHEN it is received 3 times, each time left to come back
    const counts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [message] = await receive(url);
      counts.push(message.Attributes!.ApproximateReceiveCount!);
      now += 10_000;
    }
    // THEN the fourth receive gets nothing, and the message is in the dead-letter queue
    expect(counts).toEqual(['1', '2', '3']);
    expect(await receive(url)).toEqual([]);
    expect(sqs.messages(name)).toEqual([]);
    const [dead] = await receive(dlq.url);
    expect(dead.Body).toBe('poison');
    expect(dead.Attributes).toEqual(expect.objectContaining({ ApproximateReceiveCount: '4', SentTimestamp: String(sentAt) }));
  });

  test('a message deleted before maxReceiveCount is not redriven', async () => {
    // GIVEN maxReceiveCount 1
    const dlq = await queue();
    const { url } = await queue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn(dlq.name), maxReceiveCount: 1 }) });
    await send(url, 'good');
    // WHEN it is received once and deleted
    const [message] = await receive(url);
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
    // THEN
    expect(sqs.messages(dlq.name)).toEqual([]);
  });
});

describe('FIFO queues', () => {
  async function sendFifo(url: string, group: string, body: string, deduplicationId = body) {
    return client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: deduplicationId }));
  }

  test('each group in order; nothing of a group while one of its messages is in flight; other groups meanwhile', async () => {
    // GIVEN groups a and b, interleaved
    const { url } = await queue({ VisibilityTimeout: '30' }, true);
    for (const [group, body] of [['a', 'a1'], ['b', 'b1'], ['a', 'a2'], ['b', 'b2'], ['a', 'a3']]) await sendFifo(url, group, body);
    // WHEN one message is received (a1)
    const [a1] = await receive(url, 1);
    // THEN while a1 is in flight, only b's come, in order
    expect(a1.Body).toBe('a1');
    expect(a1.Attributes).toEqual(expect.objectContaining({ MessageGroupId: 'a', MessageDeduplicationId: 'a1', SequenceNumber: expect.stringMatching(/^\d{20}$/) }));
    expect((await receive(url)).map(m => m.Body)).toEqual(['b1', 'b2']);
    expect(await receive(url)).toEqual([]);
    // WHEN a1 is released (made visible), THEN group a comes back from a1, in order
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: a1.ReceiptHandle, VisibilityTimeout: 0 }));
    const again = await receive(url);
    expect(again.map(m => m.Body)).toEqual(['a1', 'a2', 'a3']);
    // and once a1 is deleted, the rest of a is still held while a2 and a3 are in flight
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: again[0].ReceiptHandle }));
    expect(await receive(url)).toEqual([]);
  });

  test('deduplication: a duplicate within 5 minutes is accepted and not enqueued; content-based deduplication', async () => {
    // GIVEN a FIFO queue, and one with content-based deduplication
    const { name, url } = await queue({}, true);
    const content = await queue({ ContentBasedDeduplication: 'true' }, true);
    // WHEN the same deduplication id is sent twice, then again 5 minutes later
    const first = await sendFifo(url, 'g', 'one', 'dedup-1');
    const duplicate = await sendFifo(url, 'g', 'two', 'dedup-1');
    now += 5 * 60_000;
    await sendFifo(url, 'g', 'three', 'dedup-1');
    await client.send(new SendMessageCommand({ QueueUrl: content.url, MessageBody: 'same', MessageGroupId: 'g' }));
    await client.send(new SendMessageCommand({ QueueUrl: content.url, MessageBody: 'same', MessageGroupId: 'g' }));
    // THEN
    expect(duplicate.MessageId).toBe(first.MessageId);
    expect(sqs.messages(name).map(m => m.body)).toEqual(['one', 'three']);
    expect(sqs.messages(content.name).map(m => m.body)).toEqual(['same']);
  });

  test.each([
    ['no MessageGroupId', { MessageBody: 'x', MessageDeduplicationId: 'd' }, 'MissingParameter', /MessageGroupId/],
    ['no deduplication', { MessageBody: 'x', MessageGroupId: 'g' }, 'InvalidParameterValue', /ContentBasedDeduplication enabled or MessageDeduplicationId/],
    ['a per-message delay', { MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 5 }, 'InvalidParameterValue', /DelaySeconds/],
  ])('SendMessage to a FIFO queue is refused with %s', async (_, input, name, message) => {
    const { url } = await queue({}, true);
    expect(await failure(client.send(new SendMessageCommand({ QueueUrl: url, ...input }))))
      .toEqual(expect.objectContaining({ name, message: expect.stringMatching(message) }));
  });

  test('redrive keeps the group\'s order: the next message of the group comes once the first moved', async () => {
    // GIVEN a FIFO queue with maxReceiveCount 1, and a FIFO dead-letter queue
    const dlq = await queue({}, true);
    const { url } = await queue({ VisibilityTimeout: '10', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn(dlq.name), maxReceiveCount: 1 }) }, true);
    await sendFifo(url, 'g', 'first');
    await sendFifo(url, 'g', 'second');
    // WHEN first is received alone and left to come back
    expect((await receive(url, 1)).map(m => m.Body)).toEqual(['first']);
    now += 10_000;
    // THEN the next receive moves it and delivers second
    expect((await receive(url)).map(m => m.Body)).toEqual(['second']);
    expect(sqs.messages(dlq.name).map(m => [m.body, m.groupId])).toEqual([['first', 'g']]);
  });
});

describe('SendMessage(Batch) and message attributes', () => {
  test('a batch sends each entry; message attributes come back when asked for, with their MD5', async () => {
    // GIVEN
    const { url } = await queue();
    // WHEN
    const sent = await client.send(new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: [
        { Id: '1', MessageBody: 'one', MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' }, blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) } } },
        { Id: '2', MessageBody: 'two' },
      ],
    }));
    // THEN both are sent
    expect(sent.Successful?.map(s => s.Id)).toEqual(['1', '2']);
    expect(sent.Successful?.[0].MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    // and the attributes come back only when asked for
    const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
    expect(Messages?.[0].MessageAttributes).toEqual({
      tenant: { DataType: 'String', StringValue: 'acme' },
      blob: { DataType: 'Binary', BinaryValue: Uint8Array.from([1, 2, 3]) },
    });
    expect(Messages?.[0].MD5OfMessageAttributes).toBe(sent.Successful?.[0].MD5OfMessageAttributes);
    expect(Messages?.[0].Attributes).toBeUndefined();
    expect(Messages?.[1].MessageAttributes).toBeUndefined();
  });
});

describe('faults and recorded requests', () => {
  test('"request" fails the whole request with InternalError (HTTP 500) until cleared', async () => {
    // GIVEN
    const { url } = await queue();
    sqs.faults.set('SendMessage', 'request');
    // WHEN / THEN
    expect(await failure(send(url, 'x'))).toEqual(expect.objectContaining({ name: 'InternalError', message: 'injected fault', status: 500 }));
    sqs.faults.clear();
    await send(url, 'y');
    // and both requests were recorded
    const sends = sqs.requests.filter(r => r.operation === 'SendMessage' && r.input.QueueUrl === url);
    expect(sends.map(r => r.input.MessageBody)).toEqual(['x', 'y']);
    expect(sends[0].time).toBe(now);
  });

  test('"entries" fails each entry of a batch, and changes nothing', async () => {
    // GIVEN
    const { name, url } = await queue();
    await send(url, 'a');
    const [a] = await receive(url);
    sqs.faults.set('DeleteMessageBatch', 'entries');
    // WHEN
    const result = await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', ReceiptHandle: a.ReceiptHandle }] }));
    // THEN
    expect(result.Successful ?? []).toEqual([]);
    expect(result.Failed).toEqual([{ Id: 'a', Code: 'InternalError', Message: 'injected fault', SenderFault: false }]);
    expect(sqs.messages(name)).toHaveLength(1);
  });
});

describe('what it does not speak', () => {
  test('the query protocol is answered UnsupportedOperation, naming the protocol it speaks', async () => {
    // WHEN a client of the older query protocol calls it
    const response = await fetch(sqs.endpoint, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListQueues&Version=2012-11-05',
    });
    // THEN
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'com.amazonaws.sqs#UnsupportedOperation',
      message: expect.stringMatching(/speaks the AWS JSON 1\.0 protocol of the AWS SDK v3 .*got no X-Amz-Target and content type application\/x-www-form-urlencoded/),
    });
  });

  test('an operation it does not implement is named', async () => {
    const response = await fetch(sqs.endpoint, {
      method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.PurgeQueue' }, body: '{}',
    });
    expect(((await response.json()) as { message: string }).message).toMatch(/does not implement PurgeQueue; it implements CreateQueue, /);
  });

  test('after stop(), requests fail to connect, and stop() again does nothing', async () => {
    // GIVEN
    const local = await startLocalSqs();
    const stoppedClient = local.client();
    // WHEN
    await local.stop();
    await local.stop();
    // THEN
    const other = new SQSClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 1 });
    await expect(other.send(new GetQueueUrlCommand({ QueueName: 'q' }))).rejects.toThrow(/ECONNREFUSED/);
    other.destroy();
    stoppedClient.destroy();
  });
});
