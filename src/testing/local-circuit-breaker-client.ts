// The AWS SDK v3 is the user's: the Lambda runtime provides it, tests install it. It is loaded when used.
// eslint-disable-next-line import/no-extraneous-dependencies
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CIRCUIT_BREAKER_CLIENT_CONFIG } from '../runtime/circuit-breaker-client';
import { describeValue } from '../runtime/validate';

/**
 * A DynamoDB client for a `CircuitBreaker` in a test or a local run: the
 * breaker's documented client limits (`CIRCUIT_BREAKER_CLIENT_CONFIG`: 2
 * attempts, 1 s per request), pointed at a local DynamoDB-compatible server
 * (DynamoDB Local, dynalite, LocalStack) with placeholder credentials and region.
 *
 * Pass it as the breaker's `client` option. Without a `client`, the breaker's
 * own client follows the AWS SDK's environment: `AWS_ENDPOINT_URL_DYNAMODB`
 * points it at a local server too (with `AWS_REGION` and credentials set).
 *
 * @param endpoint the server's URL, e.g. `http://127.0.0.1:8000`
 * @throws Error when `endpoint` is not an http or https URL
 */
export function localCircuitBreakerClient(endpoint: string): DynamoDBClient {
  if (typeof endpoint !== 'string' || !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new Error(`endpoint must be the http or https URL of a local DynamoDB (e.g. http://127.0.0.1:8000), got ${describeValue(endpoint)}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  const { DynamoDBClient: Client } = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
  return new Client({
    ...CIRCUIT_BREAKER_CLIENT_CONFIG,
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
