import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { ResourcePath } from '../model/retry-paths';
import { ResilienceRule, RuleContext } from '../rule';

/**
 * Resilience-RetryBudget1: no path from this resource exceeds the retry budget
 * or is a certain loop. A possible loop (the template does not show that the
 * event comes back) is reported only when it is over the budget.
 */
export const RetryBudgetThreshold: ResilienceRule = {
  id: 'RetryBudget1',
  info: 'An event that enters this resource can invoke a later hop more often than the retry budget allows (retries at several layers multiply), or certainly loops back: see RetryBudget.analyze(app).toMarkdown().',
  explanation: 'Lower the retries of one layer (maxReceiveCount, retryAttempts of asynchronous invocations or targets), make a hop idempotent and stop retrying it, or break the loop. Raise retryBudgetThreshold only for a path that can bear it.',
  level: NagMessageLevel.WARN,
  check(node, context) {
    const starting = pathsOf(node, context);
    if (starting.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
    return over(starting, context.retryBudgetThreshold).length > 0 ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
  describe(node, context) {
    const found = over(pathsOf(node, context), context.retryBudgetThreshold);
    const loop = (p: ResourcePath) => Number(p.cyclic && p.certain);
    const worst = [...found].sort((a, b) => loop(b) - loop(a) || b.worstCaseInvocations - a.worstCaseInvocations)[0];
    const hops = worst.nodes.map((hop, i) => `${hop.name}${worst.attempts[i] > 1 ? ` ×${worst.attempts[i]}` : ''}`).join(' → ');
    // With a hop whose attempts the template leaves to deployment, the count is a lower bound: the finding rests on it only when that is over.
    const least = worst.countUnknown ? 'at least ' : '';
    const count = !worst.cyclic
      ? `${least}${worst.worstCaseInvocations} worst-case invocations, budget ${context.retryBudgetThreshold}`
      : worst.certain
        ? `a certain loop, ${least}${worst.worstCaseInvocations} invocations per trip`
        : `a possible loop (the template does not show that the event comes back), ${least}${worst.worstCaseInvocations} invocations per trip, budget ${context.retryBudgetThreshold}`;
    return `${hops}: ${count}${found.length > 1 ? `; ${found.length - 1} more path(s) over the budget` : ''}`;
  },
};

function pathsOf(node: CfnResource, { model, pathsFrom }: RuleContext): ResourcePath[] {
  const resource = model.resourceOf(node);
  return resource ? pathsFrom(resource) : [];
}

function over(paths: ResourcePath[], threshold: number): ResourcePath[] {
  return paths.filter(p => (p.cyclic && p.certain) || p.worstCaseInvocations > threshold);
}
