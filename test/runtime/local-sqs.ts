/**
 * A minimal SQS-compatible server for the runtime tests, on 127.0.0.1 with a random port.
 *
 * Why not sqslite (on npm): sqslite 2.1.1 speaks only SQS's query
 * protocol (form-encoded `Action=...`, XML answers) and answers the AWS JSON 1.0
 * protocol that @aws-sdk/client-sqs v3 speaks with `415 Unsupported Media Type`;
 * it also never makes a received message visible again, keeps no receive count
 * per message, does not redrive to a dead-letter queue and has no
 * ChangeMessageVisibilityBatch. So this stand-in implements, in the JSON
 * protocol (`X-Amz-Target: AmazonSQS.<Operation>`), exactly what the tests
 * need, with SQS's documented semantics:
 *
 * - CreateQueue (`VisibilityTimeout`, `RedrivePolicy`, `FifoQueue`), GetQueueAttributes;
 * - SendMessage (`MessageGroupId` and `DelaySeconds`);
 * - ReceiveMessage: up to `MaxNumberOfMessages` (1-10) visible messages; each
 *   receive increments `ApproximateReceiveCount`, issues a new receipt handle
 *   and hides the message for the queue's (or the request's) visibility
 *   timeout; a message whose receive count would exceed the redrive policy's
 *   `maxReceiveCount` moves to the dead-letter queue instead (as SQS does on
 *   the receive after the last allowed one); FIFO queues deliver in order and
 *   nothing of a message group while one of its messages is in flight;
 *   `WaitTimeSeconds` is ignored (no long polling: pollers poll again);
 * - DeleteMessage(Batch), ChangeMessageVisibility(Batch) by the current receipt
 *   handle: a change applies from the time of the call, must be an integer
 *   0-43,200 s, fails for a message that is not in flight
 *   (`MessageNotInflight`), and is refused when the message would stay hidden
 *   more than 12 hours after the receive (`InvalidParameterValue`);
 *   a batch takes at most 10 entries and answers each in `Successful` or `Failed`.
 *
 * Every request is recorded, and a test can make an operation fail.
 */
