/**
 * The demo's payment step: calls a payments API through a circuit breaker
 * shared by every environment of the function (CircuitBreakerTable), within a
 * deadline derived from the invocation's remaining time: a payments API that
 * hangs is counted as a failure, and answered with the fallback, before Lambda's
 * timeout would end the invocation without a word.
 */
import { CircuitBreaker, CircuitOpenError } from '../../src/runtime/circuit-breaker';
import { DeadlineExceededError, LambdaContextLike, withDeadline } from '../../src/runtime/deadline';

/** What the handler answers: the charge, or, while the payments API is down or too slow, when to try again. */
type ChargeResult = { status: 'CHARGED'; charge: unknown } | { status: 'DEFERRED'; retryAfter?: string };

const breaker = new CircuitBreaker<ChargeResult>({
  circuitId: 'payments-api',
  // When the circuit is open, answer at once instead of waiting for a failing API.
  fallback: (error: CircuitOpenError) => ({ status: 'DEFERRED', retryAfter: error.retryAfter?.toISOString() }),
});

export async function handler(event: { orderId: string; amount: number }, context: LambdaContextLike): Promise<ChargeResult> {
  // The call may take what is left of the invocation, less a margin (10 %, at least 500 ms) to answer in.
  const deadline = withDeadline(context);
  try {
    return await breaker.fire<ChargeResult>(async () => {
      const response = await deadline.fetch(process.env.PAYMENTS_API_URL ?? 'https://payments.example.com/charges', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
      });
      if (response.status >= 500) {
        throw new Error(`payments API answered ${response.status}`);
      }
      return { status: 'CHARGED' as const, charge: await response.json() };
    });
  } catch (error) {
    // The breaker counted the hung call as a failure; answer as the open circuit would.
    if (error instanceof DeadlineExceededError) return { status: 'DEFERRED' };
    throw error;
  }
}
