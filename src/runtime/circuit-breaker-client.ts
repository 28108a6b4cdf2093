// Types only: this module loads no AWS SDK code, so cdk-resilience/testing can use it without the SDK.
// eslint-disable-next-line import/no-extraneous-dependencies
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * The configuration of the DynamoDB client a `CircuitBreaker` creates when it
 * is given none: at most 2 attempts, 500 ms to connect, 1,000 ms per request,
 * so that a hung DynamoDB fails open (or closed) within seconds instead of
 * holding the call. The endpoint and credentials come from the environment as
 * for any AWS SDK client (`AWS_ENDPOINT_URL_DYNAMODB` points it at a local server).
 */
export const CIRCUIT_BREAKER_CLIENT_CONFIG: DynamoDBClientConfig = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 500, requestTimeout: 1_000 },
};
