// The AWS SDK v3 is the user's: the Lambda runtime provides it, tests install it. It is loaded when used.
// eslint-disable-next-line import/no-extraneous-dependencies
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalSqs } from './local-sqs';

/** A message attribute of an SQS record, as Lambda puts it in the event. */
export interface LambdaSqsMessageAttribute {
  /** The value of a `String` or `Number` attribute. */
  readonly stringValue?: string;
  /** The value of a `Binary` attribute, in base64. */
  readonly binaryValue?: string;
  /** Always empty (reserved by SQS). */
  readonly stringListValues: string[];
  /** Always empty (reserved by SQS). */
  readonly binaryListValues: string[];
  /** `String`, `Number` or `Binary`, with an optional custom type. */
  readonly dataType: string;
}

/** An SQS record as Lambda puts it in the event (`SQSRecord` of `@types/aws-lambda`). */
export interface LambdaSqsRecord {
  /** The message id. */
  readonly messageId: string;
  /** The receipt handle of this receive. */
  readonly receiptHandle: string;
  /** The body. */
  readonly body: string;
  /** The system attributes: `ApproximateReceiveCount`, `SentTimestamp`, ..., and for FIFO `MessageGroupId`, `SequenceNumber`, `MessageDeduplicationId`. */
  readonly attributes: Record<string, string> & {
    /** How many times the message was received, this receive included. */
    readonly ApproximateReceiveCount: string;
    /** FIFO: the message group. */
    readonly MessageGroupId?: string;
  };
  /** The message attributes. */
  readonly messageAttributes: Record<string, LambdaSqsMessageAttribute>;
  /** The MD5 of the body. */
  readonly md5OfBody: string;
  /** The MD5 of the message attributes, when there are some. */
  readonly md5OfMessageAttributes?: string;
  /** Always `aws:sqs`. */
  readonly eventSource: 'aws:sqs';
  /** The queue's ARN. */
  readonly eventSourceARN: string;
  /** The queue's region. */
  readonly awsRegion: string;
}

/** What a handler of SQS batches answers with `ReportBatchItemFailures` (`SQSBatchResponse`). */
export interface LambdaSqsBatchResponse {
  /** The records to leave in the queue, by message id. */
  readonly batchItemFailures?: readonly {
    /** The message id of a record to leave in the queue. */
    readonly itemIdentifier?: string | null;
  }[] | null;
}

/** What `completeBatch()` did with a batch, as Lambda would. */
export interface CompletedBatch {
  /** The message ids deleted from the queue. */
  readonly deleted: string[];
  /** The message ids left in the queue: reported, not deleted, or the whole batch when it failed. */
  readonly kept: string[];
  /** Why the whole batch was kept: the handler's error, or why Lambda would refuse its answer. */
  readonly failure?: unknown;
}

/**
 * Receives up to `max` (1-10) messages of `queueName` as Lambda's poller
 * does (every system attribute and message attribute, the queue's visibility
 * timeout), and returns them as the records of a Lambda event: give
 * `{ Records: records }` to your handler. An empty array when no message is
 * visible.
 *
 * @param client an `SQSClient` of `sqs` (`sqs.client()`); a client per poller models several Lambda environments
 */
export async function receiveRecords(client: SQSClient, sqs: LocalSqs, queueName: string, max = 10): Promise<LambdaSqsRecord[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  const { ReceiveMessageCommand } = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
  const { Messages } = await client.send(new ReceiveMessageCommand({
    QueueUrl: sqs.queueUrl(queueName),
    MaxNumberOfMessages: max,
    MessageSystemAttributeNames: ['All'],
    MessageAttributeNames: ['All'],
  }));
  return (Messages ?? []).map(m => ({
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body!,
    attributes: m.Attributes as LambdaSqsRecord['attributes'],
    messageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([name, a]) => [name, {
      ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
      ...(a.BinaryValue !== undefined ? { binaryValue: Buffer.from(a.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: a.DataType!,
    }])),
    md5OfBody: m.MD5OfBody!,
    ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: sqs.queueArn(queueName),
    awsRegion: sqs.region,
  }));
}

/**
 * Does with a batch what Lambda does with a handler's answer when the event
 * source mapping has `ReportBatchItemFailures`: deletes every record the
 * answer does not report, and leaves the reported ones to come back after
 * their visibility timeout. Keeps the whole batch when the handler throws (or
 * its promise rejects), and when Lambda would refuse the answer: an
 * `itemIdentifier` that is empty, missing, or not a message id of the batch.
 * An answer with no `batchItemFailures` (or none at all) deletes the batch.
 *
 * @param answer the handler's answer, or the promise of it: `completeBatch(client, sqs, 'orders', records, handler({ Records: records }))`
 */
export async function completeBatch(client: SQSClient, sqs: LocalSqs, queueName: string, records: readonly LambdaSqsRecord[],
  answer: LambdaSqsBatchResponse | void | Promise<LambdaSqsBatchResponse | void>): Promise<CompletedBatch> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  const { DeleteMessageBatchCommand } = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
  const all = records.map(r => r.messageId);
  let response: LambdaSqsBatchResponse | void;
  try {
    response = await answer;
  } catch (error) {
    return { deleted: [], kept: all, failure: error };
  }
  const reported = response?.batchItemFailures ?? [];
  const invalid = reported.find(f => typeof f?.itemIdentifier !== 'string' || !all.includes(f.itemIdentifier));
  if (invalid) {
    return { deleted: [], kept: all, failure: new Error(`Lambda treats the batch as failed: itemIdentifier ${JSON.stringify(invalid?.itemIdentifier)} is not a message id of the batch`) };
  }
  const failures = new Set(reported.map(f => f.itemIdentifier));
  const done = records.filter(r => !failures.has(r.messageId));
  const deleted: string[] = [];
  for (let i = 0; i < done.length; i += 10) {
    const chunk = done.slice(i, i + 10);
    const { Successful } = await client.send(new DeleteMessageBatchCommand({
      QueueUrl: sqs.queueUrl(queueName),
      Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
    }));
    deleted.push(...(Successful ?? []).map(s => chunk[Number(s.Id)].messageId));
  }
  return { deleted, kept: all.filter(id => !deleted.includes(id)) };
}
