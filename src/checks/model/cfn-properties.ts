/**
 * Typed readers of the template properties that the checks read, one per
 * resource type, over a `CfnModel` resource (see `cfn-model.ts` for what its
 * properties hold).
 *
 * - A number is parsed (templates sometimes hold numbers as strings).
 * - A setting the template leaves out is AWS's default where AWS has one
 *   (`AWS_DEFAULTS`) and the field says so; otherwise `undefined`.
 * - A setting the template does not fix (a `Ref` to a parameter,
 *   `Fn::ImportValue`, `Fn::If`, any intrinsic where a literal belongs) is
 *   unknown, never AWS's default: a number field is `undefined` then (its
 *   type says `| undefined`), and a policy says `'unknown'`. No finding may
 *   rest on it. What the template fixes statically (`Fn::FindInMap` with
 *   literal keys, `Fn::Select` of a literal list, `Fn::Sub` and `Fn::Join` of
 *   literals) is resolved when the template is rebuilt (`template-stack.ts`).
 * - A property of CloudFormation type Json (`RedrivePolicy`, `RedriveAllowPolicy`,
 *   a policy document) may be an object or a JSON string, also one built with
 *   `Fn::Sub` from literals and references: each is read as the object.
 * - A value that refers to another resource (an ARN, a name, a URL) is
 *   returned as the template holds it (`ResolvedValue`), for
 *   `CfnModel.referencedBy()` to look up.
 * - A value of the wrong shape (an intrinsic such as `Fn::If` where a list or
 *   an object is expected) reads as absent.
 *
 * Each reader takes a resource of its type and throws on any other: a rule
 * that calls the wrong reader fails loudly in its tests.
 */
import { CFN_TYPE, flatten, ModelResource } from './cfn-model';
import { AWS_DEFAULTS } from '../../private/defaults';

/**
 * A value as the resolved template holds it: a literal, an intrinsic
 * (`{ Ref }`, `{ Fn::GetAtt }`, `{ Fn::Join }`, ...) or a string with a
 * cross-stack marker. Pass it to `CfnModel.referencedBy()`.
 */
export type ResolvedValue = unknown;

/** An `AWS::SQS::Queue`. */
export interface QueueProperties {
  /**
   * Whether the queue has a `RedrivePolicy`: `'none'`, `'set'`, or `'unknown'`
   * when the template leaves it to deployment (`Fn::If`, a parameter).
   */
  readonly redrive: 'none' | 'set' | 'unknown';
  /** `RedrivePolicy.deadLetterTargetArn`: the dead-letter queue. */
  readonly deadLetterTargetArn: ResolvedValue;
  /** `RedrivePolicy.maxReceiveCount`; `undefined` without a policy, or when the template does not fix it. */
  readonly maxReceiveCount: number | undefined;
  /** `VisibilityTimeout` in seconds, or SQS's default (30); `undefined` when the template does not fix it. */
  readonly visibilityTimeoutSeconds: number | undefined;
  /** `MessageRetentionPeriod` in seconds, or SQS's default (4 days); `undefined` when the template does not fix it. */
  readonly retentionPeriodSeconds: number | undefined;
  /** `FifoQueue`, or a literal `QueueName` that ends with `.fifo`. */
  readonly fifo: boolean;
}

export function readQueue(queue: ModelResource): QueueProperties {
  const p = propertiesOf(queue, CFN_TYPE.QUEUE);
  const redrivePolicy = jsonValue(p.RedrivePolicy);
  return {
    redrive: redrivePolicy === undefined ? 'none' : redrivePolicy === UNKNOWN ? 'unknown' : 'set',
    deadLetterTargetArn: field(redrivePolicy, 'deadLetterTargetArn'),
    maxReceiveCount: readNumber(field(redrivePolicy, 'maxReceiveCount'), undefined),
    visibilityTimeoutSeconds: readNumber(p.VisibilityTimeout, AWS_DEFAULTS.queueVisibilityTimeoutSeconds),
    retentionPeriodSeconds: readNumber(p.MessageRetentionPeriod, AWS_DEFAULTS.queueRetentionSeconds),
    fifo: p.FifoQueue === true || p.FifoQueue === 'true' || (typeof p.QueueName === 'string' && p.QueueName.endsWith('.fifo')),
  };
}

