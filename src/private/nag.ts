import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';

/** The name of `ResilienceChecks`: the prefix of its rule ids, and the namespace of its findings in a synth report. */
export const RULE_NAMESPACE = 'Resilience';

/**
 * The start of an ARN as cdk-nag renders it in a finding id: pseudo
 * parameters that are tokens as `<AWS::...>`, known ones as they are. The
 * partition is known when the stack's region is and the feature flag
 * `@aws-cdk/core:enablePartitionLiterals` (which `cdk init` sets) is on.
 */
export function nagArnPrefix(scope: IConstruct, service: string): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  return `arn:${partition}:${service}:${region}:${account}`;
}

/**
 * Acknowledges, on the grantee, the cdk-nag finding of a wildcard that the
 * library granted on purpose and that is the narrowest AWS allows.
 */
export function acknowledgeGrantedWildcard(grantee: iam.IGrantable, resource: string, reason: string): void {
  if (Construct.isConstruct(grantee.grantPrincipal)) {
    Validations.of(grantee.grantPrincipal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  }
}

/**
 * Acknowledges, on `scope`, the finding of a rule of `ResilienceChecks`
 * (`ruleId` without its namespace, e.g. `RetryBudget1`) that the pattern
 * makes irrelevant, with the reason why.
 */
export function acknowledgeCheck(scope: IConstruct, ruleId: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${RULE_NAMESPACE}-${ruleId}`, reason });
}

/**
 * Whether `id` is acknowledged with `Validations.of(scope).acknowledge()` on
 * `construct` or a scope above it, in the form given (`Resilience-SQS6` is
 * recorded as `Annotation::Resilience-SQS6`; `Resilience::Resilience-SQS6` as itself).
 */
export function isAcknowledged(construct: IConstruct, id: string): boolean {
  for (let scope: IConstruct | undefined = construct; scope; scope = scope.node.scope) {
    for (const entry of scope.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data && id in entry.data) return true;
    }
  }
  return false;
}

/**
 * A warning of a construct about a choice that a rule of `ResilienceChecks`
 * also reports: it carries the rule's id, so one acknowledgement covers both,
 * in either form (`Resilience-SQS6` or `Resilience::Resilience-SQS6`). Added
 * at synth, once the acknowledgements are known.
 */
export function addCheckedWarning(scope: IConstruct, ruleId: string, message: string): void {
  scope.node.addValidation({
    validate: () => {
      // Validations.acknowledge() records `Resilience-SQS6` as `Annotation::Resilience-SQS6`.
      if (!isAcknowledged(scope, `Annotation::${ruleId}`) && !isAcknowledged(scope, `${RULE_NAMESPACE}::${ruleId}`)) {
        Validations.of(scope).addWarning(ruleId, message);
      }
      return [];
    },
  });
}
