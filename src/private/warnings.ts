import { RULE_NAMESPACE } from './nag';

/**
 * The ids of the warnings the constructs add for a choice that is valid but
 * risky, in one scheme with the rules of `ResilienceChecks`:
 * `Resilience-<Name>`. A warning about what a rule also reports carries the
 * rule's own id (`Resilience-SQS6`, through `addCheckedWarning`), so that one
 * acknowledgement covers both; these are the construct's own, acknowledged
 * with `Annotations.of(construct).acknowledgeWarning(id, reason)`.
 */
export const WARNING_IDS = {
  /** A `DeadLetterQueue` with more sources than its redrive-allow policy can name. */
  deadLetterQueueManySources: `${RULE_NAMESPACE}-DeadLetterQueueManySources`,
  /** A `QueueDecoupledFunction` whose reserved concurrency is below the pollers Lambda starts. */
  reservedConcurrencyThrottles: `${RULE_NAMESPACE}-ReservedConcurrencyThrottles`,
  /** A `StreamConsumerFunction` whose `maxRecordAge` is not below the stream's retention. */
  streamRecordAgeBeyondRetention: `${RULE_NAMESPACE}-StreamRecordAgeBeyondRetention`,
  /** An `AppConfigProfile` that deploys all at once with no monitor to roll it back. */
  allAtOnceWithoutMonitors: `${RULE_NAMESPACE}-AllAtOnceWithoutMonitors`,
} as const;
