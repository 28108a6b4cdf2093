import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleResult } from 'cdk-nag';
import { CfnModel, ModelResource } from './model/cfn-model';
import { EventGraph } from './model/event-graph';
import { ResourcePath } from './model/retry-paths';

/** What a rule of `ResilienceChecks` can look at besides the resource it checks. */
export interface RuleContext {
  /** The resources of the resource's stack. */
  readonly model: CfnModel;
  /** How events flow between them. */
  readonly graph: EventGraph;
  /** The retry paths of the stack that start at `resource`. */
  readonly pathsFrom: (resource: ModelResource) => ResourcePath[];
  /** Whether the listing of the paths that start at `resource` stopped at its limit (`PATH_LIMIT`). */
  readonly pathsIncompleteFrom: (resource: ModelResource) => boolean;
  /** The worst case above which a retry path is reported. */
  readonly retryBudgetThreshold: number;
}

/** A rule of `ResilienceChecks`: its id is `Resilience-<id>`. */
export interface ResilienceRule {
  /** `<Service><N>`. */
  readonly id: string;
  /** What the finding says. */
  readonly info: string;
  /** What to change. */
  readonly explanation: string;
  readonly level: NagMessageLevel;
  check(node: CfnResource, context: RuleContext): NagRuleResult;
  /** The numbers behind a finding on `node` (what was found, what is needed), for its message. */
  describe?(node: CfnResource, context: RuleContext): string | undefined;
}
