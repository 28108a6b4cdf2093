/**
 * cdk-resilience/runtime: code for your Lambda handlers.
 *
 * Import what you use; each helper is its own module, so a bundler keeps
 * only what you import. The AWS SDK v3 is not bundled: the Lambda Node.js
 * runtime provides it.
 */
export { CircuitBreaker, CircuitOpenError, CIRCUIT_BREAKER_METRICS_NAMESPACE } from './circuit-breaker';
export type { CircuitBreakerOptions, CircuitState } from './circuit-breaker';