/** An `AWS::Lambda::Function`. */
export interface FunctionProperties {
  /** `Timeout` in seconds, or Lambda's default (3); `undefined` when the template does not fix it. */
  readonly timeoutSeconds: number | undefined;
  /** `DeadLetterConfig.TargetArn`: the function's dead-letter queue or topic. */
  readonly deadLetterTargetArn: ResolvedValue;
  /** `Role`: the execution role. */
  readonly role: ResolvedValue;
  /** `Environment.Variables`: the values of its environment variables. */
  readonly environment: readonly ResolvedValue[];
}

export function readFunction(fn: ModelResource): FunctionProperties {
  const p = propertiesOf(fn, CFN_TYPE.FUNCTION);
  return {
    timeoutSeconds: readNumber(p.Timeout, AWS_DEFAULTS.functionTimeoutSeconds),
    deadLetterTargetArn: field(p.DeadLetterConfig, 'TargetArn'),
    role: p.Role,
    environment: Object.values(asObject(field(p.Environment, 'Variables'))),
  };
}

/** An `AWS::Lambda::EventSourceMapping`. */
export interface EventSourceMappingProperties {
  /** `EventSourceArn`: the queue or stream read. */
  readonly eventSourceArn: ResolvedValue;
  /** `FunctionName`: the function invoked (a name, an ARN, an alias or version). */
  readonly functionName: ResolvedValue;
  /** `BatchSize`, or `defaultBatchSize` (Lambda's default depends on the source); `undefined` when the template does not fix it. */
  readonly batchSize: number | undefined;
  /** `MaximumBatchingWindowInSeconds`, or 0; `undefined` when the template does not fix it. */
  readonly maximumBatchingWindowSeconds: number | undefined;
  /** `FunctionResponseTypes` (e.g. `ReportBatchItemFailures`). */
  readonly functionResponseTypes: readonly unknown[];
  /** Streams: `MaximumRetryAttempts`, or Lambda's default (-1: until the record expires); `undefined` when not fixed. */
  readonly maximumRetryAttempts: number | undefined;
  /** Streams: `MaximumRecordAgeInSeconds`, or Lambda's default (-1: no limit); `undefined` when not fixed. */
  readonly maximumRecordAgeSeconds: number | undefined;
  /** Streams: `BisectBatchOnFunctionError`. */
  readonly bisectBatchOnFunctionError: boolean;
  /** Streams: `DestinationConfig.OnFailure.Destination` (a queue, topic, bucket or Kafka topic). */
  readonly onFailureDestination: ResolvedValue;
}

/**
 * @param defaultBatchSize Lambda's `BatchSize` for the mapping's source, when the template gives none
 */
export function readEventSourceMapping(mapping: ModelResource, defaultBatchSize?: number): EventSourceMappingProperties {
  const p = propertiesOf(mapping, CFN_TYPE.EVENT_SOURCE_MAPPING);
  return {
    eventSourceArn: p.EventSourceArn,
    functionName: p.FunctionName,
    batchSize: readNumber(p.BatchSize, defaultBatchSize),
    maximumBatchingWindowSeconds: readNumber(p.MaximumBatchingWindowInSeconds, 0),
    functionResponseTypes: asArray(p.FunctionResponseTypes),
    maximumRetryAttempts: readNumber(p.MaximumRetryAttempts, AWS_DEFAULTS.streamRetryAttempts),
    maximumRecordAgeSeconds: readNumber(p.MaximumRecordAgeInSeconds, AWS_DEFAULTS.streamMaxRecordAgeSeconds),
    bisectBatchOnFunctionError: isTrue(p.BisectBatchOnFunctionError),
    onFailureDestination: field(field(p.DestinationConfig, 'OnFailure'), 'Destination'),
  };
}

