/**
 * The queues of the local SQS: SQS's documented semantics for what queue
 * consumers depend on, with no I/O. The HTTP server of local-sqs.ts calls
 * `operate()` with each request's operation and JSON input.
 */
import { createHash, randomUUID } from 'crypto';

/** The SQS operations the local SQS answers. */
export type LocalSqsOperation =
  | 'CreateQueue' | 'GetQueueUrl' | 'GetQueueAttributes'
  | 'SendMessage' | 'SendMessageBatch' | 'ReceiveMessage'
  | 'DeleteMessage' | 'DeleteMessageBatch'
  | 'ChangeMessageVisibility' | 'ChangeMessageVisibilityBatch';

/**
 * How an operation fails while a fault is set on it (`LocalSqs.faults`):
 * - `request`: the whole request answers HTTP 500 `InternalError` ("injected fault");
 * - `entries`: each entry of a batch is answered in `Failed` with code `InternalError`
 *   (`SenderFault: false`); on an operation that is not a batch, as `request`.
 */
export type LocalSqsFault = 'request' | 'entries';

/** A message attribute, as SendMessage takes it and ReceiveMessage answers it (`BinaryValue` in base64). */
export interface LocalSqsMessageAttribute {
  /** `String`, `Number` or `Binary`, with an optional `.<custom type>`. */
  readonly DataType: string;
  /** The value of a `String` or `Number` attribute. */
  readonly StringValue?: string;
  /** The value of a `Binary` attribute, in base64. */
  readonly BinaryValue?: string;
}

/** A message of a local queue, as the local SQS keeps it (a copy: changing it changes nothing). */
export interface LocalSqsMessage {
  /** The message id SendMessage answered. */
  readonly messageId: string;
  /** The body as sent. */
  readonly body: string;
  /** The message attributes as sent. */
  readonly messageAttributes: Readonly<Record<string, LocalSqsMessageAttribute>>;
  /** FIFO: the message group. */
  readonly groupId?: string;
  /** FIFO: the deduplication id (given, or the SHA-256 of the body with content-based deduplication). */
  readonly deduplicationId?: string;
  /** FIFO: the sequence number, 20 digits. */
  readonly sequenceNumber?: string;
  /** When it was sent (ms since the epoch, on the local SQS's clock); a move to a standard dead-letter queue keeps it. */
  readonly sentAt: number;
  /** How many times it was received (`ApproximateReceiveCount`); a move to a dead-letter queue keeps it. */
  readonly receiveCount: number;
  /** When it was first received (ms), if it was. */
  readonly firstReceivedAt?: number;
  /** When it was last received (ms), if it was: the 12 hours of `ChangeMessageVisibility` count from here. */
  readonly receivedAt?: number;
  /** The receipt handle of its last receive, if it was received. */
  readonly receiptHandle?: string;
  /** Until when (ms) it is hidden: delayed or in flight; visible from then on. */
  readonly invisibleUntil: number;
}

/** SQS's limit on a message's visibility timeout, counted from its receive: 12 hours. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
const MAX_DELAY_SECONDS = 900;
const MAX_BATCH_ENTRIES = 10;
const FIFO_DEDUPLICATION_WINDOW_MS = 5 * 60_000;
const DEFAULTS: Record<string, string> = {
  VisibilityTimeout: '30',
  DelaySeconds: '0',
  MessageRetentionPeriod: '345600',
  MaximumMessageSize: '1048576',
  ReceiveMessageWaitTimeSeconds: '0',
};
const NUMERIC_ATTRIBUTES: Record<string, [number, number]> = {
  VisibilityTimeout: [0, MAX_VISIBILITY_TIMEOUT_SECONDS],
  DelaySeconds: [0, MAX_DELAY_SECONDS],
  MessageRetentionPeriod: [60, 1_209_600],
  MaximumMessageSize: [1_024, 1_048_576],
  ReceiveMessageWaitTimeSeconds: [0, 20],
};
const SETTABLE_ATTRIBUTES = new Set([...Object.keys(NUMERIC_ATTRIBUTES), 'RedrivePolicy', 'FifoQueue', 'ContentBasedDeduplication', 'Policy', 'SqsManagedSseEnabled', 'KmsMasterKeyId']);

/** An error SQS answers: the JSON protocol's type, the query protocol's code (`x-amzn-query-error`), the HTTP status. */
export class SqsError extends Error {
  constructor(readonly type: string, message: string, readonly queryCode: string = type, readonly status = 400) {
    super(message);
  }
}

