/**
 * A SAM function's `Events`, each as SAM expands it under the logical ID
 * `<Function><Event>`:
 * - pull events (`SQS`, `Kinesis`, `DynamoDB`, `MSK`, `MQ`, `DocumentDB`,
 *   `SelfManagedKafka`): an event source mapping with the event's settings,
 *   and the grants its on-failure destination needs;
 * - `SNS`: a subscription and a permission, or, with `SqsSubscription`, a
 *   queue between them (`<Function><Event>Queue`, its policy, and the mapping
 *   `<Function><Event>EventSourceMapping`);
 * - `EventBridgeRule`, `CloudWatchEvent`, `Schedule`, `ScheduleV2`: see `event-rules.ts`;
 * - `S3`: a notification added to the bucket (which must be in the template), and a permission;
 * - `Api`, `HttpApi`: the API SAM creates (`apis.ts`) and a permission;
 * - `IoTRule`, `CloudWatchLogs`, `AlexaSkill`, `Cognito`: a permission for the
 *   service that invokes the function (and the IoT rule or log subscription).
 * Any other type is not expanded, and the expansion says so.
 * @see https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-eventsource.html
 */
import { apiEventPermission, httpApiEventPermission } from './apis';
import { CfnResourceBody, defined, ExpansionContext, getAtt, isObject, listOf, logicalIdOf, ref, SamOrigin, sendToQueuePolicy } from './context';
import { eventRule, schedulerSchedule } from './event-rules';
import { GeneratedRole, lambdaManagedPolicy } from './policies';

/** What a function's events name: the function, or its alias when it has one. */
export interface FunctionHandle {
  readonly logicalId: string;
  /** What an event source mapping or a permission names (`Ref` of the function or of its alias). */
  readonly name: unknown;
  /** What a rule, a subscription or a notification names (`Fn::GetAtt` of the function's ARN, or `Ref` of its alias). */
  readonly arn: unknown;
  /** The role SAM generates for the function, if it does. */
  readonly role?: GeneratedRole;
  /** The resource attributes SAM passes to what it generates (`Condition`). */
  readonly attributes: Record<string, unknown>;
}

/** The settings of a pull event that become the event source mapping's, as they are. */
const MAPPING_SETTINGS = [
  'StartingPosition', 'StartingPositionTimestamp', 'BatchSize', 'Enabled', 'MaximumBatchingWindowInSeconds', 'MaximumRetryAttempts',
  'BisectBatchOnFunctionError', 'MaximumRecordAgeInSeconds', 'ParallelizationFactor', 'Topics', 'Queues', 'SourceAccessConfigurations',
  'TumblingWindowInSeconds', 'FunctionResponseTypes', 'FilterCriteria', 'KmsKeyArn', 'ScalingConfig', 'ProvisionedPollerConfig',
  'MetricsConfig', 'LoggingConfig',
];

/** Each pull event type: the property that names its source, and the managed policy SAM gives the role. */
const PULL_EVENTS: Record<string, { source?: string; managedPolicy?: string }> = {
  SQS: { source: 'Queue', managedPolicy: 'AWSLambdaSQSQueueExecutionRole' },
  Kinesis: { source: 'Stream', managedPolicy: 'AWSLambdaKinesisExecutionRole' },
  DynamoDB: { source: 'Stream', managedPolicy: 'AWSLambdaDynamoDBExecutionRole' },
  MSK: { source: 'Stream', managedPolicy: 'AWSLambdaMSKExecutionRole' },
  MQ: { source: 'Broker' },
  DocumentDB: { source: 'Cluster' },
  SelfManagedKafka: {},
};

/**
 * The events that only let a service invoke the function: the service's principal, what the permission says of
 * the source, and the resource SAM adds (with its `DependsOn`).
 */
const PERMISSION_EVENTS: Record<string, {
  principal: string;
  source?: (props: Record<string, any>, logicalId: string) => Record<string, unknown>;
  resource?: (props: Record<string, any>, fn: FunctionHandle, logicalId: string) => CfnResourceBody;
}> = {
  AlexaSkill: { principal: 'alexa-appkit.amazon.com' },
  Cognito: { principal: 'cognito-idp.amazonaws.com' },
  IoTRule: {
    principal: 'iot.amazonaws.com',
    source: (_props, logicalId) => ({
      SourceAccount: { 'Fn::Sub': '${AWS::AccountId}' },
      SourceArn: { 'Fn::Sub': ['arn:aws:iot:${AWS::Region}:${AWS::AccountId}:rule/${RuleName}', { RuleName: ref(logicalId) }] },
    }),
    resource: (props, fn) => ({
      Type: 'AWS::IoT::TopicRule',
      Properties: {
        TopicRulePayload: defined({
          AwsIotSqlVersion: props.AwsIotSqlVersion, Sql: props.Sql, RuleDisabled: false, Actions: [{ Lambda: { FunctionArn: fn.arn } }],
        }),
      },
    }),
  },
  CloudWatchLogs: {
    principal: 'logs.amazonaws.com',
    source: props => ({
      SourceArn: { 'Fn::Sub': ['arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:${__LogGroupName__}:*', { __LogGroupName__: props.LogGroupName }] },
    }),
    resource: (props, fn, logicalId) => ({
      Type: 'AWS::Logs::SubscriptionFilter',
      DependsOn: [`${logicalId}Permission`],
      Properties: { DestinationArn: fn.arn, FilterPattern: props.FilterPattern, LogGroupName: props.LogGroupName },
    }),
  },
};

