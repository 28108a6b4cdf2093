export * from './dead-letter-queue';
export * from './queue-decoupled-function';
export * from './async-function';
export * from './archived-event-bus';
export * from './circuit-breaker-table';
export * from './app-config-profile';
export * from './failure-injection';
export * from './checks';
