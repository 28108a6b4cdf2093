/**
 * Where the runtime helpers write their log lines. Any object with `info`,
 * `warn` and `error` fits, such as the `Logger` of Powertools for AWS Lambda:
 * each call passes a message and one object of details.
 *
 * The default writes one JSON line per call to the console
 * (`{"level":"WARN","message":"...",...details}`): `info` to stdout
 * (`console.log`), `warn` and `error` to stderr (`console.warn`,
 * `console.error`), which Lambda sends to the function's CloudWatch log group.
 */
export interface RuntimeLogger {
  /** What happened as intended: an injected failure. */
  info(message: string, details: Record<string, unknown>): void;
  /** What was skipped, with the reason: an unreadable or invalid failure-injection configuration, a disk that filled up. */
  warn(message: string, details: Record<string, unknown>): void;
  /** What failed and was worked around: a DynamoDB request of the circuit breaker. */
  error(message: string, details: Record<string, unknown>): void;
}

/** The default logger: one JSON line per call on the console. */
export const consoleLogger: RuntimeLogger = {
  info: (message, details) => console.log(JSON.stringify({ level: 'INFO', message, ...details })),
  warn: (message, details) => console.warn(JSON.stringify({ level: 'WARN', message, ...details })),
  error: (message, details) => console.error(JSON.stringify({ level: 'ERROR', message, ...details })),
};
