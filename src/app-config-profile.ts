import { Annotations, CfnElement, Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { functionErrorsAlarm } from './private/alarms';
import { appConfigExtensionLayerArn } from './private/appconfig-layers';
import { DEFAULTS, LIMITS } from './private/defaults';
import { attachableFunction } from './private/function-source';
import { validateJsonContent } from './private/json-schema';
import { acknowledgeGrantedWildcard, nagArnPrefix } from './private/nag';
import { deterministicName } from './private/names';
import { WARNING_IDS } from './private/warnings';
import { APPCONFIG_CONFIGURATION_PATH_ENV } from './runtime/contract';

/**
 * Properties of an `AppConfigProfile`.
 */
export interface AppConfigProfileProps {
  /**
   * The name of the AppConfig application.
   *
   * @default - a name derived from the stack name and the construct path
   */
  readonly applicationName?: string;

  /**
   * The name of the environment.
   *
   * @default 'default'
   */
  readonly environmentName?: string;

  /**
   * The name of the configuration profile.
   *
   * @default 'configuration'
   */
  readonly profileName?: string;

  /**
   * The configuration, hosted by AppConfig (`ConfigurationContent.fromInlineJson()`, `.fromFile()`, ...).
   * JSON content is checked at synth time (and against `schema` when given).
   */
  readonly content: appconfig.ConfigurationContent;

  /**
   * The type of the configuration: free-form, or AppConfig feature flags.
   *
   * @default ConfigurationType.FREEFORM
   */
  readonly type?: appconfig.ConfigurationType;

  /**
   * A JSON Schema (draft-07) that every version of the configuration must
   * satisfy: AppConfig refuses to deploy one that does not, and the initial
   * content is checked at synth time.
   *
   * @default - no schema
   */
  readonly schema?: string;

  /**
   * How a new version rolls out to the functions.
   *
   * @default - AppConfig.Linear20PercentEvery6Minutes (20% every 6 minutes, then 30 minutes of bake time), never all at once
   * @see https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-deployment-strategy.html
   */
  readonly deploymentStrategy?: appconfig.IDeploymentStrategy;

  /**
   * Alarms that roll a deployment back when they fire. `attachTo(fn)` adds the
   * function's error alarm.
   *
   * "Monitors" is AppConfig's word, and they do more than watch a steady
   * state: the error alarms of the functions that read the configuration
   * are among them. The steady-state alarms that end an experiment
   * (`FailureInjection`, `FisLambdaExperiment`) are `stopConditions`.
   *
   * @default - none but those `attachTo()` adds
   */
  readonly monitors?: cloudwatch.IAlarm[];

  /**
   * What the alarms `attachTo()` creates do when they fire (and recover).
   *
   * @default - the `DefaultAlarmAction` of the nearest scope that has one, or no action (they still roll deployments back)
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;

  /**
   * The ARN of the AppConfig Lambda extension layer, for a region the library
   * does not know or a stack whose region is a token.
   *
   * @default - the layer of extension 2.0.17054.0 for the stack's region and the function's architecture
   */
  readonly layerArn?: string;
}

/**
 * Options of `AppConfigProfile.attachTo()`.
 */
export interface AppConfigAttachOptions {
  /**
   * The environment variable that receives the profile's extension route.
   *
   * @default 'APPCONFIG_CONFIGURATION_PATH' (`AppConfigProfile.CONFIGURATION_PATH_ENV`, what `getConfiguration()` of cdk-resilience/runtime reads)
   */
  readonly environmentVariable?: string;

  /**
   * Whether the function's error alarm joins the rollback monitors.
   *
   * @default true
   */
  readonly monitorErrors?: boolean;
}

/** The functions that already have the AppConfig extension layer. */
const FUNCTIONS_WITH_EXTENSION = new WeakSet<lambda.Function>();

/**
 * Configuration apart from code: an AppConfig application, environment and
 * hosted configuration profile, validated before it deploys, rolled out
 * gradually, and rolled back when an alarm fires.
 *
 * `attachTo(fn)` adds the AppConfig Lambda extension to a function, tells it
 * which profile to read, grants it read of this profile only, and adds its
 * error alarm to the environment's rollback monitors.
 */
export class AppConfigProfile extends Construct {
  /**
   * The environment variable that `attachTo(fn)` sets to the profile's
   * extension route (`APPCONFIG_CONFIGURATION_PATH`), and that
   * `getConfiguration()` of cdk-resilience/runtime reads; a handler in another
   * language reads it to call the AppConfig Lambda extension.
   */
  public static readonly CONFIGURATION_PATH_ENV: string = APPCONFIG_CONFIGURATION_PATH_ENV;

  /** The AppConfig application. */
  public readonly application: appconfig.Application;
  /** The environment the configuration deploys to. */
  public readonly environment: appconfig.Environment;
  /** The hosted configuration profile. */
  public readonly configuration: appconfig.HostedConfiguration;
  /** How new versions roll out. */
  public readonly deploymentStrategy: appconfig.IDeploymentStrategy;
  /** The application's name. */
  public readonly applicationName: string;
  /** The environment's name. */
  public readonly environmentName: string;
  /** The profile's name. */
  public readonly profileName: string;
  /** The extension route of the profile: `/applications/{app}/environments/{env}/configurations/{profile}`. */
  public readonly configurationPath: string;

  private readonly monitorAlarms: cloudwatch.IAlarm[];
  private readonly errorsAlarms: cloudwatch.Alarm[] = [];
  private readonly alarmAction?: cloudwatch.IAlarmAction;
  private readonly layerArn?: string;
  private monitorRole?: iam.Role;

  constructor(scope: Construct, id: string, props: AppConfigProfileProps) {
    super(scope, id);
    this.applicationName = props.applicationName ?? deterministicName(this, LIMITS.appConfigApplicationName);
    this.environmentName = props.environmentName ?? DEFAULTS.appConfigEnvironmentName;
    this.profileName = props.profileName ?? DEFAULTS.appConfigProfileName;
    this.monitorAlarms = [...(props.monitors ?? [])];
    this.alarmAction = props.alarmAction;
    this.layerArn = props.layerArn;

    validateJsonContent('content', props.content, props.schema);

    this.application = new appconfig.Application(this, 'Application', { applicationName: this.applicationName });
    // Monitors are rendered at synth time, so that attachTo() can add alarms after construction.
    this.environment = new appconfig.Environment(this, 'Environment', {
      application: this.application,
      environmentName: this.environmentName,
    });
    (this.environment.node.defaultChild as appconfig.CfnEnvironment).monitors = Lazy.any({
      produce: () => this.monitorAlarms.length === 0 ? undefined : this.monitorAlarms.map(alarm => ({
        alarmArn: alarm.alarmArn,
        alarmRoleArn: this.grantMonitorRole().roleArn,
      })),
    });

    this.deploymentStrategy = props.deploymentStrategy ?? appconfig.DeploymentStrategy.fromDeploymentStrategyId(
      this, 'DeploymentStrategy', appconfig.DeploymentStrategyId.LINEAR_20_PERCENT_EVERY_6_MINUTES);
    if (isAllAtOnce(this.deploymentStrategy) && this.monitorAlarms.length === 0) {
      Annotations.of(this).addWarningV2(WARNING_IDS.allAtOnceWithoutMonitors,
        'deploymentStrategy deploys all at once and no monitor can roll it back: a bad configuration reaches every function at once. Use a gradual strategy, or give monitors (attachTo() adds the function\'s error alarm).');
    }

    this.configuration = new appconfig.HostedConfiguration(this, 'Configuration', {
      application: this.application,
      name: this.profileName,
      content: props.content,
      validators: props.schema ? [appconfig.JsonSchemaValidator.fromInline(props.schema)] : undefined,
      deploymentStrategy: this.deploymentStrategy,
      deployTo: [this.environment],
      type: props.type,
    });

    this.configurationPath = `/applications/${this.applicationName}/environments/${this.environmentName}/configurations/${this.profileName}`;
  }

  /**
   * Lets `fn` read this profile through the AppConfig Lambda extension: adds
   * the extension layer (for the stack's region and the function's
   * architecture), sets `APPCONFIG_CONFIGURATION_PATH`, grants read of this
   * profile only, and adds the function's error alarm to the rollback
   * monitors (the one another construct of this library already has on the
   * function, or a new one).
   *
   * `fn` must be a `lambda.Function` of this app (a `NodejsFunction` is one):
   * an imported function, an alias or a version cannot take a layer or an
   * environment variable, and is refused with an error that says so.
   *
   * @returns the grant of read access to this profile
   */
  public attachTo(fn: lambda.IFunction, options: AppConfigAttachOptions = {}): iam.Grant {
    const variable = options.environmentVariable ?? APPCONFIG_CONFIGURATION_PATH_ENV;
    const target = attachableFunction(this, fn, variable, 'grantRead(fn) (and add the AppConfig extension layer)');
    if (!FUNCTIONS_WITH_EXTENSION.has(target)) {
      target.addLayers(lambda.LayerVersion.fromLayerVersionArn(this, `ExtensionLayer${target.node.addr}`, this.extensionLayerArn(target)));
      FUNCTIONS_WITH_EXTENSION.add(target);
    }
    target.addEnvironment(variable, this.configurationPath);
    const grant = this.grantRead(target);
    if (options.monitorErrors !== false) {
      const alarm = functionErrorsAlarm(this, `ErrorsAlarm${target.node.addr}`, target, {
        description: `${target.node.path} failed while ${this.node.path} was deploying: AppConfig rolls the deployment back.`,
        alarmAction: this.alarmAction,
      });
      if (!this.errorsAlarms.includes(alarm)) this.errorsAlarms.push(alarm);
      this.addMonitor(alarm);
    }
    return grant;
  }

  /**
   * The alarms, whenever read: the error alarm of each function `attachTo()`
   * attached with `monitorErrors` (one per function: the one another construct
   * of this library already has on it, or one this profile created).
   */
  public get alarms(): cloudwatch.Alarm[] {
    return [...this.errorsAlarms];
  }

  /** The alarms that roll a deployment back: the given `monitors`, those added with `addMonitor()`, and the error alarms of attached functions. */
  public get monitors(): cloudwatch.IAlarm[] {
    return [...this.monitorAlarms];
  }

  /**
   * Grants reading this profile through AppConfig (a configuration session
   * and its latest configuration), in any environment of this application.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    // The environment is a wildcard: naming it would be a dependency cycle
    // (environment -> monitor alarm -> function -> its policy -> environment).
    const resource = Stack.of(this).formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: `${this.application.applicationId}/environment/*/configuration/${this.configuration.configurationProfileId}`,
    });
    const stack = Stack.of(this);
    const profile = this.configuration.node.findChild('ConfigurationProfile') as CfnElement;
    acknowledgeGrantedWildcard(grantee,
      `${nagArnPrefix(this, 'appconfig')}:application/<${stack.getLogicalId(this.application.node.defaultChild as CfnElement)}>`
        + `/environment/*/configuration/<${stack.getLogicalId(profile)}>`,
      'The grant names this application and profile; the environment is a wildcard because naming it would be a dependency cycle (environment, monitor alarm, function, policy).');
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
      resourceArns: [resource],
    });
  }

  /** Adds an alarm that rolls a deployment back when it fires (once, however often it is added). */
  public addMonitor(alarm: cloudwatch.IAlarm): void {
    if (this.monitorAlarms.includes(alarm)) return;
    this.monitorAlarms.push(alarm);
    // A monitor now guards even an all-at-once deployment.
    Annotations.of(this).acknowledgeWarning(WARNING_IDS.allAtOnceWithoutMonitors, 'a monitor was added');
  }

  private extensionLayerArn(fn: lambda.Function): string {
    if (this.layerArn) return this.layerArn;
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      throw new Error(`layerArn is required when the stack's region is not known at synth time (env-agnostic stack), got region ${region}: set the stack's env.region or give the AppConfig extension layer ARN`);
    }
    const arn = appConfigExtensionLayerArn(region, fn.architecture === lambda.Architecture.ARM_64);
    if (!arn) {
      throw new Error(`layerArn is required for region ${region}: the library knows no AppConfig extension layer there`);
    }
    return arn;
  }

  private grantMonitorRole(): iam.Role {
    if (!this.monitorRole) {
      this.monitorRole = new iam.Role(this, 'MonitorRole', {
        assumedBy: new iam.ServicePrincipal('appconfig.amazonaws.com'),
        description: `Lets AppConfig read the alarms that roll ${this.node.path} back`,
      });
      // AppConfig reads the alarms with DescribeAlarms, which supports no resource-level permissions.
      this.monitorRole.addToPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }));
      Validations.of(this.monitorRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'AppConfig reads its monitor alarms with cloudwatch:DescribeAlarms, which supports no resource-level permissions.',
      });
    }
    return this.monitorRole;
  }
}

function isAllAtOnce(strategy: appconfig.IDeploymentStrategy): boolean {
  if (strategy.deploymentStrategyId === appconfig.DeploymentStrategyId.ALL_AT_ONCE.id) return true;
  const growthFactor = (strategy as appconfig.DeploymentStrategy).growthFactor;
  return growthFactor === 100;
}