const invalidParameter = (name: string, value: unknown, reason: string) =>
  new SqsError('InvalidParameterValue', `Value ${typeof value === 'string' ? value : JSON.stringify(value)} for parameter ${name} is invalid. Reason: ${reason}`);
const missingParameter = (name: string) => new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);
const injected = () => new SqsError('InternalError', 'injected fault', 'InternalError', 500);

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: Record<string, LocalSqsMessageAttribute>;
  readonly md5OfMessageAttributes?: string;
  readonly groupId?: string;
  readonly deduplicationId?: string;
  readonly sequenceNumber?: string;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receivedAt?: number;
  receiptHandle?: string;
  invisibleUntil: number;
}

interface Queue {
  readonly name: string;
  readonly fifo: boolean;
  readonly attributes: Record<string, string>;
  readonly createdAt: number;
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
  messages: Message[];
  /** Every receipt handle issued, and the message it was issued for. */
  readonly handles: Map<string, string>;
  /** FIFO: deduplication id -> the message it admitted, and when. */
  readonly deduplication: Map<string, { readonly messageId: string; readonly sequenceNumber: string; readonly at: number }>;
}

/** The MD5 of message attributes, as SQS computes it (sorted by name; lengths as 4-byte big-endian integers). */
export function md5OfMessageAttributes(attributes: Record<string, LocalSqsMessageAttribute>): string {
  const hash = createHash('md5');
  const part = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const { DataType, StringValue, BinaryValue } = attributes[name];
    part(Buffer.from(name, 'utf8'));
    part(Buffer.from(DataType, 'utf8'));
    const binary = DataType.startsWith('Binary');
    hash.update(Buffer.from([binary ? 2 : 1]));
    part(binary ? Buffer.from(BinaryValue ?? '', 'base64') : Buffer.from(StringValue ?? '', 'utf8'));
  }
  return hash.digest('hex');
}

/** The queues of one local SQS, in one account and region. */
export class LocalSqsQueues {
  private readonly queues = new Map<string, Queue>();
  private sequence = 0;

  constructor(
    private readonly region: string,
    private readonly account: string,
    private readonly now: () => number,
    private readonly faults: ReadonlyMap<string, LocalSqsFault>,
  ) {}

  /** The URL SQS gives the queue in AWS, which BatchDeferral also derives from a record's ARN. */
  public urlOf(name: string): string {
    return `https://sqs.${this.region}.amazonaws.com/${this.account}/${name}`;
  }