export function expandFunctionEvents(context: ExpansionContext, fn: FunctionHandle, events: unknown): void {
  if (!isObject(events)) return;
  for (const [name, event] of Object.entries(events)) {
    const logicalId = `${fn.logicalId}${name}`;
    const origin: SamOrigin = { resource: fn.logicalId, event: name };
    const add = (id: string, body: CfnResourceBody) => context.add(id, { ...body, ...fn.attributes }, origin);
    const type = isObject(event) ? event.Type : undefined;
    const props: Record<string, any> = isObject(event) && isObject(event.Properties) ? event.Properties : {};
    if (typeof type === 'string' && PULL_EVENTS[type]) {
      pullEvent(add, fn, logicalId, type, props);
    } else if (type === 'SNS') {
      snsEvent(add, context, fn, logicalId, props);
    } else if (type === 'EventBridgeRule' || type === 'CloudWatchEvent' || type === 'Schedule') {
      eventRule(add, logicalId, type, props, { arn: fn.arn, idSuffix: 'LambdaTarget' });
      add(`${logicalId}Permission`, permission(fn, 'events.amazonaws.com', { SourceArn: getAtt(logicalId, 'Arn') }));
    } else if (type === 'ScheduleV2') {
      schedulerSchedule(add, logicalId, props, { arn: fn.arn, policySuffix: 'LambdaPolicy', action: 'lambda:InvokeFunction' });
    } else if (type === 'S3') {
      s3Event(add, context, fn, logicalId, props, name);
    } else if (type === 'Api') {
      apiEventPermission(context, add, fn, logicalId, props, origin);
    } else if (type === 'HttpApi') {
      httpApiEventPermission(context, add, fn, logicalId, props, origin);
    } else if (typeof type === 'string' && PERMISSION_EVENTS[type]) {
      const { principal, resource, source } = PERMISSION_EVENTS[type];
      if (resource) add(logicalId, resource(props, fn, logicalId));
      const permissionId = type === 'Cognito' ? `${fn.logicalId}CognitoPermission` : `${logicalId}Permission`;
      if (!context.resources[permissionId]) add(permissionId, permission(fn, principal, source?.(props, logicalId) ?? {}));
    } else {
      context.unexpanded(fn.logicalId, `AWS::Serverless::Function event of type ${JSON.stringify(type)}`, name);
    }
  }
}

/** A permission for `principal` to invoke the function (SAM's `<Function><Event>Permission`). */
export function permission(fn: FunctionHandle, principal: string, extra: Record<string, unknown>): CfnResourceBody {
  return { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunction', FunctionName: fn.name, Principal: principal, ...extra } };
}

type Add = (id: string, body: CfnResourceBody) => void;

function pullEvent(add: Add, fn: FunctionHandle, logicalId: string, type: string, props: Record<string, any>): void {
  const { source, managedPolicy } = PULL_EVENTS[type];
  const properties: Record<string, unknown> = {
    ...Object.fromEntries(MAPPING_SETTINGS.map(key => [key, props[key]])),
    FunctionName: fn.name,
    EventSourceArn: source ? props[source] : undefined,
  };
  if (props.KafkaBootstrapServers !== undefined) {
    properties.SelfManagedEventSource = { Endpoints: { KafkaBootstrapServers: props.KafkaBootstrapServers } };
  }
  if (props.ConsumerGroupId !== undefined && type === 'MSK') properties.AmazonManagedKafkaEventSourceConfig = { ConsumerGroupId: props.ConsumerGroupId };
  if (props.ConsumerGroupId !== undefined && type === 'SelfManagedKafka') properties.SelfManagedKafkaEventSourceConfig = { ConsumerGroupId: props.ConsumerGroupId };
  if (type === 'DocumentDB') {
    const { CollectionName, DatabaseName, FullDocument } = props;
    properties.DocumentDBEventSourceConfig = defined({ CollectionName, DatabaseName, FullDocument });
  }
  if (isObject(props.DestinationConfig)) {
    // `Type` only tells SAM which grant to add; the mapping does not take it.
    const given: Record<string, any> = isObject(props.DestinationConfig.OnFailure) ? props.DestinationConfig.OnFailure : {};
    const { Type: destinationType, ...onFailure } = given;
    properties.DestinationConfig = { ...props.DestinationConfig, ...isObject(props.DestinationConfig.OnFailure) && { OnFailure: onFailure } };
    const grant = destinationType === 'SQS' ? { name: 'SQS', action: 'sqs:SendMessage' } : destinationType === 'SNS' ? { name: 'SNS', action: 'sns:publish' } : undefined;
    if (grant) fn.role?.allow(`${logicalId}${grant.name}Policy`, grant.action, onFailure.Destination);
    if (destinationType === 'S3') {
      fn.role?.addPolicy(`${logicalId}S3Policy`, {
        Statement: [
          { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['/', [onFailure.Destination, '*']] } },
          { Action: 's3:ListBucket', Effect: 'Allow', Resource: onFailure.Destination },
        ],
      });
    }
  }
  if (managedPolicy) fn.role?.addManaged(lambdaManagedPolicy(managedPolicy));
  add(logicalId, { Type: 'AWS::Lambda::EventSourceMapping', Properties: defined(properties) });
}

