import { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { NagPackProps } from 'cdk-nag';
import { IConstruct } from 'constructs';
import type { ResilienceNagPack } from './resilience-nag-pack';
import { validateNumberRange } from '../private/validation';

/**
 * Properties of `ResilienceChecks`.
 */
export interface ResilienceChecksProps extends NagPackProps {
  /**
   * The worst-case number of invocations of a path's last hop per event above
   * which `Resilience-RetryBudget1` reports the path (on its first resource).
   *
   * Valid range: 1-1,000,000.
   *
   * @default 25
   */
  readonly retryBudgetThreshold?: number;

  /**
   * Whether warning findings fail the validation (and so the synth) as error
   * findings do. For CI pipelines that want every finding fixed or
   * acknowledged.
   *
   * @default false - only error findings fail; warnings are reported
   */
  readonly failOnWarnings?: boolean;
}

/**
 * A cdk-nag rule pack that finds, at synth time, where an app can lose
 * messages or events, or multiply retries: SQS queues consumed by Lambda
 * (redrive, visibility timeout, partial batch responses, dead-letter queue
 * retention and type, maxReceiveCount), EventBridge rules and buses
 * (dead-letter queues, retry policies, archives), functions invoked
 * asynchronously (failure destinations), SNS subscriptions (redrive
 * policies), stream consumers (Lambda event source mappings and EventBridge
 * pipes reading Kinesis or DynamoDB streams: on-failure destinations,
 * bounded retries, poison-record isolation), AppConfig (rollback monitors, gradual deployments), and retry
 * paths whose worst case exceeds a budget (see `RetryBudget`).
 *
 * Register it with `Validations.of(app).addPlugins(new ResilienceChecks(app))`,
 * or call `validateScope(stack)` in a test. Error findings fail the synth;
 * warning findings are reported and do not (unless `failOnWarnings`). Rule
 * ids are `Resilience-<Service><N>`; acknowledge one with
 * `Validations.of(construct).acknowledge({ id, reason })`, under the rule id
 * (`Resilience-SQS6`) or the id the synth report shows (`Resilience::Resilience-SQS6`).
 *
 * cdk-nag is loaded when the first `ResilienceChecks` is created, so an app
 * that does not use the checks does not pay for loading it.
 */
export class ResilienceChecks implements IPolicyValidationPlugin {
  /** The worst case above which `Resilience-RetryBudget1` reports a path unless told otherwise. */
  public static readonly DEFAULT_RETRY_BUDGET_THRESHOLD = 25;

  /**
   * Checks a CloudFormation template, without a CDK app: a template that SAM
   * (after its transform), the Serverless Framework, another CDK version or a
   * person wrote. The command line `npx cdk-resilience check` runs this.
   *
   * The template is rebuilt as a stack of generic resources and every rule
   * runs on it as on an app's stack. Findings name the construct path where
   * the template has `aws:cdk:path` metadata, otherwise
   * `Template/<logical ID>`, and give the logical ID. A rule acknowledged in a
   * resource's `cdk_nag` metadata (`rules_to_suppress`, as cdk-nag writes it
   * with `writeSuppressionsToCloudFormation`) is not reported on it.
   *
   * @param template the parsed template (JSON), an object with `Resources`
   * @param props the options of the checks
   */
  public static checkTemplate(template: any, props: ResilienceChecksProps = {}): PolicyValidationPluginReport {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { templateStack } = require('./model/template-stack') as typeof import('./model/template-stack');
    const rebuilt = templateStack(template);
    const report = new ResilienceChecks(undefined, props).validateScope(rebuilt.stack);
    return {
      ...report,
      violations: report.violations.map(violation => ({
        ...violation,
        violatingResources: violation.violatingResources.map(resource => ({
          ...resource,
          resourceLogicalId: resource.resourceLogicalId ?? rebuilt.logicalIds.get(resource.constructPath ?? ''),
        })),
      })),
    };
  }

  /** The pack's name, the prefix of its rule ids. */
  public readonly name: string;

  /** The ids of the pack's rules. */
  public readonly ruleIds?: string[];

  private readonly pack: ResilienceNagPack;

  constructor(scope?: IConstruct, props: ResilienceChecksProps = {}) {
    const retryBudgetThreshold = props.retryBudgetThreshold ?? ResilienceChecks.DEFAULT_RETRY_BUDGET_THRESHOLD;
    validateNumberRange('retryBudgetThreshold', retryBudgetThreshold, 1, 1_000_000);
    // Loaded on first use: cdk-nag is the library's heaviest dependency, and most synths never check.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nagPack = require('./resilience-nag-pack') as typeof import('./resilience-nag-pack');
    this.pack = new nagPack.ResilienceNagPack(scope, { ...props, retryBudgetThreshold, failOnWarnings: props.failOnWarnings ?? false });
    this.name = this.pack.name;
    this.ruleIds = this.pack.ruleIds;
  }

  /** Called by the CDK during synth when the pack is registered with `Validations.of(app).addPlugins()`. */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return this.pack.validate(context);
  }

  /** Validates every resource under `scope` against the pack's rules. */
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    return this.pack.validateScope(scope);
  }
}