  public arnOf(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.account}:${name}`;
  }

  /** The messages of a queue, visible or not, oldest first (copies). */
  public messages(name: string): LocalSqsMessage[] {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`no local queue is named "${name}" (queues: ${[...this.queues.keys()].join(', ') || 'none'})`);
    return queue.messages.map(({ md5OfBody: _body, md5OfMessageAttributes: _attributes, ...m }) =>
      ({ ...m, messageAttributes: { ...m.messageAttributes } }));
  }

  /** Answers one operation, or throws an `SqsError`. */
  public operate(operation: LocalSqsOperation, input: any): unknown {
    if (this.faults.has(operation) && (this.faults.get(operation) === 'request' || !operation.endsWith('Batch'))) throw injected();
    const now = this.now();
    switch (operation) {
      case 'CreateQueue': return this.createQueue(input, now);
      case 'GetQueueUrl': return { QueueUrl: this.urlOf(this.byName(input.QueueName, input.QueueOwnerAWSAccountId).name) };
      case 'GetQueueAttributes': return this.getQueueAttributes(input, now);
      case 'SendMessage': return this.send(this.queueOf(input.QueueUrl), input, now);
      case 'SendMessageBatch': {
        const queue = this.queueOf(input.QueueUrl);
        return this.batch(operation, input.Entries, entry => ({ Id: entry.Id, ...this.send(queue, entry, now) }));
      }
      case 'ReceiveMessage': return this.receive(input, now);
      case 'DeleteMessage':
        this.delete(this.queueOf(input.QueueUrl), input.ReceiptHandle);
        return {};
      case 'DeleteMessageBatch': {
        const queue = this.queueOf(input.QueueUrl);
        return this.batch(operation, input.Entries, entry => {
          this.delete(queue, entry.ReceiptHandle);
          return { Id: entry.Id };
        });
      }
      case 'ChangeMessageVisibility':
        this.changeVisibility(this.queueOf(input.QueueUrl), input.ReceiptHandle, input.VisibilityTimeout, now);
        return {};
      case 'ChangeMessageVisibilityBatch': {
        const queue = this.queueOf(input.QueueUrl);
        return this.batch(operation, input.Entries, entry => {
          this.changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout, now);
          return { Id: entry.Id };
        });
      }
    }
  }

  /** Whether ReceiveMessage would answer at least one message now (for long polling). */
  public hasVisible(queueUrl: unknown): boolean {
    const now = this.now();
    return this.queueOf(queueUrl).messages.some(m => m.invisibleUntil <= now);
  }

  private byName(name: unknown, account: unknown = this.account): Queue {
    const queue = account === this.account && typeof name === 'string' ? this.queues.get(name) : undefined;
    if (!queue) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.', 'AWS.SimpleQueueService.NonExistentQueue');
    return queue;
  }

  /** The queue of a QueueUrl: its last two path segments are the account and the name, whatever the host. */
  private queueOf(queueUrl: unknown): Queue {
    if (typeof queueUrl !== 'string' || queueUrl === '') throw missingParameter('QueueUrl');
    const [account, name] = queueUrl.replace(/\/+$/, '').split('/').slice(-2);
    return this.byName(name, account);
  }

  private createQueue(input: any, now: number) {
    const name = input.QueueName;
    if (typeof name !== 'string' || name === '') throw missingParameter('QueueName');
    const given: Record<string, string> = { ...(input.Attributes ?? {}) };
    const fifo = given.FifoQueue === 'true';
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name.replace(/\.fifo$/, '')) || fifo !== name.endsWith('.fifo')) {
      throw invalidParameter('QueueName', name, 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length; '
        + 'the name of a FIFO queue (FifoQueue "true") must end with .fifo, and only its name.');
    }
    for (const [key, value] of Object.entries(given)) {
      if (!SETTABLE_ATTRIBUTES.has(key)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${key}.`);
      const range = NUMERIC_ATTRIBUTES[key];
      if (range && !(/^\d+$/.test(String(value)) && Number(value) >= range[0] && Number(value) <= range[1])) {
        throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${key}: ${value} (must be an integer from ${range[0]} to ${range[1]}).`);
      }
    }
    if ('FifoQueue' in given && given.FifoQueue !== 'true') throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter FifoQueue: ${given.FifoQueue} (only "true" is accepted).`);
    if ('ContentBasedDeduplication' in given && !fifo) throw new SqsError('InvalidAttributeName', 'Unknown Attribute ContentBasedDeduplication (a standard queue has no deduplication).');
    const attributes: Record<string, string> = { ...DEFAULTS, ...(fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {}), ...given };
    const redrive = given.RedrivePolicy !== undefined ? this.redrivePolicy(given.RedrivePolicy, fifo) : undefined;
    if (redrive) attributes.RedrivePolicy = JSON.stringify(redrive);

    const existing = this.queues.get(name);
    if (existing) {
      const differs = Object.keys({ ...existing.attributes, ...attributes }).find(k => existing.attributes[k] !== attributes[k]);
      if (differs) throw new SqsError('QueueNameExists', `A queue already exists with the same name and a different value for attribute ${differs}`, 'QueueAlreadyExists');
      return { QueueUrl: this.urlOf(name) };
    }
    this.queues.set(name, { name, fifo, attributes, createdAt: now, redrive, messages: [], handles: new Map(), deduplication: new Map() });
    return { QueueUrl: this.urlOf(name) };
  }

  private redrivePolicy(text: string, fifo: boolean) {
    let policy: any;
    try {
      policy = JSON.parse(text);
    } catch {
      throw invalidParameter('RedrivePolicy', text, 'Redrive policy is not a valid JSON map.');
    }
    const maxReceiveCount = Number(policy?.maxReceiveCount);
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1_000) {
      throw invalidParameter('RedrivePolicy', text, `Invalid value for maxReceiveCount: ${policy?.maxReceiveCount}, valid values are from 1 to 1000 both inclusive.`);
    }
    const target = [...this.queues.values()].find(q => this.arnOf(q.name) === policy.deadLetterTargetArn);
    if (!target) throw invalidParameter('RedrivePolicy', text, `Dead letter target does not exist: ${policy.deadLetterTargetArn}.`);
    if (target.fifo !== fifo) throw invalidParameter('RedrivePolicy', text, 'Dead-letter queue must be the same type of queue as the source queue (FIFO or standard).');
    return { deadLetterTargetArn: String(policy.deadLetterTargetArn), maxReceiveCount };
  }

  private getQueueAttributes(input: any, now: number) {
    const queue = this.queueOf(input.QueueUrl);
    const all: Record<string, string> = {
      QueueArn: this.arnOf(queue.name),
      ApproximateNumberOfMessages: String(queue.messages.filter(m => m.invisibleUntil <= now).length),
      ApproximateNumberOfMessagesNotVisible: String(queue.messages.filter(m => m.invisibleUntil > now && m.receiptHandle).length),
      ApproximateNumberOfMessagesDelayed: String(queue.messages.filter(m => m.invisibleUntil > now && !m.receiptHandle).length),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1_000)),
      LastModifiedTimestamp: String(Math.floor(queue.createdAt / 1_000)),
      ...queue.attributes,
    };
    const names: string[] = input.AttributeNames ?? [];
    const unknown = names.find(n => n !== 'All' && !(n in all) && !SETTABLE_ATTRIBUTES.has(n));
    if (unknown) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${unknown}.`);
    const chosen = Object.entries(all).filter(([k]) => names.includes('All') || names.includes(k));
    return chosen.length ? { Attributes: Object.fromEntries(chosen) } : {};
  }

  private send(queue: Queue, input: any, now: number) {
    const body = input.MessageBody;
    if (typeof body !== 'string') throw missingParameter('MessageBody');
    if (body === '') throw invalidParameter('MessageBody', body, 'Message must be at least one character.');
    const maxSize = Number(queue.attributes.MaximumMessageSize);
    if (Buffer.byteLength(body, 'utf8') > maxSize) throw invalidParameter('MessageBody', '(the body)', `Message must be shorter than ${maxSize} bytes.`);
    const attributes = this.messageAttributes(input.MessageAttributes);
    const delay = input.DelaySeconds ?? Number(queue.attributes.DelaySeconds);
    if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_SECONDS) throw invalidParameter('DelaySeconds', delay, `Must be >= 0 and <= ${MAX_DELAY_SECONDS}, if provided.`);
    let deduplicationId: string | undefined;
    if (queue.fifo) {
      if (!input.MessageGroupId) throw missingParameter('MessageGroupId');
      if (input.DelaySeconds !== undefined) throw invalidParameter('DelaySeconds', input.DelaySeconds, 'The request include parameter that is not valid for this queue type.');
      deduplicationId = input.MessageDeduplicationId ?? (queue.attributes.ContentBasedDeduplication === 'true' ? createHash('sha256').update(body).digest('hex') : undefined);
      if (!deduplicationId) throw invalidParameter('MessageDeduplicationId', '', 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
      const earlier = queue.deduplication.get(deduplicationId);
      if (earlier && now - earlier.at < FIFO_DEDUPLICATION_WINDOW_MS) {
        // Accepted, not enqueued again: a duplicate within the 5-minute deduplication window.
        return { MessageId: earlier.messageId, MD5OfMessageBody: md5(body), SequenceNumber: earlier.sequenceNumber };
      }
    } else if (input.MessageDeduplicationId !== undefined) {
      throw invalidParameter('MessageDeduplicationId', input.MessageDeduplicationId, 'The request include parameter that is not valid for this queue type.');
    }
    this.sequence += 1;
    const message: Message = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5(body),
      messageAttributes: attributes,
      md5OfMessageAttributes: Object.keys(attributes).length ? md5OfMessageAttributes(attributes) : undefined,
      groupId: queue.fifo ? input.MessageGroupId : undefined,
      deduplicationId,
      sequenceNumber: queue.fifo ? String(this.sequence).padStart(20, '0') : undefined,
      sentAt: now,
      receiveCount: 0,
      invisibleUntil: now + delay * 1_000,
    };
    queue.messages.push(message);
    if (deduplicationId) queue.deduplication.set(deduplicationId, { messageId: message.messageId, sequenceNumber: message.sequenceNumber!, at: now });
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: message.md5OfBody,
      ...(message.md5OfMessageAttributes ? { MD5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
      ...(message.sequenceNumber ? { SequenceNumber: message.sequenceNumber } : {}),
    };
  }

  private messageAttributes(given: unknown): Record<string, LocalSqsMessageAttribute> {
    const attributes: Record<string, LocalSqsMessageAttribute> = {};
    const entries = Object.entries((given ?? {}) as Record<string, any>);
    if (entries.length > 10) throw invalidParameter('MessageAttributes', `${entries.length} attributes`, 'Number of message attributes [' + entries.length + '] exceeds the allowed maximum [10].');
    for (const [name, value] of entries) {
      const type = String(value?.DataType ?? '');
      if (!/^(String|Number|Binary)(\..+)?$/.test(type)) throw invalidParameter(`MessageAttributes.${name}.DataType`, type, 'The type of a message attribute must be String, Number or Binary, with an optional custom type.');
      const binary = type.startsWith('Binary');
      const content = binary ? value.BinaryValue : value.StringValue;
      if (typeof content !== 'string' || content === '') throw invalidParameter(`MessageAttributes.${name}`, content ?? '', `Message attribute ${name} must contain a non-empty ${binary ? 'BinaryValue' : 'StringValue'}.`);
      attributes[name] = binary ? { DataType: type, BinaryValue: content } : { DataType: type, StringValue: content };
    }
    return attributes;
  }

  private receive(input: any, now: number) {
    const queue = this.queueOf(input.QueueUrl);
    const max = input.MaxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) throw invalidParameter('MaxNumberOfMessages', max, 'Must be between 1 and 10, if provided.');
    const visibility = input.VisibilityTimeout ?? Number(queue.attributes.VisibilityTimeout);
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > MAX_VISIBILITY_TIMEOUT_SECONDS) {
      throw invalidParameter('VisibilityTimeout', visibility, `Must be >= 0 and <= ${MAX_VISIBILITY_TIMEOUT_SECONDS}, if provided.`);
    }
    this.expire(queue, now);
    // FIFO: nothing of a message group while one of its messages is in flight, and a group is delivered in order.
    const blocked = new Set(queue.fifo ? queue.messages.filter(m => m.receiptHandle && m.invisibleUntil > now).map(m => m.groupId) : []);
    const received: Message[] = [];
    for (const message of [...queue.messages]) {
      if (received.length >= max) break;
      if (queue.fifo && blocked.has(message.groupId)) continue;
      if (message.invisibleUntil > now) {
        // A delayed message holds back the rest of its group.
        if (queue.fifo) blocked.add(message.groupId);
        continue;
      }
      if (queue.redrive && message.receiveCount >= queue.redrive.maxReceiveCount) {
        // The receive after the last one allowed moves the message to the dead-letter queue instead.
        this.moveToDeadLetterQueue(queue, message, now);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receivedAt = now;
      message.receiptHandle = randomUUID();
      message.invisibleUntil = now + visibility * 1_000;
      queue.handles.set(message.receiptHandle, message.messageId);
      received.push(message);
    }
    const systemNames: string[] = [...(input.MessageSystemAttributeNames ?? []), ...(input.AttributeNames ?? [])];
    const attributeNames: string[] = input.MessageAttributeNames ?? [];
    const wanted = (name: string) => attributeNames.some(n => n === 'All' || n === '.*' || n === name || (n.endsWith('.*') && name.startsWith(n.slice(0, -1))));
    if (received.length === 0) return {};
    return {
      Messages: received.map(m => {
        const system: Record<string, string | undefined> = {
          SenderId: this.account,
          SentTimestamp: String(m.sentAt),
          ApproximateReceiveCount: String(m.receiveCount),
          ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
          MessageGroupId: m.groupId,
          MessageDeduplicationId: m.deduplicationId,
          SequenceNumber: m.sequenceNumber,
        };
        const attributes = Object.entries(system).filter(([k, v]) => v !== undefined && (systemNames.includes('All') || systemNames.includes(k)));
        const messageAttributes = Object.fromEntries(Object.entries(m.messageAttributes).filter(([k]) => wanted(k)));
        return {
          MessageId: m.messageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: m.md5OfBody,
          Body: m.body,
          ...(attributes.length ? { Attributes: Object.fromEntries(attributes) } : {}),
          ...(Object.keys(messageAttributes).length
            ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: md5OfMessageAttributes(messageAttributes) }
            : {}),
        };
      }),
    };
  }

  /** Deletes the messages older than the queue's retention period. */
  private expire(queue: Queue, now: number): void {
    const retention = Number(queue.attributes.MessageRetentionPeriod) * 1_000;
    queue.messages = queue.messages.filter(m => now - m.sentAt < retention);
  }

  private moveToDeadLetterQueue(queue: Queue, message: Message, now: number): void {
    queue.messages = queue.messages.filter(m => m !== message);
    const target = [...this.queues.values()].find(q => this.arnOf(q.name) === queue.redrive!.deadLetterTargetArn);
    if (!target) return;
    // A standard queue keeps the enqueue time (retention counts from the first send); FIFO resets it.
    target.messages.push({ ...message, sentAt: target.fifo ? now : message.sentAt, receiptHandle: undefined, invisibleUntil: now });
  }

  /** The message whose current receipt handle is `handle`; undefined for a handle issued before its last receive, or of a deleted message. */
  private byHandle(queue: Queue, handle: unknown): Message | undefined {
    if (typeof handle !== 'string' || handle === '') throw missingParameter('ReceiptHandle');
    if (!queue.handles.has(handle)) throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);
    return queue.messages.find(m => m.receiptHandle === handle);
  }

  private delete(queue: Queue, handle: unknown): void {
    const message = this.byHandle(queue, handle);
    // As in SQS, a handle of an earlier receive succeeds without deleting (and a deleted message is deleted).
    if (message) queue.messages = queue.messages.filter(m => m !== message);
  }

  private changeVisibility(queue: Queue, handle: unknown, timeout: unknown, now: number): void {
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > MAX_VISIBILITY_TIMEOUT_SECONDS) {
      throw invalidParameter('VisibilityTimeout', timeout, `Must be >= 0 and <= ${MAX_VISIBILITY_TIMEOUT_SECONDS}.`);
    }
    const message = this.byHandle(queue, handle);
    if (!message) throw invalidParameter('ReceiptHandle', handle, 'Message does not exist or is not available for visibility timeout change.');
    if (message.invisibleUntil <= now) throw new SqsError('MessageNotInflight', 'The message referred to is not in flight.', 'AWS.SimpleQueueService.MessageNotInflight');
    if (now - message.receivedAt! + timeout * 1_000 > MAX_VISIBILITY_TIMEOUT_SECONDS * 1_000) {
      throw invalidParameter('VisibilityTimeout', timeout, `Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_TIMEOUT_SECONDS} seconds]`);
    }
    // The new timeout counts from now.
    message.invisibleUntil = now + timeout * 1_000;
  }

  private batch(operation: LocalSqsOperation, entries: unknown, apply: (entry: any) => Record<string, unknown>) {
    if (!Array.isArray(entries) || entries.length === 0) throw new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.', 'AWS.SimpleQueueService.EmptyBatchRequest');
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`, 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest');
    }
    const ids = entries.map(e => e?.Id);
    const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeated !== undefined) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${repeated} repeated.`, 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct');
    const invalid = ids.find(id => typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id));
    if (invalid !== undefined) {
      throw new SqsError('InvalidBatchEntryId', `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long: ${invalid}`, 'AWS.SimpleQueueService.InvalidBatchEntryId');
    }
    const Successful: Record<string, unknown>[] = [];
    const Failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
    for (const entry of entries) {
      try {
        if (this.faults.get(operation) === 'entries') throw injected();
        Successful.push(apply(entry));
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        Failed.push({ Id: entry.Id, Code: error.queryCode, Message: error.message, SenderFault: error.status < 500 });
      }
    }
    return { Successful, Failed };
  }
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}
