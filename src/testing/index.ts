/**
 * cdk-resilience/testing: helpers for the tests and local runs of your own
 * handlers that use cdk-resilience/runtime. Not for Lambda: nothing here is
 * bundled into a function unless you import it.
 */
export { startLocalAppConfigExtension, ALL_FAILURE_FLAGS_OFF } from './local-appconfig-extension';
export type { LocalAppConfigExtension, ExtensionAnswer } from './local-appconfig-extension';
export { localCircuitBreakerClient } from './local-circuit-breaker-client';
export { startLocalSqs } from './local-sqs';
export type { LocalSqs, LocalSqsOptions, LocalSqsRequest } from './local-sqs';
export type { LocalSqsFault, LocalSqsMessage, LocalSqsMessageAttribute, LocalSqsOperation } from './local-sqs-queues';
export { completeBatch, receiveRecords } from './lambda-sqs-poller';
export type { CompletedBatch, LambdaSqsBatchResponse, LambdaSqsMessageAttribute, LambdaSqsRecord } from './lambda-sqs-poller';
export { createLocalCircuitBreakerTable, createLocalIdempotencyTable } from './local-tables';
export type { LocalTable } from './local-tables';
export { startHangingServer } from './hanging-server';
export type { HangingServer, HangingRequest } from './hanging-server';