import { createHash, randomUUID } from 'crypto';
import { createServer, IncomingMessage, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const MAX_VISIBILITY_SECONDS = 43_200;

interface Message {
  readonly id: string;
  readonly body: string;
  readonly md5: string;
  readonly sentAt: number;
  readonly groupId?: string;
  readonly sequenceNumber: string;
  receiveCount: number;
  firstReceiveAt?: number;
  /** When the last receive happened. */
  receivedAt?: number;
  receiptHandle?: string;
  /** Hidden until this time (ms): delayed or in flight. */
  invisibleUntil: number;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly fifo: boolean;
  readonly visibilityTimeout: number;
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
  messages: Message[];
}

/** A recorded request. */
export interface SqsRequest {
  readonly operation: string;
  readonly input: any;
  readonly time: number;
}

/** What a test sets to make an operation fail: the whole request (HTTP 500), or each entry of a batch. */
export type SqsFault = 'request' | 'entries';

export interface LocalSqs {
  readonly endpoint: string;
  /** Every request received, in order. */
  readonly requests: SqsRequest[];
  /** Operations that fail until the test clears them. */
  readonly faults: Map<string, SqsFault>;
  /** A client of this server (no retries, so that a fault shows at once). */
  client(): SQSClient;
  /** The URL of a queue (by name) that CreateQueue made. */
  queueUrl(name: string): string;
  /** The ARN of a queue (by name). */
  queueArn(name: string): string;
  /** The messages of a queue, visible or not (a copy). */
  messages(name: string): readonly Message[];
  /** Stops the server. */
  stop(): Promise<void>;
}

class SqsError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

export async function startLocalSqs(): Promise<LocalSqs> {
  const queues = new Map<string, Queue>();
  const requests: SqsRequest[] = [];
  const faults = new Map<string, SqsFault>();
  let sequence = 0;
  let endpoint = '';

  const urlOf = (name: string) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
  const arnOf = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
  /** The queue of a QueueUrl: its last two path segments are the account and the name, whatever the host. */
  const queueOf = (queueUrl: unknown): Queue => {
    const name = typeof queueUrl === 'string' ? queueUrl.split('/').pop() ?? '' : '';
    const queue = queues.get(name);
    if (!queue) throw new SqsError('AWS.SimpleQueueService.NonExistentQueue', `The specified queue does not exist: ${queueUrl}`);
    return queue;
  };
  const byHandle = (queue: Queue, handle: unknown): Message => {
    const message = queue.messages.find(m => m.receiptHandle !== undefined && m.receiptHandle === handle);
    if (!message) throw new SqsError('ReceiptHandleIsInvalid', `The receipt handle "${handle}" is not valid.`);
    return message;
  };
  const changeVisibility = (queue: Queue, handle: unknown, timeout: unknown, now: number): void => {
    const message = byHandle(queue, handle);
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > MAX_VISIBILITY_SECONDS) {
      throw new SqsError('InvalidParameterValue', `Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`);
    }
    if (message.invisibleUntil <= now) {
      throw new SqsError('MessageNotInflight', 'The message referred to is not in flight.');
    }
    if (now - message.receivedAt! + timeout * 1_000 > MAX_VISIBILITY_SECONDS * 1_000) {
      throw new SqsError('InvalidParameterValue', `Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`);
    }
    message.invisibleUntil = now + timeout * 1_000;
  };
  const remove = (queue: Queue, handle: unknown): void => {
    const message = byHandle(queue, handle);
    queue.messages = queue.messages.filter(m => m !== message);
  };
  const batch = (entries: any[], apply: (entry: any) => void, operation: string) => {
    if (!Array.isArray(entries) || entries.length === 0) throw new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.');
    if (entries.length > 10) throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
    if (new Set(entries.map(e => e.Id)).size !== entries.length) throw new SqsError('BatchEntryIdsNotDistinct', 'Two or more batch entries have the same Id.');
    const Successful: { Id: string }[] = [];
    const Failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
    for (const entry of entries) {
      try {
        if (faults.get(operation) === 'entries') throw new SqsError('InternalError', 'injected fault', 500);
        apply(entry);
        Successful.push({ Id: entry.Id });
      } catch (error) {
        const e = error as SqsError;
        Failed.push({ Id: entry.Id, Code: e.code, Message: e.message, SenderFault: e.status < 500 });
      }
    }
    return { Successful, Failed };
  };

  const operations: Record<string, (input: any, now: number) => unknown> = {
    CreateQueue: (input) => {
      const attributes = input.Attributes ?? {};
      const name: string = input.QueueName;
      const fifo = attributes.FifoQueue === 'true';
      if (fifo !== name.endsWith('.fifo')) throw new SqsError('InvalidParameterValue', 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix.');
      const redrive = attributes.RedrivePolicy ? JSON.parse(attributes.RedrivePolicy) : undefined;
      queues.set(name, {
        name,
        url: urlOf(name),
        arn: arnOf(name),
        fifo,
        visibilityTimeout: Number(attributes.VisibilityTimeout ?? 30),
        redrive: redrive ? { deadLetterTargetArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount) } : undefined,
        messages: [],
      });
      return { QueueUrl: urlOf(name) };
    },
    GetQueueAttributes: (input) => {
      const queue = queueOf(input.QueueUrl);
      const now = Date.now();
      const all: Record<string, string> = {
        QueueArn: queue.arn,
        VisibilityTimeout: String(queue.visibilityTimeout),
        FifoQueue: String(queue.fifo),
        ApproximateNumberOfMessages: String(queue.messages.filter(m => m.invisibleUntil <= now).length),
        ApproximateNumberOfMessagesNotVisible: String(queue.messages.filter(m => m.invisibleUntil > now).length),
        ...(queue.redrive ? { RedrivePolicy: JSON.stringify(queue.redrive) } : {}),
      };
      const names: string[] = input.AttributeNames ?? [];
      return { Attributes: Object.fromEntries(Object.entries(all).filter(([k]) => names.includes('All') || names.includes(k))) };
    },
    SendMessage: (input, now) => {
      const queue = queueOf(input.QueueUrl);
      if (queue.fifo && !input.MessageGroupId) throw new SqsError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
      const body: string = input.MessageBody;
      sequence += 1;
      const message: Message = {
        id: randomUUID(),
        body,
        md5: createHash('md5').update(body).digest('hex'),
        sentAt: now,
        groupId: input.MessageGroupId,
        sequenceNumber: String(sequence).padStart(20, '0'),
        receiveCount: 0,
        invisibleUntil: now + (input.DelaySeconds ?? 0) * 1_000,
      };
      queue.messages.push(message);
      return { MessageId: message.id, MD5OfMessageBody: message.md5, ...(queue.fifo ? { SequenceNumber: message.sequenceNumber } : {}) };
    },
    ReceiveMessage: (input, now) => {
      const queue = queueOf(input.QueueUrl);
      const max = input.MaxNumberOfMessages ?? 1;
      if (!Number.isInteger(max) || max < 1 || max > 10) throw new SqsError('InvalidParameterValue', `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10.`);
      const visibility = input.VisibilityTimeout ?? queue.visibilityTimeout;
      const blockedGroups = new Set(queue.fifo ? queue.messages.filter(m => m.invisibleUntil > now && m.receiptHandle).map(m => m.groupId) : []);
      const received: Message[] = [];
      for (const message of [...queue.messages]) {
        if (received.length >= max) break;
        if (queue.fifo && blockedGroups.has(message.groupId)) continue;
        if (message.invisibleUntil > now) {
          // A FIFO group is delivered in order: a hidden message holds back the rest of its group.
          if (queue.fifo) blockedGroups.add(message.groupId);
          continue;
        }
        if (queue.redrive && message.receiveCount >= queue.redrive.maxReceiveCount) {
          const dlq = [...queues.values()].find(q => q.arn === queue.redrive!.deadLetterTargetArn);
          queue.messages = queue.messages.filter(m => m !== message);
          dlq?.messages.push({ ...message, receiveCount: 0, receiptHandle: undefined, invisibleUntil: now });
          continue;
        }
        message.receiveCount += 1;
        message.firstReceiveAt ??= now;
        message.receivedAt = now;
        message.receiptHandle = randomUUID();
        message.invisibleUntil = now + visibility * 1_000;
        received.push(message);
      }
      return {
        Messages: received.map(m => ({
          MessageId: m.id,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: m.md5,
          Body: m.body,
          Attributes: {
            ApproximateReceiveCount: String(m.receiveCount),
            ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
            SentTimestamp: String(m.sentAt),
            SenderId: ACCOUNT,
            ...(queue.fifo ? { MessageGroupId: m.groupId, SequenceNumber: m.sequenceNumber, MessageDeduplicationId: m.id } : {}),
          },
        })),
      };
    },
    DeleteMessage: (input) => {
      remove(queueOf(input.QueueUrl), input.ReceiptHandle);
      return {};
    },
    DeleteMessageBatch: (input) => {
      const queue = queueOf(input.QueueUrl);
      return batch(input.Entries, entry => remove(queue, entry.ReceiptHandle), 'DeleteMessageBatch');
    },
    ChangeMessageVisibility: (input, now) => {
      changeVisibility(queueOf(input.QueueUrl), input.ReceiptHandle, input.VisibilityTimeout, now);
      return {};
    },
    ChangeMessageVisibilityBatch: (input, now) => {
      const queue = queueOf(input.QueueUrl);
      return batch(input.Entries, entry => changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout, now), 'ChangeMessageVisibilityBatch');
    },
  };

  const answer = (response: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}) => {
    response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': randomUUID(), ...extraHeaders });
    response.end(JSON.stringify(body));
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', chunk => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      const handler = operations[operation];
      if (!handler || !String(request.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.0')) {
        answer(response, 400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: `not supported by the stand-in: ${target || request.headers['content-type']}` });
        return;
      }
      try {
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        const now = Date.now();
        requests.push({ operation, input, time: now });
        if (faults.get(operation) === 'request') {
          throw new SqsError('InternalError', 'injected fault', 500);
        }
        answer(response, 200, handler(input, now));
      } catch (error) {
        const e = error instanceof SqsError ? error : new SqsError('InternalError', String(error), 500);
        answer(response, e.status, { __type: `com.amazonaws.sqs#${e.code}`, message: e.message }, { 'x-amzn-query-error': `${e.code};${e.status < 500 ? 'Sender' : 'Receiver'}` });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: SQSClient[] = [];

  return {
    endpoint,
    requests,
    faults,
    client() {
      const client = new SQSClient({
        endpoint,
        region: REGION,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    queueUrl: urlOf,
    queueArn: arnOf,
    messages(name: string) {
      return (queues.get(name)?.messages ?? []).map(m => ({ ...m }));
    },
    async stop() {
      clients.forEach(c => c.destroy());
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}

/** An SQS record as Lambda puts it in the event (`SQSRecord` of @types/aws-lambda). */
export interface LambdaSqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Record<string, string> & { readonly ApproximateReceiveCount: string; readonly MessageGroupId?: string };
  readonly messageAttributes: Record<string, never>;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

/** Receives up to `max` messages as Lambda's poller does, and returns them as the records of a Lambda event. */
export async function receiveRecords(client: SQSClient, sqs: LocalSqs, queueName: string, max = 10): Promise<LambdaSqsRecord[]> {
  const { Messages } = await client.send(new ReceiveMessageCommand({
    QueueUrl: sqs.queueUrl(queueName),
    MaxNumberOfMessages: max,
    MessageSystemAttributeNames: ['All'],
  }));
  return (Messages ?? []).map(m => ({
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body!,
    attributes: m.Attributes as LambdaSqsRecord['attributes'],
    messageAttributes: {},
    md5OfBody: m.MD5OfBody!,
    eventSource: 'aws:sqs',
    eventSourceARN: sqs.queueArn(queueName),
    awsRegion: REGION,
  }));
}

/**
 * What Lambda does with a handler's answer for a batch with `ReportBatchItemFailures`: deletes every record
 * not reported; when the handler throws, deletes none (the whole batch comes back after the visibility timeout).
 */
export async function completeBatch(client: SQSClient, sqs: LocalSqs, queueName: string, records: readonly LambdaSqsRecord[],
  answer: Promise<{ batchItemFailures: readonly { itemIdentifier: string }[] }>): Promise<void> {
  let failures: Set<string>;
  try {
    failures = new Set((await answer).batchItemFailures.map(f => f.itemIdentifier));
  } catch {
    return;
  }
  const done = records.filter(r => !failures.has(r.messageId));
  for (let i = 0; i < done.length; i += 10) {
    await client.send(new DeleteMessageBatchCommand({
      QueueUrl: sqs.queueUrl(queueName),
      Entries: done.slice(i, i + 10).map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
    }));
  }
}
