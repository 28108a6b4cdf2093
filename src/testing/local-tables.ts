// The AWS SDK v3 is the user's: the Lambda runtime provides it, tests install it. It is loaded when used.
// eslint-disable-next-line import/no-extraneous-dependencies
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CIRCUIT_BREAKER_PARTITION_KEY, CIRCUIT_BREAKER_TTL_ATTRIBUTE, IDEMPOTENCY_PARTITION_KEY, IDEMPOTENCY_TTL_ATTRIBUTE,
} from '../runtime/contract';

/** A table that `createLocalCircuitBreakerTable()` or `createLocalIdempotencyTable()` created. */
export interface LocalTable {
  /** Its name. */
  readonly tableName: string;
  /** Its partition key (a string), the construct's. */
  readonly partitionKey: string;
  /** Its TTL attribute (epoch seconds), the construct's. */
  readonly timeToLiveAttribute: string;
  /**
   * Whether the server turned TTL on. dynalite has no `UpdateTimeToLive`
   * (false); DynamoDB Local accepts it (true). Neither deletes expired items.
   */
  readonly timeToLiveEnabled: boolean;
}

/**
 * Creates, in a local DynamoDB-compatible server (dynalite, DynamoDB Local,
 * LocalStack), a table shaped like `CircuitBreakerTable`'s: the same partition
 * key (`id`, a string) and TTL attribute (`expiresAt`), read from the
 * constants the construct reads, on-demand. Point a `CircuitBreaker` at it
 * with `tableName` and a client of the same server (`localCircuitBreakerClient(endpoint)`).
 *
 * @param client a client of the local server (`localCircuitBreakerClient(endpoint)` or your own)
 */
export async function createLocalCircuitBreakerTable(client: DynamoDBClient, tableName: string): Promise<LocalTable> {
  return createLocalTable(client, tableName, CIRCUIT_BREAKER_PARTITION_KEY, CIRCUIT_BREAKER_TTL_ATTRIBUTE);
}

/**
 * Creates, in a local DynamoDB-compatible server (dynalite, DynamoDB Local,
 * LocalStack), a table shaped like `IdempotencyTable`'s, the one Powertools
 * for AWS Lambda's `DynamoDBPersistenceLayer` expects: the same partition key
 * (`id`, a string) and TTL attribute (`expiration`), read from the constants
 * the construct reads, on-demand. Give Powertools its `tableName` and a
 * client of the same server (`awsSdkV3Client`).
 *
 * @param client a client of the local server
 */
export async function createLocalIdempotencyTable(client: DynamoDBClient, tableName: string): Promise<LocalTable> {
  return createLocalTable(client, tableName, IDEMPOTENCY_PARTITION_KEY, IDEMPOTENCY_TTL_ATTRIBUTE);
}

async function createLocalTable(client: DynamoDBClient, tableName: string, partitionKey: string, timeToLiveAttribute: string): Promise<LocalTable> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  const { CreateTableCommand, UpdateTimeToLiveCommand, waitUntilTableExists } = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
  await client.send(new CreateTableCommand({
    TableName: tableName,
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
  let timeToLiveEnabled = true;
  try {
    await client.send(new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true },
    }));
  } catch (error) {
    // dynalite does not implement UpdateTimeToLive; any other error is the caller's.
    if ((error as { name?: string }).name !== 'UnknownOperationException') throw error;
    timeToLiveEnabled = false;
  }
  return { tableName, partitionKey, timeToLiveAttribute, timeToLiveEnabled };
}
