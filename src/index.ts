export * from './dead-letter-queue';
export * from './queue-decoupled-function';