/** An `AWS::Pipes::Pipe`. */
export interface PipeProperties {
  /** `Source`: the queue or stream the pipe reads. */
  readonly source: ResolvedValue;
  /** `Target`: what the pipe sends to. */
  readonly target: ResolvedValue;
  /** `Enrichment`: what the pipe calls before its target (a function, a state machine, an API). */
  readonly enrichment: ResolvedValue;
  /**
   * `TargetParameters.LambdaFunctionParameters.InvocationType`: `REQUEST_RESPONSE`
   * (the default: the pipe waits and retries) or `FIRE_AND_FORGET` (asynchronous).
   */
  readonly lambdaInvocationType: unknown;
  /**
   * `TargetParameters.StepFunctionStateMachineParameters.InvocationType`:
   * `REQUEST_RESPONSE` (the default, Express workflows only: the pipe waits
   * and retries) or `FIRE_AND_FORGET` (the pipe starts the execution and
   * moves on; the only type a Standard workflow accepts).
   */
  readonly stateMachineInvocationType: unknown;
  /**
   * `SourceParameters.KinesisStreamParameters` or `DynamoDBStreamParameters`,
   * with EventBridge's defaults where they are absent (read them only for a stream source).
   */
  readonly stream: PipeStreamParameters;
}

/** What a pipe does with a stream record that fails. */
export interface PipeStreamParameters {
  /** `BatchSize`, or the default of Pipes (1); `undefined` when the template does not fix it. */
  readonly batchSize: number | undefined;
  /** `DeadLetterConfig.Arn`: the queue or topic that failed records go to. */
  readonly deadLetterArn: ResolvedValue;
  /** `MaximumRetryAttempts`, or EventBridge's default (-1: until the record expires); `undefined` when not fixed. */
  readonly maximumRetryAttempts: number | undefined;
  /** `MaximumRecordAgeInSeconds`, or EventBridge's default (-1: no limit); `undefined` when not fixed. */
  readonly maximumRecordAgeSeconds: number | undefined;
  /** `OnPartialBatchItemFailure` is `AUTOMATIC_BISECT`. */
  readonly bisect: boolean;
}

export function readPipe(pipe: ModelResource): PipeProperties {
  const p = propertiesOf(pipe, CFN_TYPE.PIPE);
  const sourceParameters = p.SourceParameters;
  const stream = field(sourceParameters, 'KinesisStreamParameters') ?? field(sourceParameters, 'DynamoDBStreamParameters');
  return {
    source: p.Source,
    target: p.Target,
    enrichment: p.Enrichment,
    lambdaInvocationType: field(field(p.TargetParameters, 'LambdaFunctionParameters'), 'InvocationType'),
    stateMachineInvocationType: field(field(p.TargetParameters, 'StepFunctionStateMachineParameters'), 'InvocationType'),
    stream: {
      batchSize: readNumber(field(stream, 'BatchSize'), AWS_DEFAULTS.pipeStreamBatchSize),
      deadLetterArn: field(field(stream, 'DeadLetterConfig'), 'Arn'),
      maximumRetryAttempts: readNumber(field(stream, 'MaximumRetryAttempts'), AWS_DEFAULTS.streamRetryAttempts),
      maximumRecordAgeSeconds: readNumber(field(stream, 'MaximumRecordAgeInSeconds'), AWS_DEFAULTS.streamMaxRecordAgeSeconds),
      bisect: field(stream, 'OnPartialBatchItemFailure') === 'AUTOMATIC_BISECT',
    },
  };
}

/** An `AWS::Kinesis::Stream`: `RetentionPeriodHours` in seconds, or Kinesis's default (24 hours); `undefined` when not fixed. */
export function readKinesisStream(stream: ModelResource): { readonly retentionSeconds: number | undefined } {
  const p = propertiesOf(stream, CFN_TYPE.KINESIS_STREAM);
  const hours = readNumber(p.RetentionPeriodHours, AWS_DEFAULTS.kinesisRetentionHours);
  return { retentionSeconds: hours === undefined ? undefined : 3600 * hours };
}

