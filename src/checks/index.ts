export * from './resilience-checks';
export * from './retry-budget';
