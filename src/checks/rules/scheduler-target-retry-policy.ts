import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { AWS_DEFAULTS } from '../../private/defaults';
import { CFN_TYPE } from '../model/cfn-model';
import { readSchedule } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-Scheduler2: an EventBridge Scheduler schedule's target has an explicit retry policy. */
export const SchedulerTargetRetryPolicy: ResilienceRule = {
  id: 'Scheduler2',
  info: `The EventBridge Scheduler schedule's target has no explicit retry policy: it gets Scheduler's default of ${AWS_DEFAULTS.scheduleRetryAttempts} retries over 24 hours, whether or not that suits the target.`,
  explanation: 'Set retryAttempts and maxEventAge on the target (RetryPolicy in a template) to what the target can bear.',
  level: NagMessageLevel.WARN,
  check(node, { model }) {
    const schedule = model.resourceOf(node);
    if (schedule?.type !== CFN_TYPE.SCHEDULE) return NagRuleCompliance.NOT_APPLICABLE;
    return readSchedule(schedule).hasRetryPolicy ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
