import { AddressInfo } from 'net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLocalCircuitBreakerTable } from '../../src/testing';
// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite');

/** A DynamoDB-API server (dynalite, in memory) on 127.0.0.1 with a random port. */
export interface LocalDynamoDb {
  readonly endpoint: string;
  /** A client of this server (no retries, so that an outage shows at once). */
  client(): DynamoDBClient;
  /** Creates a table shaped like `CircuitBreakerTable`'s (`createLocalCircuitBreakerTable()`). */
  createCircuitTable(tableName: string): Promise<void>;
  /** Stops the server; calls to it then fail to connect. */
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const client = () => {
    const c = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    clients.push(c);
    return c;
  };
  let stopped = false;
  return {
    endpoint,
    client,
    async createCircuitTable(tableName: string) {
      await createLocalCircuitBreakerTable(client(), tableName);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clients.forEach(c => c.destroy());
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
