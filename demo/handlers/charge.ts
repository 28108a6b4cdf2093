/**
 * The demo's payment step: calls a payments API through a circuit breaker
 * shared by every environment of the function (CircuitBreakerTable).
 */
import { CircuitBreaker, CircuitOpenError } from '../../src/runtime/circuit-breaker';

/** What the handler answers: the charge, or, while the payments API is down, when to try again. */
type ChargeResult = { status: 'CHARGED'; charge: unknown } | { status: 'DEFERRED'; retryAfter?: string };

const breaker = new CircuitBreaker<ChargeResult>({
  circuitId: 'payments-api',
  // When the circuit is open, answer at once instead of waiting for a failing API.
  fallback: (error: CircuitOpenError) => ({ status: 'DEFERRED', retryAfter: error.retryAfter?.toISOString() }),
});

export async function handler(event: { orderId: string; amount: number }): Promise<ChargeResult> {
  return breaker.fire<ChargeResult>(async () => {
    const response = await fetch(process.env.PAYMENTS_API_URL ?? 'https://payments.example.com/charges', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(5_000),
    });
    if (response.status >= 500) {
      throw new Error(`payments API answered ${response.status}`);
    }
    return { status: 'CHARGED' as const, charge: await response.json() };
  });
}
