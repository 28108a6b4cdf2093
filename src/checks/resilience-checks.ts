import { CfnResource, PolicyValidationPluginReport, Stack } from 'aws-cdk-lib';
import { NagPack, NagPackProps } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ResilienceRule, RuleContext } from './rule';
import { ResourcePath, retryPaths } from '../private/retry-paths';
import { AppConfigAllAtOnce } from './rules/appconfig-all-at-once';
import { AppConfigEnvironmentMonitors } from './rules/appconfig-environment-monitors';
import { EventBridgeBusArchive } from './rules/eventbridge-bus-archive';
import { EventBridgeTargetDeadLetterQueue } from './rules/eventbridge-target-dead-letter-queue';
import { EventBridgeTargetRetryPolicy } from './rules/eventbridge-target-retry-policy';
import { LambdaAsyncFailureDestination } from './rules/lambda-async-failure-destination';
import { RetryBudgetThreshold } from './rules/retry-budget-threshold';
import { SnsSubscriptionRedrive } from './rules/sns-subscription-redrive';
import { SqsConsumedQueueRedrive } from './rules/sqs-consumed-queue-redrive';
import { SqsDeadLetterRetention } from './rules/sqs-dead-letter-retention';
import { SqsDeadLetterType } from './rules/sqs-dead-letter-type';
import { SqsMaxReceiveCount } from './rules/sqs-max-receive-count';
import { SqsPartialBatchResponses } from './rules/sqs-partial-batch-responses';
import { SqsVisibilityTimeout } from './rules/sqs-visibility-timeout';
import { CfnModel, ModelResource } from '../private/cfn-model';
import { EventGraph } from '../private/event-graph';
import { validateNumberRange } from '../private/validation';

const RULES: ResilienceRule[] = [
  SqsConsumedQueueRedrive,
  SqsVisibilityTimeout,
  SqsPartialBatchResponses,
  SqsDeadLetterRetention,
  SqsDeadLetterType,
  SqsMaxReceiveCount,
  EventBridgeTargetDeadLetterQueue,
  EventBridgeTargetRetryPolicy,
  EventBridgeBusArchive,
  LambdaAsyncFailureDestination,
  SnsSubscriptionRedrive,
  AppConfigEnvironmentMonitors,
  AppConfigAllAtOnce,
  RetryBudgetThreshold,
];

/**
 * Properties of `ResilienceChecks`.
 */
export interface ResilienceChecksProps extends NagPackProps {
  /**
   * The worst-case number of invocations of a path's last hop per event above
   * which `Resilience-RetryBudget1` reports the path (on its first resource).
   * Between 1 and 1,000,000.
   *
   * @default 25
   */
  readonly retryBudgetThreshold?: number;
}

/**
 * A cdk-nag rule pack that finds, at synth time, where an app can lose
 * messages or events, or multiply retries: SQS queues consumed by Lambda
 * (redrive, visibility timeout, partial batch responses, dead-letter queue
 * retention and type, maxReceiveCount), EventBridge rules and buses
 * (dead-letter queues, retry policies, archives), functions invoked
 * asynchronously (failure destinations), SNS subscriptions (redrive
 * policies), AppConfig (rollback monitors, gradual deployments), and retry
 * paths whose worst case exceeds a budget (see `RetryBudget`).
 *
 * Register it with `Validations.of(app).addPlugins(new ResilienceChecks(app))`,
 * or call `validateScope(stack)` in a test. Rule ids are
 * `Resilience-<Service><N>`; acknowledge one with
 * `Validations.of(construct).acknowledge({ id, reason })`.
 */
export class ResilienceChecks extends NagPack {
  /** The worst case above which `Resilience-RetryBudget1` reports a path unless told otherwise. */
  public static readonly DEFAULT_RETRY_BUDGET_THRESHOLD = 25;

  /** The pack's name, the prefix of its rule ids. */
  public readonly name = 'Resilience';
  /** The ids of the pack's rules. */
  public readonly ruleIds?: string[] = RULES.map(rule => `Resilience-${rule.id}`);

  private readonly retryBudgetThreshold: number;
  private contexts = new Map<Stack, RuleContext>();

  constructor(scope?: IConstruct, props: ResilienceChecksProps = {}) {
    super(scope, props);
    this.packName = 'Resilience';
    this.retryBudgetThreshold = props.retryBudgetThreshold ?? ResilienceChecks.DEFAULT_RETRY_BUDGET_THRESHOLD;
    validateNumberRange('retryBudgetThreshold', this.retryBudgetThreshold, 1, 1_000_000);
  }

  /** Validates every resource under `scope` against the pack's rules. */
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.contexts = new Map();
    try {
      return super.validateScope(scope);
    } finally {
      this.contexts = new Map();
    }
  }

  protected checkResource(node: CfnResource): void {
    const context = this.contextOf(Stack.of(node));
    for (const rule of RULES) {
      this.applyRule({
        ruleSuffixOverride: rule.id,
        info: rule.info,
        explanation: rule.explanation,
        level: rule.level,
        node,
        rule: (resource: CfnResource) => rule.check(resource, context),
      });
    }
  }

  private contextOf(stack: Stack): RuleContext {
    let context = this.contexts.get(stack);
    if (!context) {
      const model = new CfnModel(stack);
      const graph = new EventGraph(model);
      // The paths are walked once per stack, when the first resource asks.
      let byFirstHop: Map<ModelResource, ResourcePath[]> | undefined;
      const pathsFrom = (resource: ModelResource) => {
        byFirstHop ??= groupByFirstHop(retryPaths(graph));
        return byFirstHop.get(resource) ?? [];
      };
      context = {
        model,
        graph,
        pathsFrom,
        retryBudgetThreshold: this.retryBudgetThreshold,
      };
      this.contexts.set(stack, context);
    }
    return context;
  }
}

function groupByFirstHop(paths: ResourcePath[]): Map<ModelResource, ResourcePath[]> {
  const byFirstHop = new Map<ModelResource, ResourcePath[]>();
  for (const path of paths) byFirstHop.set(path.nodes[0], [...byFirstHop.get(path.nodes[0]) ?? [], path]);
  return byFirstHop;
}
