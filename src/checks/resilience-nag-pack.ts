import { CfnResource, PolicyValidationPluginReport, PolicyViolation, Stack } from 'aws-cdk-lib';
import { NagPack, NagPackProps, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ResilienceRule, RuleContext } from './rule';
import { ApiIntegrationTimeout } from './rules/api-integration-timeout';
import { AppConfigAllAtOnce } from './rules/appconfig-all-at-once';
import { AppConfigEnvironmentMonitors } from './rules/appconfig-environment-monitors';
import { ChecksRetryPathLimit } from './rules/checks-retry-path-limit';
import { ChecksUnreadableResource } from './rules/checks-unreadable-resource';
import { EventBridgeBusArchive } from './rules/eventbridge-bus-archive';
import { EventBridgeTargetDeadLetterQueue } from './rules/eventbridge-target-dead-letter-queue';
import { EventBridgeTargetRetryPolicy } from './rules/eventbridge-target-retry-policy';
import { FisExperimentStopCondition } from './rules/fis-experiment-stop-condition';
import { LambdaAsyncFailureDestination } from './rules/lambda-async-failure-destination';
import { RetryBudgetThreshold } from './rules/retry-budget-threshold';
import { SchedulerTargetDeadLetterQueue } from './rules/scheduler-target-dead-letter-queue';
import { SchedulerTargetRetryPolicy } from './rules/scheduler-target-retry-policy';
import { SnsSubscriptionRedrive } from './rules/sns-subscription-redrive';
import { SqsConsumedQueueRedrive } from './rules/sqs-consumed-queue-redrive';
import { SqsDeadLetterRetention } from './rules/sqs-dead-letter-retention';
import { SqsDeadLetterType } from './rules/sqs-dead-letter-type';
import { SqsMaxReceiveCount } from './rules/sqs-max-receive-count';
import { SqsPartialBatchResponses } from './rules/sqs-partial-batch-responses';
import { SqsVisibilityTimeout } from './rules/sqs-visibility-timeout';
import { StepFunctionsTaskTransientErrors } from './rules/stepfunctions-task-transient-errors';
import { StreamBoundedRetries } from './rules/stream-bounded-retries';
import { StreamOnFailureDestination } from './rules/stream-on-failure-destination';
import { StreamPoisonRecordIsolation } from './rules/stream-poison-record-isolation';
import { isAcknowledged, RULE_NAMESPACE } from '../private/nag';
import { StackAnalysis } from './model/stack-analysis';

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
  SchedulerTargetDeadLetterQueue,
  SchedulerTargetRetryPolicy,
  LambdaAsyncFailureDestination,
  ApiIntegrationTimeout,
  SnsSubscriptionRedrive,
  StreamOnFailureDestination,
  StreamBoundedRetries,
  StreamPoisonRecordIsolation,
  StepFunctionsTaskTransientErrors,
  AppConfigEnvironmentMonitors,
  AppConfigAllAtOnce,
  FisExperimentStopCondition,
  RetryBudgetThreshold,
  ChecksUnreadableResource,
  ChecksRetryPathLimit,
];

/** The ids of the pack's rules. */
export const RULE_IDS = RULES.map(rule => `${RULE_NAMESPACE}-${rule.id}`);

/** What the pack needs besides cdk-nag's own props. */
export interface ResilienceNagPackProps extends NagPackProps {
  readonly retryBudgetThreshold: number;
  readonly failOnWarnings: boolean;
  /**
   * The analyses to share with a `RetryBudget` of the same stacks (the command line runs both): the pack adds
   * the analysis of each stack it checks, and uses one that is there.
   * @default - an analysis per stack, for this validation only
   */
  readonly analyses?: Map<Stack, StackAnalysis>;
}

/**
 * The cdk-nag pack behind `ResilienceChecks`. It lives in its own module so
 * that cdk-nag is loaded only by apps that use the checks.
 *
 * Beyond a plain `NagPack`:
 * - rules read a model of the stack built once per validation;
 * - a finding says the numbers behind it, one violation per resource;
 * - the report fails only on error findings (unless `failOnWarnings`);
 * - an acknowledgement works under the rule id (`Resilience-SQS6`) and under
 *   the id the synth report shows (`Resilience::Resilience-SQS6`).
 */
export class ResilienceNagPack extends NagPack {
  public readonly name = RULE_NAMESPACE;
  public readonly ruleIds = RULE_IDS;

  private contexts = new Map<Stack, RuleContext>();
  /** The numbers behind each finding: rule id, then construct path. */
  private details = new Map<string, Map<string, string>>();

  constructor(scope: IConstruct | undefined, private readonly props: ResilienceNagPackProps) {
    super(scope, props);
    this.packName = RULE_NAMESPACE;
  }

  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.contexts = new Map();
    this.details = new Map();
    try {
      const report = super.validateScope(scope);
      const violations = report.violations.flatMap(v => this.withDetails(v));
      const failing = violations.filter(v => this.props.failOnWarnings || v.severity === 'error' || v.severity === 'fatal');
      return { ...report, violations, success: failing.length === 0 };
    } finally {
      this.contexts = new Map();
      this.details = new Map();
    }
  }

  protected checkResource(node: CfnResource): void {
    const context = this.contextOf(Stack.of(node));
    for (const rule of RULES) {
      const ruleId = `${RULE_NAMESPACE}-${rule.id}`;
      if (isAcknowledged(node, `${RULE_NAMESPACE}::${ruleId}`)) continue;
      let result: NagRuleResult | Error;
      try {
        result = rule.check(node, context);
      } catch (error) {
        result = error as Error;
      }
      if (result === NagRuleCompliance.NON_COMPLIANT && rule.describe) {
        const details = rule.describe(node, context);
        if (details) this.detailsOf(ruleId).set(node.node.path, details);
      }
      this.applyRule({
        ruleSuffixOverride: rule.id,
        info: rule.info,
        explanation: rule.explanation,
        level: rule.level,
        node,
        rule: () => {
          if (result instanceof Error) throw result;
          return result;
        },
      });
    }
  }

  /** A violation per resource whose finding has numbers of its own, the numbers after the message. */
  private withDetails(violation: PolicyViolation): PolicyViolation[] {
    const details = this.details.get(violation.ruleName);
    if (!details) return [violation];
    return violation.violatingResources.map(resource => {
      const numbers = details.get(resource.constructPath ?? '');
      return {
        ...violation,
        description: numbers ? `${violation.description} (${numbers})` : violation.description,
        violatingResources: [resource],
      };
    });
  }

  private detailsOf(ruleId: string): Map<string, string> {
    let details = this.details.get(ruleId);
    if (!details) {
      details = new Map();
      this.details.set(ruleId, details);
    }
    return details;
  }

  private contextOf(stack: Stack): RuleContext {
    let context = this.contexts.get(stack);
    if (!context) {
      // The model and graph are built once per stack; the paths are walked when the first resource asks.
      const analysis = StackAnalysis.of(stack, this.props.analyses);
      context = {
        model: analysis.model,
        graph: analysis.graph,
        pathsFrom: resource => analysis.pathsFrom(resource),
        pathsIncompleteFrom: resource => analysis.pathsIncompleteFrom(resource),
        retryBudgetThreshold: this.props.retryBudgetThreshold,
      };
      this.contexts.set(stack, context);
    }
    return context;
  }
}
