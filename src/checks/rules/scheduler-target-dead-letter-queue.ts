import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readSchedule } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/**
 * Resilience-Scheduler1: an EventBridge Scheduler schedule's target has a
 * dead-letter queue. Scheduler retries a target it cannot invoke (185 times
 * over 24 hours by default), then drops the invocation without a trace
 * unless the target has a `DeadLetterConfig`.
 */
export const SchedulerTargetDeadLetterQueue: ResilienceRule = {
  id: 'Scheduler1',
  info: 'The EventBridge Scheduler schedule\'s target has no dead-letter queue: an invocation that Scheduler cannot deliver after its retries (185 over 24 hours by default) is dropped without a trace.',
  explanation: 'Give the target a deadLetterQueue (aws-scheduler-targets take one; DeadLetterConfig.Arn in a template), an SQS queue that Scheduler may send to.',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const schedule = model.resourceOf(node);
    if (schedule?.type !== CFN_TYPE.SCHEDULE) return NagRuleCompliance.NOT_APPLICABLE;
    return readSchedule(schedule).deadLetterArn !== undefined ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
