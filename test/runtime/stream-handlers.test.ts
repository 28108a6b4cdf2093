import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readmeFile } from '../helpers';

/**
 * The README's stream handlers (`// stream-handlers.mjs`), run as written with
 * Powertools for AWS Lambda on the events Lambda sends from a Kinesis data
 * stream and from a DynamoDB stream: what they return is what Lambda reads
 * for partial batch responses on a StreamConsumerFunction.
 */
const ROOT = path.join(__dirname, '..', '..');

/** The README's ```js block that starts with `// stream-handlers.mjs`, written where Node.js resolves the project's packages. */
function readmeHandlers(): string {
  const dir = path.join(ROOT, 'node_modules', '.cache', 'readme-stream-handlers');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'stream-handlers.mjs');
  fs.writeFileSync(file, readmeFile('stream-handlers.mjs'));
  return file;
}

/** Invokes `exported` of the README's file with `event`, as Lambda would, in a fresh Node.js process. */
function invoke(exported: string, event: unknown): { result?: unknown; error?: string } {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const handlers = await import(${JSON.stringify(readmeHandlers())});
    try {
      const result = await handlers[${JSON.stringify(exported)}](${JSON.stringify(event)}, { functionName: 'consumer', awsRequestId: 'r-1' });
      process.stdout.write(JSON.stringify({ result }));
    } catch (error) {
      process.stdout.write(JSON.stringify({ error: error.name + ': ' + error.message }));
    }
  `], { encoding: 'utf8', env: { ...process.env, POWERTOOLS_DEV: 'false' } });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

const KINESIS_ARN = 'arn:aws:kinesis:eu-west-1:111122223333:stream/clicks';
const TABLE_STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2026-11-29T00:00:00.000';

/** A record of a Kinesis event, as Lambda sends it, whose data is `data`. */
function kinesisRecord(sequenceNumber: string, data: string) {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'user-1',
      sequenceNumber,
      data: Buffer.from(data, 'utf8').toString('base64'),
      approximateArrivalTimestamp: 1_764_374_400.5,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::111122223333:role/consumer',
    awsRegion: 'eu-west-1',
    eventSourceARN: KINESIS_ARN,
  };
}

/** A record of a DynamoDB stream event, as Lambda sends it. */
function dynamodbRecord(sequenceNumber: string, eventName: 'INSERT' | 'MODIFY' | 'REMOVE', id: string, newImage?: Record<string, unknown>) {
  return {
    eventID: `event-${sequenceNumber}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      ApproximateCreationDateTime: 1_764_374_400,
      Keys: { id: { S: id } },
      ...(newImage ? { NewImage: newImage } : {}),
      SequenceNumber: sequenceNumber,
      SizeBytes: 64,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: TABLE_STREAM_ARN,
  };
}

describe('the README\'s stream handlers (Powertools BatchProcessor)', () => {
  test('Kinesis: the failed records are reported by sequence number, the first failed record first', () => {
    // GIVEN a batch with a click without a page and a record that is not JSON between good clicks
    const event = {
      Records: [
        kinesisRecord('49590338271490256608559692538361571095921575989136588801', '{"page":"/home"}'),
        kinesisRecord('49590338271490256608559692538361571095921575989136588802', '{"user":"u-1"}'),
        kinesisRecord('49590338271490256608559692538361571095921575989136588803', '{"page":"/cart"}'),
        kinesisRecord('49590338271490256608559692538361571095921575989136588804', 'not json'),
      ],
    };
    // WHEN Lambda invokes the handler with the batch
    const { result } = invoke('clicksHandler', event);
    // THEN it names the failed records; Lambda retries from the first (the lowest sequence number)
    expect(result).toEqual({
      batchItemFailures: [
        { itemIdentifier: '49590338271490256608559692538361571095921575989136588802' },
        { itemIdentifier: '49590338271490256608559692538361571095921575989136588804' },
      ],
    });
  });

  test('DynamoDB: the failed change is reported by its stream sequence number', () => {
    // GIVEN an insert, a modification that lost the order's status, and a removal (which has no new image)
    const event = {
      Records: [
        dynamodbRecord('100000000000000000001', 'INSERT', 'o-1', { id: { S: 'o-1' }, status: { S: 'PLACED' } }),
        dynamodbRecord('100000000000000000002', 'MODIFY', 'o-2', { id: { S: 'o-2' } }),
        dynamodbRecord('100000000000000000003', 'REMOVE', 'o-3'),
      ],
    };
    // WHEN
    const { result } = invoke('orderChangesHandler', event);
    // THEN
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '100000000000000000002' }] });
  });

  test.each([
    ['clicksHandler', { Records: [kinesisRecord('1', '{"page":"/home"}'), kinesisRecord('2', '{"page":"/cart"}')] }],
    ['orderChangesHandler', { Records: [dynamodbRecord('1', 'INSERT', 'o-1', { id: { S: 'o-1' }, status: { S: 'PLACED' } })] }],
  ])('%s: a batch without failures returns an empty list, which Lambda reads as a success', (handler, event) => {
    // WHEN
    const { result } = invoke(handler, event);
    // THEN
    expect(result).toEqual({ batchItemFailures: [] });
  });

  test.each([
    ['clicksHandler', { Records: [kinesisRecord('1', 'not json'), kinesisRecord('2', '{}')] }],
    ['orderChangesHandler', { Records: [dynamodbRecord('1', 'MODIFY', 'o-1', { id: { S: 'o-1' } })] }],
  ])('%s: a batch whose every record fails throws, so that Lambda splits it', (handler, event) => {
    // WHEN
    const { result, error } = invoke(handler, event);
    // THEN
    expect(result).toBeUndefined();
    expect(error).toMatch(/^FullBatchFailureError: All records failed processing/);
  });
});
