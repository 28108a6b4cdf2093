/**
 * Runs the same SQS calls against the local SQS of cdk-resilience/testing and
 * against moto (a Python implementation of the AWS APIs), and prints what each
 * answered, step by step, and whether they agree. Not part of the test suite
 * (the suite and CI need no Python): run it by hand after changing the local SQS.
 *
 *   pip install 'moto[server]'
 *   npx ts-node --project tsconfig.dev.json test/testing/moto/compare-with-moto.ts > test/testing/moto/results.md
 *
 * Receipt handles, message ids, hosts and timestamps differ by nature; the
 * script compares what a consumer can observe: bodies, receive counts, error
 * names and codes, which messages come back when.
 */
import { ChildProcess, spawn } from 'child_process';
import { createServer } from 'net';
import {
  ChangeMessageVisibilityBatchCommand, ChangeMessageVisibilityCommand, CreateQueueCommand, DeleteMessageCommand,
  GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import { startLocalSqs } from '../../../src/testing';

type Step = [string, unknown];
type Scenario = (c: Sqs) => Promise<Step[]>;

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** One implementation: a client, and helpers that answer what a consumer observes. */
class Sqs {
  constructor(readonly client: SQSClient, readonly prefix: string) {}
  async create(name: string, Attributes: Record<string, string> = {}): Promise<string> {
    return (await this.client.send(new CreateQueueCommand({ QueueName: this.prefix + name, Attributes }))).QueueUrl!;
  }
  async arn(url: string): Promise<string> {
    return (await this.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  }
  async send(url: string, body: string, extra: Record<string, unknown> = {}) {
    return this.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, ...extra }));
  }
  async receive(url: string, extra: Record<string, unknown> = {}) {
    const { Messages } = await this.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], ...extra }));
    return Messages ?? [];
  }
  /** Bodies and receive counts: `body#count`. */
  async seen(url: string, extra: Record<string, unknown> = {}): Promise<string[]> {
    return (await this.receive(url, extra)).map(m => `${m.Body}#${m.Attributes?.ApproximateReceiveCount}`);
  }
}

/** What a call answered: `ok`, or the error's name and query code. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error: any) {
    return `${error.name} (${error.Code ?? '-'}): ${String(error.message).slice(0, 110)}`;
  }
}
/** The comparable part of an outcome: the name and the code, not the wording. */
const comparable = (value: unknown) => JSON.stringify(value, (_, v) => {
  if (typeof v === 'string') return v.replace(/\): [\s\S]*$/, ')');
  if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
  return v;
});