function snsEvent(add: Add, context: ExpansionContext, fn: FunctionHandle, logicalId: string, props: Record<string, any>): void {
  const subscription = (protocol: string, endpoint: unknown): CfnResourceBody => ({
    Type: 'AWS::SNS::Subscription',
    Properties: defined({
      Protocol: protocol,
      Endpoint: endpoint,
      TopicArn: props.Topic,
      Region: props.Region,
      FilterPolicy: props.FilterPolicy,
      FilterPolicyScope: props.FilterPolicyScope,
      RedrivePolicy: props.RedrivePolicy,
    }),
  });
  if (!props.SqsSubscription) {
    add(`${logicalId}Permission`, permission(fn, 'sns.amazonaws.com', { SourceArn: props.Topic }));
    add(logicalId, subscription('lambda', fn.arn));
    return;
  }
  const given = isObject(props.SqsSubscription) ? props.SqsSubscription : undefined;
  let queueArn: unknown = given?.QueueArn;
  let queueUrl: unknown = given?.QueueUrl;
  if (!given) {
    const topic = context.source[logicalIdOf(props.Topic) ?? ''];
    const fifo = isObject(topic) && topic.Type === 'AWS::SNS::Topic' ? context.literal(topic.Properties?.FifoTopic) === true : false;
    add(`${logicalId}Queue`, { Type: 'AWS::SQS::Queue', Properties: fifo ? { FifoQueue: true } : {} });
    queueArn = getAtt(`${logicalId}Queue`, 'Arn');
    queueUrl = ref(`${logicalId}Queue`);
  }
  const policyId = typeof given?.QueuePolicyLogicalId === 'string' ? given.QueuePolicyLogicalId : `${logicalId}QueuePolicy`;
  add(policyId, sendToQueuePolicy('*', queueArn, queueUrl, props.Topic));
  add(logicalId, subscription('sqs', queueArn));
  pullEvent(add, fn, `${logicalId}EventSourceMapping`, 'SQS', { Queue: queueArn, BatchSize: given?.BatchSize ?? 10, Enabled: given?.Enabled ?? true });
}

function s3Event(add: Add, context: ExpansionContext, fn: FunctionHandle, logicalId: string,
  props: Record<string, any>, event: string): void {
  const bucketId = logicalIdOf(props.Bucket);
  const bucket = bucketId ? context.resources[bucketId] : undefined;
  if (!bucket || bucket.Type !== 'AWS::S3::Bucket') {
    // SAM refuses an S3 event whose bucket is not in the template.
    context.unexpanded(fn.logicalId, 'AWS::Serverless::Function event of type "S3" whose bucket is not an AWS::S3::Bucket of the template', event);
    return;
  }
  const permissionId = `${logicalId}Permission`;
  add(permissionId, permission(fn, 's3.amazonaws.com', { SourceAccount: ref('AWS::AccountId') }));
  const properties = bucket.Properties = { ...bucket.Properties };
  const existing = isObject(properties.NotificationConfiguration) ? properties.NotificationConfiguration : {};
  const notifications = properties.NotificationConfiguration = { ...existing };
  const configurations = Array.isArray(notifications.LambdaConfigurations) ? [...notifications.LambdaConfigurations] : [];
  for (const name of listOf(props.Events)) configurations.push(defined({ Event: name, Filter: props.Filter, Function: fn.arn }));
  notifications.LambdaConfigurations = configurations;
  bucket.DependsOn = [...listOf(bucket.DependsOn) as string[], permissionId];
}