/** An `AWS::Kinesis::StreamConsumer`: `StreamARN`, the stream it reads. */
export function readStreamConsumer(consumer: ModelResource): { readonly streamArn: ResolvedValue } {
  return { streamArn: propertiesOf(consumer, CFN_TYPE.KINESIS_STREAM_CONSUMER).StreamARN };
}

/** An `AWS::Lambda::EventInvokeConfig`. */
export interface EventInvokeConfigProperties {
  /** `FunctionName`: the function configured. */
  readonly functionName: ResolvedValue;
  /** `MaximumRetryAttempts`, or Lambda's default (2); `undefined` when the template does not fix it. */
  readonly maximumRetryAttempts: number | undefined;
  /** `DestinationConfig.OnFailure.Destination`. */
  readonly onFailureDestination: ResolvedValue;
  /** `DestinationConfig.OnSuccess.Destination`. */
  readonly onSuccessDestination: ResolvedValue;
}

export function readEventInvokeConfig(config: ModelResource): EventInvokeConfigProperties {
  const p = propertiesOf(config, CFN_TYPE.EVENT_INVOKE_CONFIG);
  return {
    functionName: p.FunctionName,
    maximumRetryAttempts: readNumber(p.MaximumRetryAttempts, AWS_DEFAULTS.asyncRetryAttempts),
    onFailureDestination: field(field(p.DestinationConfig, 'OnFailure'), 'Destination'),
    onSuccessDestination: field(field(p.DestinationConfig, 'OnSuccess'), 'Destination'),
  };
}

/** An `AWS::Lambda::Permission`. */
export interface PermissionProperties {
  readonly functionName: ResolvedValue;
  /** `Principal`: a service principal such as `sns.amazonaws.com`, an account, or an intrinsic. */
  readonly principal: ResolvedValue;
}

export function readPermission(permission: ModelResource): PermissionProperties {
  const p = propertiesOf(permission, CFN_TYPE.PERMISSION);
  return { functionName: p.FunctionName, principal: p.Principal };
}

/** An `AWS::Events::Rule`. */
export interface RuleProperties {
  /** `EventBusName`: a name or an ARN; absent for the default bus. */
  readonly eventBusName: ResolvedValue;
  /** `Targets`, or `undefined` if the template gives no list of targets. */
  readonly targets: readonly RuleTarget[] | undefined;
  /** `EventPattern` (parsed if the template gives it as a JSON string), or `undefined`. */
  readonly eventPattern: unknown;
  /** Whether the rule has a `ScheduleExpression`. */
  readonly scheduled: boolean;
}

/** A target of an EventBridge rule. */
export interface RuleTarget {
  /** `Arn`: what the rule sends to. */
  readonly arn: ResolvedValue;
  /** `DeadLetterConfig.Arn`: where EventBridge sends an event it could not deliver. */
  readonly deadLetterArn: ResolvedValue;
  /** Whether the target has a `RetryPolicy` of its own. */
  readonly hasRetryPolicy: boolean;
  /** `RetryPolicy.MaximumRetryAttempts`, or EventBridge's default (185); `undefined` when the template does not fix it. */
  readonly maximumRetryAttempts: number | undefined;
}

export function readRule(rule: ModelResource): RuleProperties {
  const p = propertiesOf(rule, CFN_TYPE.RULE);
  const targets = Array.isArray(p.Targets) ? p.Targets : undefined;
  return {
    eventBusName: p.EventBusName,
    eventPattern: typeof p.EventPattern === 'string' ? parseJson(p.EventPattern) : p.EventPattern,
    scheduled: p.ScheduleExpression !== undefined,
    targets: targets?.map(target => ({
      arn: field(target, 'Arn'),
      deadLetterArn: field(field(target, 'DeadLetterConfig'), 'Arn'),
      hasRetryPolicy: field(target, 'RetryPolicy') !== undefined,
      maximumRetryAttempts: readNumber(field(field(target, 'RetryPolicy'), 'MaximumRetryAttempts'), AWS_DEFAULTS.targetRetryAttempts),
    })),
  };
}