const scenarios: Record<string, Scenario> = {
  'CreateQueue, GetQueueUrl, GetQueueAttributes': async (c) => {
    const url = await c.create('attrs', { VisibilityTimeout: '5' });
    const { QueueUrl } = await c.client.send(new GetQueueUrlCommand({ QueueName: c.prefix + 'attrs' }));
    const { Attributes } = await c.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    const pick = ['VisibilityTimeout', 'DelaySeconds', 'MessageRetentionPeriod', 'MaximumMessageSize', 'ReceiveMessageWaitTimeSeconds', 'FifoQueue'];
    return [
      ['GetQueueUrl = CreateQueue URL', QueueUrl === url],
      ['URL path', new URL(url).pathname.replace(/\d{12}/, '<account>')],
      ['attributes', Object.fromEntries(pick.map(k => [k, (Attributes as Record<string, string> | undefined)?.[k] ?? '(absent)']))],
      ['same name, other VisibilityTimeout', await outcome(c.create('attrs', { VisibilityTimeout: '6' }))],
      ['same name, same attributes', await outcome(c.create('attrs', { VisibilityTimeout: '5' }))],
      ['FifoQueue true without .fifo', await outcome(c.create('nofifo', { FifoQueue: 'true' }))],
      ['unknown attribute', await outcome(c.create('unknown', { Colour: 'blue' }))],
      ['VisibilityTimeout 43201', await outcome(c.create('vt', { VisibilityTimeout: '43201' }))],
      ['RedrivePolicy to a missing queue', await outcome(c.create('redrive-missing', {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:missing', maxReceiveCount: 3 }),
      }))],
      ['GetQueueUrl of a missing queue', await outcome(c.client.send(new GetQueueUrlCommand({ QueueName: c.prefix + 'missing' })))],
    ];
  },
  'visibility timeout and receive counts': async (c) => {
    const url = await c.create('visibility', { VisibilityTimeout: '1' });
    await c.send(url, 'm');
    const [first] = await c.receive(url, { VisibilityTimeout: 30 });
    const steps: Step[] = [['first receive', `${first.Body}#${first.Attributes?.ApproximateReceiveCount}`]];
    steps.push(['receive at once (in flight)', await c.seen(url)]);
    const attrs = await c.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    steps.push(['visible / not visible', attrs.Attributes]);
    steps.push(['ChangeMessageVisibility 0', await outcome(c.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 })))]);
    const [second] = await c.receive(url);
    steps.push(['receive after 0', `${second.Body}#${second.Attributes?.ApproximateReceiveCount}`]);
    steps.push(['new receipt handle', second.ReceiptHandle !== first.ReceiptHandle]);
    steps.push(['receive at once (queue timeout 1 s)', await c.seen(url)]);
    await sleep(2_000);
    steps.push(['receive after 2 s', await c.seen(url)]);
    steps.push(['ReceiveMessage VisibilityTimeout 3, then at 1.5 s', await c.seen(url, { VisibilityTimeout: 3 }).then(async () => { await sleep(1_500); return c.seen(url); })]);
    return steps;
  },
  'system attributes asked for': async (c) => {
    const url = await c.create('attributes');
    await c.send(url, 'm');
    const [m] = await c.receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
    await c.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    const [none] = (await c.client.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? [];
    return [['asked ApproximateReceiveCount', Object.keys(m.Attributes ?? {})], ['asked nothing', Object.keys(none?.Attributes ?? {})]];
  },
  'ChangeMessageVisibility errors': async (c) => {
    const url = await c.create('cmv-errors', { VisibilityTimeout: '1' });
    await c.send(url, 'm');
    const [first] = await c.receive(url);
    await sleep(1_500);
    const change = (handle: string | undefined, timeout: number) =>
      outcome(c.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: timeout })));
    const steps: Step[] = [['current handle, timeout over (not in flight)', await change(first.ReceiptHandle, 10)]];
    // Make it visible again whatever the answer was, and receive it a second time.
    await outcome(c.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 })));
    const [second] = await c.receive(url);
    steps.push(['received again', second ? `${second.Body}#${second.Attributes?.ApproximateReceiveCount}` : '(nothing)']);
    steps.push(['handle of the earlier receive', await change(first.ReceiptHandle, 10)]);
    steps.push(['a handle never issued', await change('garbage', 10)]);
    steps.push(['VisibilityTimeout 43201', await change(second?.ReceiptHandle, 43_201)]);
    steps.push(['VisibilityTimeout 43200 right after a receive', await change(second?.ReceiptHandle, 43_200)]);
    return steps;
  },
  '12 hours: counted from the receive or from the send?': async (c) => {
    const url = await c.create('twelve');
    await c.send(url, 'm');
    await sleep(2_000);
    const [m] = await c.receive(url);
    return [['43199 s, received 2 s after the send', await outcome(c.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 43_199 })))]];
  },
  'ChangeMessageVisibilityBatch': async (c) => {
    const url = await c.create('cmv-batch', { VisibilityTimeout: '30' });
    await c.send(url, 'a');
    await c.send(url, 'b');
    const [a, b] = await c.receive(url);
    await c.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: b.ReceiptHandle, VisibilityTimeout: 0 }));
    const result = await c.client.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl: url,
      Entries: [
        { Id: 'a', ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 60 },
        { Id: 'b_visible', ReceiptHandle: b.ReceiptHandle, VisibilityTimeout: 60 },
        { Id: 'garbage', ReceiptHandle: 'garbage', VisibilityTimeout: 60 },
        { Id: 'too_long', ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 43_201 },
      ],
    }));
    const batch = (Entries: any[]) => outcome(c.client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries })));
    return [
      ['Successful', (result.Successful ?? []).map(s => s.Id)],
      ['Failed', (result.Failed ?? []).map(f => `${f.Id}: ${f.Code} sender=${f.SenderFault}`)],
      ['no entries', await batch([])],
      ['11 entries', await batch(Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 1 })))],
      ['two entries, one id', await batch([{ Id: 'x', ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 1 }, { Id: 'x', ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 1 }])],
    ];
  },
  'DeleteMessage': async (c) => {
    const url = await c.create('delete', { VisibilityTimeout: '1' });
    await c.send(url, 'm');
    const [first] = await c.receive(url);
    await sleep(1_500);
    await c.receive(url);
    const steps: Step[] = [['delete with the earlier handle', await outcome(c.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle })))]];
    await sleep(1_500);
    steps.push(['then, after the timeout, the queue has', await c.seen(url)]);
    steps.push(['delete with a handle never issued', await outcome(c.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })))]);
    return steps;
  },
  'redrive at maxReceiveCount': async (c) => {
    const dlq = await c.create('dlq');
    const url = await c.create('source', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await c.arn(dlq), maxReceiveCount: 2 }) });
    const sent = await c.send(url, 'poison');
    const steps: Step[] = [];
    for (let i = 1; i <= 3; i++) {
      const messages = await c.receive(url);
      steps.push([`receive ${i}`, messages.map(m => `${m.Body}#${m.Attributes?.ApproximateReceiveCount}`)]);
      for (const m of messages) {
        await c.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
      }
    }
    const [dead] = await c.receive(dlq);
    steps.push(['dead-letter queue', dead ? `${dead.Body}#${dead.Attributes?.ApproximateReceiveCount}` : '(empty)']);
    steps.push(['same message id in the dead-letter queue', dead?.MessageId === sent.MessageId]);
    return steps;
  },
  'delays': async (c) => {
    const url = await c.create('delay', { DelaySeconds: '1' });
    await c.send(url, 'queue-delay');
    await c.send(url, 'own-delay', { DelaySeconds: 3 });
    const attrs = await c.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesNotVisible'] }));
    const steps: Step[] = [['delayed / not visible', attrs.Attributes], ['at once', await c.seen(url)]];
    await sleep(1_500);
    steps.push(['after 1.5 s', await c.seen(url)]);
    await sleep(2_000);
    steps.push(['after 3.5 s', await c.seen(url)]);
    return steps;
  },
  'FIFO groups': async (c) => {
    const url = await c.create('groups.fifo', { FifoQueue: 'true', VisibilityTimeout: '30' });
    for (const [group, body] of [['a', 'a1'], ['b', 'b1'], ['a', 'a2'], ['b', 'b2'], ['a', 'a3']]) {
      await c.send(url, body, { MessageGroupId: group, MessageDeduplicationId: body });
    }
    const [a1] = await c.receive(url, { MaxNumberOfMessages: 1 });
    const steps: Step[] = [['receive 1', a1.Body], ['receive 10 while a1 in flight', await c.seen(url)]];
    steps.push(['again', await c.seen(url)]);
    await c.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: a1.ReceiptHandle, VisibilityTimeout: 0 }));
    steps.push(['after a1 is made visible', await c.seen(url)]);
    return steps;
  },
  'FIFO deduplication and refusals': async (c) => {
    const url = await c.create('dedup.fifo', { FifoQueue: 'true' });
    const content = await c.create('content.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const first = await c.send(url, 'one', { MessageGroupId: 'g', MessageDeduplicationId: 'd1' });
    const duplicate = await c.send(url, 'two', { MessageGroupId: 'g', MessageDeduplicationId: 'd1' });
    await c.send(content, 'same', { MessageGroupId: 'g' });
    await c.send(content, 'same', { MessageGroupId: 'g' });
    return [
      ['duplicate answers the first MessageId', duplicate.MessageId === first.MessageId],
      ['sequence numbers: 20 digits', /^\d{20}$/.test(first.SequenceNumber ?? '')],
      ['queue holds', await c.seen(url)],
      ['content-based queue holds', await c.seen(content)],
      ['no MessageGroupId', await outcome(c.send(url, 'x', { MessageDeduplicationId: 'x' }))],
      ['no deduplication id, no content-based', await outcome(c.send(url, 'x', { MessageGroupId: 'g' }))],
      ['per-message DelaySeconds', await outcome(c.send(url, 'x', { MessageGroupId: 'g', MessageDeduplicationId: 'y', DelaySeconds: 5 }))],
    ];
  },
  'message attributes and SendMessageBatch': async (c) => {
    const url = await c.create('message-attributes');
    const sent = await c.client.send(new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: [
        {
          Id: '1',
          MessageBody: 'one',
          MessageAttributes: {
            tenant: { DataType: 'String', StringValue: 'acme' }, n: { DataType: 'Number', StringValue: '42' }, blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
          },
        },
        { Id: '2', MessageBody: 'two' },
      ],
    }));
    const [m] = await c.receive(url, { MessageAttributeNames: ['All'], MaxNumberOfMessages: 1 });
    return [
      ['Successful', (sent.Successful ?? []).map(s => s.Id)],
      ['MD5OfMessageAttributes (send)', sent.Successful?.[0].MD5OfMessageAttributes],
      ['MD5OfMessageAttributes (receive)', m.MD5OfMessageAttributes],
      ['attributes back', Object.keys(m.MessageAttributes ?? {}).sort()],
    ];
  },
  'long polling': async (c) => {
    const url = await c.create('long-poll');
    const started = Date.now();
    const waiting = c.seen(url, { WaitTimeSeconds: 10 });
    await sleep(500);
    await c.send(url, 'late');
    const got = await waiting;
    return [['WaitTimeSeconds 10, sent after 0.5 s', got], ['answered before the 10 s', Date.now() - started < 9_000]];
  },
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as any).port;
  await new Promise(resolve => server.close(resolve));
  return port;
}

