import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { ResourcePath } from '../../private/retry-paths';
import { ResilienceRule, RuleContext } from '../rule';

/** Resilience-RetryBudget1: no path from this resource exceeds the retry budget or loops. */
export const RetryBudgetThreshold: ResilienceRule = {
  id: 'RetryBudget1',
  info: 'An event that enters this resource can invoke a later hop more often than the retry budget allows (retries at several layers multiply), or can loop back: see RetryBudget.analyze(app).toMarkdown().',
  explanation: 'Lower the retries of one layer (maxReceiveCount, retryAttempts of asynchronous invocations or targets), make a hop idempotent and stop retrying it, or break the loop. Raise retryBudgetThreshold only for a path that can bear it.',
  level: NagMessageLevel.WARN,
  check(node, context) {
    const starting = pathsOf(node, context);
    if (starting.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
    return over(starting, context.retryBudgetThreshold).length > 0 ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
  describe(node, context) {
    const found = over(pathsOf(node, context), context.retryBudgetThreshold);
    const worst = [...found].sort((a, b) => Number(b.cyclic) - Number(a.cyclic) || b.worstCaseInvocations - a.worstCaseInvocations)[0];
    const hops = worst.nodes.map((hop, i) => `${hop.name}${worst.attempts[i] > 1 ? ` ×${worst.attempts[i]}` : ''}`).join(' → ');
    const count = worst.cyclic
      ? `a loop, ${worst.worstCaseInvocations} invocations per trip`
      : `${worst.worstCaseInvocations} worst-case invocations, budget ${context.retryBudgetThreshold}`;
    return `${hops}: ${count}${found.length > 1 ? `; ${found.length - 1} more path(s) over the budget` : ''}`;
  },
};

function pathsOf(node: CfnResource, { model, pathsFrom }: RuleContext): ResourcePath[] {
  const resource = model.resourceOf(node);
  return resource ? pathsFrom(resource) : [];
}

function over(paths: ResourcePath[], threshold: number): ResourcePath[] {
  return paths.filter(p => p.cyclic || p.worstCaseInvocations > threshold);
}