/** An `AWS::Scheduler::Schedule`: its one target. */
export interface ScheduleProperties {
  /** `Target.Arn`: what the schedule invokes (a function, a queue, a topic, a state machine, a bus, ...). */
  readonly targetArn: ResolvedValue;
  /** `Target.DeadLetterConfig.Arn`: the queue that keeps an invocation Scheduler could not deliver. */
  readonly deadLetterArn: ResolvedValue;
  /** Whether the target has a `RetryPolicy` of its own. */
  readonly hasRetryPolicy: boolean;
  /** `Target.RetryPolicy.MaximumRetryAttempts`, or Scheduler's default (185); `undefined` when the template does not fix it. */
  readonly maximumRetryAttempts: number | undefined;
  /** `Target.RetryPolicy.MaximumEventAgeInSeconds`, or Scheduler's default (24 hours); `undefined` when not fixed. */
  readonly maximumEventAgeSeconds: number | undefined;
}

export function readSchedule(schedule: ModelResource): ScheduleProperties {
  const target = propertiesOf(schedule, CFN_TYPE.SCHEDULE).Target;
  const retryPolicy = field(target, 'RetryPolicy');
  return {
    targetArn: field(target, 'Arn'),
    deadLetterArn: field(field(target, 'DeadLetterConfig'), 'Arn'),
    hasRetryPolicy: retryPolicy !== undefined,
    maximumRetryAttempts: readNumber(field(retryPolicy, 'MaximumRetryAttempts'), AWS_DEFAULTS.scheduleRetryAttempts),
    maximumEventAgeSeconds: readNumber(field(retryPolicy, 'MaximumEventAgeInSeconds'), AWS_DEFAULTS.scheduleMaxEventAgeSeconds),
  };
}

/** An `AWS::SNS::Subscription`. */
export interface SubscriptionProperties {
  readonly topicArn: ResolvedValue;
  /** `Endpoint`: the queue, function or address subscribed. */
  readonly endpoint: ResolvedValue;
  /** `RedrivePolicy.deadLetterTargetArn`: where SNS sends a message it could not deliver. */
  readonly deadLetterTargetArn: ResolvedValue;
  /** Whether the subscription has a `RedrivePolicy`: `'none'`, `'set'`, or `'unknown'` when the template leaves it to deployment. */
  readonly redrive: 'none' | 'set' | 'unknown';
}

export function readSubscription(subscription: ModelResource): SubscriptionProperties {
  const p = propertiesOf(subscription, CFN_TYPE.SUBSCRIPTION);
  const redrivePolicy = jsonValue(p.RedrivePolicy);
  return {
    topicArn: p.TopicArn,
    endpoint: p.Endpoint,
    deadLetterTargetArn: field(redrivePolicy, 'deadLetterTargetArn'),
    redrive: redrivePolicy === undefined ? 'none' : redrivePolicy === UNKNOWN ? 'unknown' : 'set',
  };
}

/** The notifications of an `AWS::S3::Bucket`, or of aws-cdk-lib's `Custom::S3BucketNotifications`. */
export interface BucketNotifications {
  /** `BucketName` of the custom resource: the bucket it configures (`undefined` for a bucket). */
  readonly bucketName: ResolvedValue;
  /** The functions, then the queues, then the topics notified. */
  readonly targets: readonly ResolvedValue[];
}

export function readBucketNotifications(resource: ModelResource): BucketNotifications {
  const p = propertiesOf(resource, CFN_TYPE.BUCKET, CFN_TYPE.BUCKET_NOTIFICATIONS);
  const config = p.NotificationConfiguration;
  const targets = (list: string, key: string) => asArray(field(config, list)).map(c => field(c, key));
  if (resource.type === CFN_TYPE.BUCKET) {
    return {
      bucketName: undefined,
      targets: [...targets('LambdaConfigurations', 'Function'), ...targets('QueueConfigurations', 'Queue'), ...targets('TopicConfigurations', 'Topic')],
    };
  }
  return {
    bucketName: p.BucketName,
    targets: [
      ...targets('LambdaFunctionConfigurations', 'LambdaFunctionArn'),
      ...targets('QueueConfigurations', 'QueueArn'),
      ...targets('TopicConfigurations', 'TopicArn'),
    ],
  };
}