async function startMoto(): Promise<{ endpoint: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(endpoint);
      return { endpoint, process: child };
    } catch {
      await sleep(200);
    }
  }
  child.kill();
  throw new Error(`moto did not answer on ${endpoint}: is it installed (pip install 'moto[server]')?`);
}

async function main() {
  const moto = await startMoto();
  const local = await startLocalSqs();
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const motoClient = new SQSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  let same = 0;
  let different = 0;
  const lines = ['# The local SQS compared with moto', '', 'Generated by `compare-with-moto.ts` (see there). Error outcomes are compared by name and code; their wording is shown.', ''];
  try {
    let n = 0;
    for (const [title, scenario] of Object.entries(scenarios)) {
      n += 1;
      const [ours, theirs] = await Promise.all([scenario(new Sqs(local.client(), `s${n}-`)), scenario(new Sqs(motoClient, `s${n}-`))]);
      lines.push(`## ${title}`, '', '| step | local SQS | moto | |', '|---|---|---|---|');
      ours.forEach(([step, value], i) => {
        const other = theirs[i][1];
        const agree = comparable(value) === comparable(other);
        if (agree) same += 1; else different += 1;
        const cell = (v: unknown) => '`' + JSON.stringify(v).replace(/\|/g, '\\|') + '`';
        lines.push(`| ${step} | ${cell(value)} | ${cell(other)} | ${agree ? 'same' : '**different**'} |`);
      });
      lines.push('');
    }
  } finally {
    motoClient.destroy();
    await local.stop();
    moto.process.kill();
  }
  lines.push(`${same} steps the same, ${different} different.`);
  console.log(lines.join('\n'));
}

void main();
