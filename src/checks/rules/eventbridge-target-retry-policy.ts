import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { RULE } from '../../private/event-graph';
import { ResilienceRule } from '../rule';

/** Resilience-EventBridge2: every target of a rule has an explicit retry policy. */
export const EventBridgeTargetRetryPolicy: ResilienceRule = {
  id: 'EventBridge2',
  info: 'A target of the EventBridge rule has no explicit retry policy: it gets EventBridge\'s default of 185 retries over 24 hours, whether or not that suits the target.',
  explanation: 'Set retryAttempts and maxEventAge on each target to what the target can bear (ArchivedEventBus.addRule() sets them).',
  level: NagMessageLevel.WARN,
  check(node, { model }) {
    const rule = model.resourceOf(node);
    if (rule?.type !== RULE || !Array.isArray(rule.properties.Targets) || rule.properties.Targets.length === 0) {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    return rule.properties.Targets.every((t: any) => t.RetryPolicy !== undefined)
      ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
