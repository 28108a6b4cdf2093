/**
 * receiveRecords() and completeBatch(): Lambda's SQS poller with
 * `ReportBatchItemFailures`, against the local SQS.
 */
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { completeBatch, LambdaSqsRecord, LocalSqs, receiveRecords, startLocalSqs } from '../../src/testing';

let sqs: LocalSqs;
let client: SQSClient;
let now = Date.UTC(2026, 0, 1);
let count = 0;

beforeAll(async () => {
  sqs = await startLocalSqs({ region: 'eu-west-1', account: '111122223333', clock: () => now });
  client = sqs.client();
});

afterAll(() => sqs.stop());

afterEach(() => sqs.faults.clear());

/** A queue with messages `m0`, `m1`, ... (visibility timeout 30 s), and the name. */
async function queueWith(messages: number): Promise<string> {
  count += 1;
  const name = `orders-${count}`;
  await client.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '30' } }));
  for (let i = 0; i < messages; i++) {
    await client.send(new SendMessageCommand({
      QueueUrl: sqs.queueUrl(name), MessageBody: `m${i}`, MessageAttributes: { index: { DataType: 'Number', StringValue: String(i) } },
    }));
  }
  return name;
}

const ids = (records: readonly LambdaSqsRecord[]) => records.map(r => r.messageId);

describe('receiveRecords', () => {
  test('receives up to 10 messages and returns them as the records of a Lambda event', async () => {
    // GIVEN
    const name = await queueWith(12);
    // WHEN
    const records = await receiveRecords(client, sqs, name);
    // THEN
    expect(records).toHaveLength(10);
    expect(records[0]).toEqual({
      messageId: sqs.messages(name)[0].messageId,
      receiptHandle: sqs.messages(name)[0].receiptHandle,
      body: 'm0',
      attributes: {
        ApproximateReceiveCount: '1', ApproximateFirstReceiveTimestamp: String(now), SentTimestamp: String(now), SenderId: '111122223333',
      },
      messageAttributes: { index: { stringValue: '0', stringListValues: [], binaryListValues: [], dataType: 'Number' } },
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:' + name,
      awsRegion: 'eu-west-1',
    });
    expect(await receiveRecords(client, sqs, name, 5)).toHaveLength(2);
  });
});

describe('completeBatch', () => {
  test('deletes what the handler did not report; the reported records come back after the visibility timeout', async () => {
    // GIVEN a batch of 3
    const name = await queueWith(3);
    const records = await receiveRecords(client, sqs, name);
    // WHEN the handler reports the second
    const answer = Promise.resolve({ batchItemFailures: [{ itemIdentifier: records[1].messageId }] });
    const result = await completeBatch(client, sqs, name, records, answer);
    // THEN
    expect(result).toEqual({ deleted: [records[0].messageId, records[2].messageId], kept: [records[1].messageId] });
    expect(sqs.messages(name).map(m => m.body)).toEqual(['m1']);
    now += 30_000;
    expect((await receiveRecords(client, sqs, name)).map(r => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([['m1', '2']]);
  });

  test.each([
    ['an empty list', { batchItemFailures: [] }],
    ['no list', {}],
    ['no answer', undefined],
  ])('%s deletes the whole batch', async (_, answer) => {
    const name = await queueWith(2);
    const records = await receiveRecords(client, sqs, name);
    expect(await completeBatch(client, sqs, name, records, answer as any)).toEqual({ deleted: ids(records), kept: [] });
    expect(sqs.messages(name)).toEqual([]);
  });

  test.each([
    ['the handler throws', Promise.reject(new Error('boom')), /boom/],
    ['an itemIdentifier is not of the batch', { batchItemFailures: [{ itemIdentifier: 'elsewhere' }] }, /itemIdentifier "elsewhere" is not a message id of the batch/],
    ['an itemIdentifier is empty', { batchItemFailures: [{ itemIdentifier: '' }] }, /itemIdentifier "" is not a message id/],
    ['an itemIdentifier is missing', { batchItemFailures: [{ id: 'x' }] }, /itemIdentifier undefined is not a message id/],
  ])('keeps the whole batch when %s, as Lambda does', async (_, answer, reason) => {
    // GIVEN
    const name = await queueWith(2);
    const records = await receiveRecords(client, sqs, name);
    // WHEN
    const result = await completeBatch(client, sqs, name, records, answer as any);
    // THEN nothing is deleted, and the result says why
    expect(result).toEqual({ deleted: [], kept: ids(records), failure: expect.objectContaining({ message: expect.stringMatching(reason) }) });
    expect(sqs.messages(name)).toHaveLength(2);
  });

  test('more than 10 records are deleted in batches of 10; a deletion that fails keeps its record', async () => {
    // GIVEN 12 records from two receives
    const name = await queueWith(12);
    const records = [...await receiveRecords(client, sqs, name), ...await receiveRecords(client, sqs, name)];
    expect(records).toHaveLength(12);
    // WHEN all succeed
    const result = await completeBatch(client, sqs, name, records, { batchItemFailures: [] });
    // THEN two DeleteMessageBatch requests deleted them
    expect(result.deleted).toHaveLength(12);
    expect(sqs.requests.filter(r => r.operation === 'DeleteMessageBatch' && r.input.QueueUrl === sqs.queueUrl(name)).map(r => r.input.Entries.length)).toEqual([10, 2]);

    // GIVEN deletions that fail
    const other = await queueWith(2);
    const more = await receiveRecords(client, sqs, other);
    sqs.faults.set('DeleteMessageBatch', 'entries');
    // WHEN / THEN
    expect(await completeBatch(client, sqs, other, more, { batchItemFailures: [] })).toEqual({ deleted: [], kept: ids(more) });
    expect(sqs.messages(other)).toHaveLength(2);
  });
});
