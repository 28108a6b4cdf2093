import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { ResilienceRule } from '../rule';

/** Resilience-RetryBudget1: no path from this resource exceeds the retry budget or loops. */
export const RetryBudgetThreshold: ResilienceRule = {
  id: 'RetryBudget1',
  info: 'An event that enters this resource can invoke a later hop more often than the retry budget allows (retries at several layers multiply), or can loop back: see RetryBudget.analyze(app).toMarkdown().',
  explanation: 'Lower the retries of one layer (maxReceiveCount, retryAttempts of asynchronous invocations or targets), make a hop idempotent and stop retrying it, or break the loop. Raise retryBudgetThreshold only for a path that can bear it.',
  level: NagMessageLevel.WARN,
  check(node, { model, pathsFrom, retryBudgetThreshold }) {
    const resource = model.resourceOf(node);
    const starting = resource ? pathsFrom(resource) : [];
    if (starting.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
    const over = starting.some(p => p.cyclic || p.worstCaseInvocations > retryBudgetThreshold);
    return over ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
};