/** An IAM policy: the roles it is attached to, and its statements. */
export interface PolicyProperties {
  /** `Roles` of an `AWS::IAM::Policy` or `ManagedPolicy`; `undefined` for a role's inline policy. */
  readonly roles: ResolvedValue;
  readonly statements: readonly PolicyStatement[];
}

/** A statement of an IAM policy document. */
export interface PolicyStatement {
  readonly effect: unknown;
  /** `Action`, as a list (with wildcards). */
  readonly actions: readonly unknown[];
  readonly resources: ResolvedValue;
  /** `Condition`, as the template holds it. */
  readonly conditions: unknown;
}

/**
 * The AWS managed policies of an `AWS::IAM::Role` (`ManagedPolicyArns`), by
 * name (`AWSStepFunctionsFullAccess`): those whose ARN the template fixes, the
 * partition left aside.
 */
export function readRoleManagedPolicies(role: ModelResource): readonly string[] {
  return asArray(propertiesOf(role, CFN_TYPE.ROLE).ManagedPolicyArns).flatMap(arn => {
    // `flatten` keeps the literal parts of an `Fn::Join` (the partition before them is left unknown).
    const match = /:iam::aws:policy\/(?:service-role\/)?([A-Za-z0-9_+=,.@-]+)$/.exec(flatten(arn));
    return match ? [match[1]] : [];
  });
}

/** The policies of an `AWS::IAM::Policy` or `ManagedPolicy` (one), or the inline policies of an `AWS::IAM::Role`. */
export function readPolicies(resource: ModelResource): PolicyProperties[] {
  const p = propertiesOf(resource, CFN_TYPE.POLICY, CFN_TYPE.MANAGED_POLICY, CFN_TYPE.ROLE);
  if (resource.type === CFN_TYPE.ROLE) {
    return asArray(p.Policies).map(inline => ({ roles: undefined, statements: statementsOf(jsonValue(field(inline, 'PolicyDocument'))) }));
  }
  return [{ roles: p.Roles, statements: statementsOf(jsonValue(p.PolicyDocument)) }];
}

function statementsOf(document: unknown): PolicyStatement[] {
  return asArray(field(document, 'Statement')).map(statement => ({
    effect: field(statement, 'Effect'),
    actions: asArray(field(statement, 'Action')),
    resources: field(statement, 'Resource'),
    conditions: field(statement, 'Condition'),
  }));
}

/** An `AWS::Events::Archive`. */
export function readArchive(archive: ModelResource): { readonly sourceArn: ResolvedValue } {
  return { sourceArn: propertiesOf(archive, CFN_TYPE.ARCHIVE).SourceArn };
}

/** An `AWS::AppConfig::Environment`. */
export function readAppConfigEnvironment(environment: ModelResource): { readonly monitors: readonly unknown[] } {
  const monitors = propertiesOf(environment, CFN_TYPE.APPCONFIG_ENVIRONMENT).Monitors;
  return { monitors: Array.isArray(monitors) ? monitors : [] };
}

/** An `AWS::AppConfig::DeploymentStrategy`. */
export function readDeploymentStrategy(strategy: ModelResource): { readonly growthFactor: number | undefined } {
  return { growthFactor: readNumber(propertiesOf(strategy, CFN_TYPE.APPCONFIG_DEPLOYMENT_STRATEGY).GrowthFactor, undefined) };
}

/** An `AWS::AppConfig::Deployment`. */
export function readDeployment(deployment: ModelResource): { readonly deploymentStrategyId: ResolvedValue } {
  return { deploymentStrategyId: propertiesOf(deployment, CFN_TYPE.APPCONFIG_DEPLOYMENT).DeploymentStrategyId };
}

/** An `AWS::StepFunctions::StateMachine`. */
export interface StateMachineProperties {
  /** `StateMachineType`, or Step Functions' default (`STANDARD`). */
  readonly type: string;
  /** `DefinitionString`: a JSON string, or an `Fn::Join` of strings and tokens. */
  readonly definitionString: ResolvedValue;
  /** `Definition`: the definition as an object. */
  readonly definition: unknown;
  /** Whether the definition is in S3 (`DefinitionS3Location`): the template does not hold it. */
  readonly definitionInS3: boolean;
}

