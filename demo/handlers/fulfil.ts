/**
 * The demo's fulfilment step: ships each order of its queue once, however
 * often the queue delivers it, with Powertools for AWS Lambda's idempotency
 * and the IdempotencyTable attached to the function.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { IDEMPOTENCY_TABLE_ENV } from '../../src/runtime';

interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
}

const persistenceStore = new DynamoDBPersistenceLayer({ tableName: process.env[IDEMPOTENCY_TABLE_ENV]! });
// One shipment per order id: the same order sent twice, or delivered twice, ships once within a day.
const config = new IdempotencyConfig({
  eventKeyJmesPath: 'powertools_json(body).orderId',
  throwOnNoIdempotencyKey: true,
  expiresAfterSeconds: 24 * 60 * 60,
});
const processor = new BatchProcessor(EventType.SQS);

const ship = makeIdempotent(async (record: SqsRecord) => {
  const order = JSON.parse(record.body);
  console.log(JSON.stringify({ message: 'shipped', orderId: order.orderId }));
  return { orderId: order.orderId, shippedAt: new Date().toISOString() };
}, { persistenceStore, config });

export async function handler(event: { Records: SqsRecord[] }, context: unknown) {
  // processPartialResponse hands the context to ship(), and makeIdempotent registers it: a record
  // left in progress by a timed-out invocation blocks its order only until that timeout.
  return processPartialResponse(event as any, ship as any, processor, { context: context as any });
}
