import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { PATH_LIMIT } from '../model/retry-paths';
import { ResilienceRule } from '../rule';

/**
 * Resilience-Checks3: every retry path from the resource was checked. Fan-outs
 * multiply paths; the analysis lists at most `PATH_LIMIT` paths from one
 * resource, and this rule says when it stopped there, instead of leaving the
 * paths past the limit out of `Resilience-RetryBudget1` in silence.
 */
export const ChecksRetryPathLimit: ResilienceRule = {
  id: 'Checks3',
  info: `Events that enter this resource can take more than ${PATH_LIMIT.toLocaleString('en-US')} paths: the retry budget analysis stopped listing them there, so Resilience-RetryBudget1 did not check the paths past the limit.`,
  explanation: 'Check the fan-outs behind this resource (topics with many subscriptions, rules with many targets) by hand, or split them into stacks of their own. Acknowledge Resilience-Checks3 once you have.',
  level: NagMessageLevel.WARN,
  check(node, { model, pathsIncompleteFrom }) {
    const resource = model.resourceOf(node);
    if (!resource) return NagRuleCompliance.NOT_APPLICABLE;
    return pathsIncompleteFrom(resource) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.NOT_APPLICABLE;
  },
  describe(node, { model, pathsFrom }) {
    const resource = model.resourceOf(node);
    return resource ? `${pathsFrom(resource).length} path(s) listed` : undefined;
  },
};