export function readStateMachine(stateMachine: ModelResource): StateMachineProperties {
  const p = propertiesOf(stateMachine, CFN_TYPE.STATE_MACHINE);
  return {
    type: typeof p.StateMachineType === 'string' ? p.StateMachineType : 'STANDARD',
    definitionString: p.DefinitionString,
    definition: p.Definition,
    definitionInS3: p.DefinitionS3Location !== undefined,
  };
}

/** An `AWS::ApiGateway::Method`: its integration. */
export interface ApiMethodProperties {
  /** `Integration.Type` (`AWS`, `AWS_PROXY`, `HTTP`, ...). */
  readonly integrationType: unknown;
  /** `Integration.Uri`: for a Lambda integration, the invoke URI with the function's ARN. */
  readonly integrationUri: ResolvedValue;
  /** `Integration.RequestParameters`: integration request parameter to the method's value or a static `'value'`. */
  readonly requestParameters: Readonly<Record<string, unknown>>;
  /** `Integration.TimeoutInMillis`, or API Gateway's default for REST APIs (29,000); `undefined` when the template does not fix it. */
  readonly timeoutMillis: number | undefined;
}

export function readApiMethod(method: ModelResource): ApiMethodProperties {
  const integration = propertiesOf(method, CFN_TYPE.API_METHOD).Integration;
  return {
    integrationType: field(integration, 'Type'),
    integrationUri: field(integration, 'Uri'),
    requestParameters: asObject(field(integration, 'RequestParameters')),
    timeoutMillis: readNumber(field(integration, 'TimeoutInMillis'), AWS_DEFAULTS.restApiIntegrationTimeoutMillis),
  };
}

/** An `AWS::ApiGatewayV2::Integration` (of an HTTP or WebSocket API). */
export interface ApiV2IntegrationProperties {
  /** `ApiId`: the API. */
  readonly apiId: ResolvedValue;
  /** `IntegrationType` (`AWS_PROXY`, `HTTP_PROXY`, `AWS`, ...). */
  readonly integrationType: unknown;
  /** `IntegrationUri`: for a Lambda integration, the function's ARN (or its invoke URI). */
  readonly integrationUri: ResolvedValue;
  /** `TimeoutInMillis`, if given (the default depends on the API's protocol); `undefined` when absent or not fixed. */
  readonly timeoutMillis: number | undefined;
  /** Whether the template gives `TimeoutInMillis` at all. */
  readonly timeoutGiven: boolean;
}

export function readApiV2Integration(integration: ModelResource): ApiV2IntegrationProperties {
  const p = propertiesOf(integration, CFN_TYPE.API_V2_INTEGRATION);
  return {
    apiId: p.ApiId,
    integrationType: p.IntegrationType,
    integrationUri: p.IntegrationUri,
    timeoutMillis: readNumber(p.TimeoutInMillis, undefined),
    timeoutGiven: p.TimeoutInMillis !== undefined,
  };
}

/** An `AWS::ApiGatewayV2::Api`: its `ProtocolType` (`HTTP` or `WEBSOCKET`). */
export function readApiV2(api: ModelResource): { readonly protocolType: unknown } {
  return { protocolType: propertiesOf(api, CFN_TYPE.API_V2).ProtocolType };
}

/** An `AWS::IoTEvents::DetectorModel`: the functions its Lambda actions invoke. */
export function readDetectorModel(detector: ModelResource): { readonly lambdaActions: readonly ResolvedValue[] } {
  const lambdaActions: unknown[] = [];
  // Actions sit in the events and transitions of each state: every `Lambda: { FunctionArn }` of the definition.
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === 'object') {
      const arn = field(field(value, 'Lambda'), 'FunctionArn');
      if (arn !== undefined) lambdaActions.push(arn);
      Object.values(value).forEach(visit);
    }
  };
  visit(propertiesOf(detector, CFN_TYPE.IOT_EVENTS_DETECTOR_MODEL).DetectorModelDefinition);
  return { lambdaActions };
}

