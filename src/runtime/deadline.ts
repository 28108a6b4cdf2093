/**
 * Timeouts that leave time to fail well: a deadline for each invocation,
 * derived from the time Lambda gives it, for `fetch` and every AWS SDK v3
 * client, with retries that use full jitter and stop at the deadline.
 *
 * The AWS SDK for JavaScript v3 sets no request timeout by default: without
 * a deadline, a call to a downstream that hangs waits until Lambda ends the
 * invocation, and no fallback runs, no failure is counted, no batch item is
 * reported.
 */
export { DEADLINE_DEFAULTS, Deadline, DeadlineExceededError, currentDeadline, withDeadline } from './deadline-context';
export type { DeadlineOptions, LambdaContextLike } from './deadline-context';
export { applyDeadline, deadlineRetryStrategy } from './deadline-client';
export type { DeadlineRetryOptions, DeadlineRetryStrategy, RetryErrorInfoLike, RetryTokenLike } from './deadline-client';