/**
 * An `AWS::FIS::ExperimentTemplate`: the sources of its stop conditions
 * (`aws:cloudwatch:alarm`, or `none` for an experiment that nothing stops).
 */
export function readExperimentTemplate(template: ModelResource): { readonly stopConditionSources: readonly unknown[] } {
  const conditions = propertiesOf(template, CFN_TYPE.FIS_EXPERIMENT_TEMPLATE).StopConditions;
  return { stopConditionSources: Array.isArray(conditions) ? conditions.map(c => field(c, 'Source')) : [] };
}

/** The properties of a resource of one of `types`. */
function propertiesOf(resource: ModelResource, ...types: string[]): Readonly<Record<string, unknown>> {
  if (!types.includes(resource.type)) {
    throw new Error(`expected a resource of type ${types.join(' or ')}, got ${resource.type} (${resource.name})`);
  }
  return resource.properties;
}

/** `value[key]` if `value` is an object; otherwise `undefined`. */
function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

/** An object as is; anything else as an empty object. */
function asObject(value: unknown): Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

/** A JSON string parsed, or `undefined` if it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A list as is; one value as a list of one; nothing as an empty list. */
function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** `true`, or the string `'true'` (as templates sometimes hold booleans). */
function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/**
 * A number from a template value (numbers are sometimes strings there);
 * `fallback` (AWS's default) when the template leaves the setting out;
 * `undefined` when the template does not fix it (an intrinsic, or a value
 * that is no number): unknown, never the default.
 */
function readNumber<F extends number | undefined>(value: unknown, fallback: F): number | F | undefined {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A Json property that the template does not fix (an intrinsic such as `Fn::If`, or a `Ref` to a parameter). */
const UNKNOWN = Symbol('unknown');

/**
 * A property of CloudFormation type Json as an object: an object as is, a
 * JSON string parsed, and a JSON string built with `Fn::Sub` (which the
 * rebuilt template holds as an `Fn::Join` of literals and references) parsed
 * with the references put back where they stand (a whole string value
 * becomes the reference itself). `undefined` when absent; `UNKNOWN` for any
 * other intrinsic or for text that is not JSON.
 */
function jsonValue(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return parseJson(value) ?? UNKNOWN;
  if (typeof value !== 'object' || Array.isArray(value)) return UNKNOWN;
  const join = (value as Record<string, unknown>)['Fn::Join'];
  if (Array.isArray(join) && join[0] === '' && Array.isArray(join[1])) return parseJsonWithReferences(join[1]) ?? UNKNOWN;
  return isIntrinsic(value) ? UNKNOWN : value;
}

/** An intrinsic function or a `Ref`: an object whose one key is `Ref` or starts with `Fn::`. */
function isIntrinsic(value: object): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/** Marks where a reference stood in a JSON text: a private-use character, which JSON strings may hold and templates do not. */
const SLOT = '\uE000';

/** The JSON text that `parts` (literals and references) make, parsed, with each reference back in its place. */
function parseJsonWithReferences(parts: readonly unknown[]): unknown {
  const references: unknown[] = [];
  const text = parts.map(part => {
    if (typeof part === 'string') return part;
    references.push(part);
    return `${SLOT}${references.length - 1}${SLOT}`;
  }).join('');
  const parsed = parseJson(text);
  if (parsed === undefined) return undefined;
  const slot = new RegExp(`${SLOT}(\\d+)${SLOT}`, 'g');
  const restore = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const pieces: unknown[] = [];
      let last = 0;
      for (const match of v.matchAll(slot)) {
        if (match.index! > last) pieces.push(v.slice(last, match.index));
        pieces.push(references[Number(match[1])]);
        last = match.index! + match[0].length;
      }
      if (pieces.length === 0) return v;
      if (last < v.length) pieces.push(v.slice(last));
      return pieces.length === 1 ? pieces[0] : { 'Fn::Join': ['', pieces] };
    }
    if (Array.isArray(v)) return v.map(restore);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restore(x)]));
    return v;
  };
  return restore(parsed);
}
