import { CfnOutput, Duration, Names, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { thresholdAlarm } from './private/alarms';
import { DEFAULTS, LIMITS } from './private/defaults';
import { formatDuration, validateDurationRange, validateNumberRange } from './private/validation';
import { QueueDecoupledFunction } from './queue-decoupled-function';

/** HTTP header names as API Gateway method request parameters take them. */
const HEADER_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** A top-level property of the JSON body. */
const BODY_FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A resource path: `/`, or segments of letters, digits, `.`, `_`, `-`, or a `{parameter}`. */
const RESOURCE_PATH = /^\/$|^(\/([A-Za-z0-9._-]+|\{[A-Za-z0-9._-]+\}))+$/;
/** The methods whose request carries a body to store. */
const METHODS_WITH_BODY = ['POST', 'PUT', 'PATCH'];

/**
 * Where the message group id of a FIFO consumer's messages comes from: a
 * request header or a field of the JSON body. Messages of one group are
 * stored and processed in order; different groups are processed in parallel.
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagegroupid-property.html
 */
export class MessageGroupId {
  /**
   * The value of the request header `name` (1-128 letters, digits, `-` or
   * `_`). API Gateway refuses a request without it (400).
   */
  public static fromHeader(name: string): MessageGroupId {
    if (!HEADER_NAME.test(name)) {
      throw new Error(`MessageGroupId.fromHeader(name): name must be 1-128 letters, digits, '-' or '_', got '${name}'`);
    }
    return new MessageGroupId(name, undefined);
  }

  /**
   * The value of the top-level field `field` of the JSON body (a name of
   * letters, digits and `_`). The `requestSchema` must require it and make it
   * a string, so that API Gateway refuses a request without it (400).
   */
  public static fromBodyField(field: string): MessageGroupId {
    if (!BODY_FIELD.test(field)) {
      throw new Error(`MessageGroupId.fromBodyField(field): field must be a top-level property name of 1-128 letters, digits or '_', not starting with a digit, got '${field}'`);
    }
    return new MessageGroupId(undefined, field);
  }

  /** The request header, when the id comes from one. */
  public readonly header?: string;

  /** The field of the JSON body, when the id comes from one. */
  public readonly bodyField?: string;

  private constructor(header: string | undefined, bodyField: string | undefined) {
    this.header = header;
    this.bodyField = bodyField;
  }

  /** How the props name it in messages. */
  public toString(): string {
    return this.header !== undefined ? `MessageGroupId.fromHeader('${this.header}')` : `MessageGroupId.fromBodyField('${this.bodyField}')`;
  }
}

/**
 * Properties of a `QueueBackedApi`.
 */
export interface QueueBackedApiProps {
  /**
   * The queue-decoupled function whose queue stores the requests. The API
   * writes to `consumer.queue`; the function processes the messages later.
   */
  readonly consumer: QueueDecoupledFunction;

  /**
   * The resource path that takes the requests: `/`, or segments of letters,
   * digits, `.`, `_`, `-`, or a `{parameter}`.
   *
   * @default '/'
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-create-api-as-simple-proxy.html
   */
  readonly path?: string;

  /**
   * The HTTP method that takes the requests: one that carries a body.
   *
   * Valid values: `POST`, `PUT`, `PATCH`.
   *
   * @default 'POST'
   */
  readonly method?: string;

  /**
   * The JSON Schema (draft 4, as API Gateway reads it) that every request
   * body must satisfy. API Gateway refuses a body that is not JSON, or does
   * not satisfy it, with 400 (its errors in `validationErrors`): it never
   * reaches the queue.
   *
   * @default - a JSON object, any properties
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
   */
  readonly requestSchema?: apigw.JsonSchema;

  /**
   * The rate (requests per second) and burst (requests at once) that the
   * stage lets through; beyond them callers get 429 and retry.
   *
   * The queue takes any rate, but its consumer drains it only as fast as its
   * downstream allows: the throttle bounds how fast a client can grow the
   * backlog, and keeps this API from using up the account's quota, which
   * every API of the account and region shares.
   *
   * Valid range: `rateLimit` 1-10000, `burstLimit` 1-5000 (the default
   * account quotas).
   *
   * @default - rateLimit 100, burstLimit 200
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
   */
  readonly throttle?: apigw.ThrottleSettings;

  /**
   * How callers prove who they are. With an `authorizer`, its type (and this
   * prop may be left out).
   *
   * `NONE` lets anyone on the internet write to the queue: put a usage plan
   * with API keys, a Lambda authorizer, or AWS WAF in front.
   *
   * @default - the authorizer's type, or `AuthorizationType.IAM` (SigV4-signed requests)
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-to-api.html
   */
  readonly authorizationType?: apigw.AuthorizationType;

  /**
   * The authorizer of the method: a `CognitoUserPoolsAuthorizer`, a
   * `TokenAuthorizer` or a `RequestAuthorizer`.
   *
   * @default - none (`AWS_IAM` authorization)
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html
   */
  readonly authorizer?: apigw.IAuthorizer;

  /**
   * Whether callers must send an API key of a usage plan (`x-api-key`). An
   * API key identifies and meters a client; it does not authorize it.
   *
   * @default false
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
   */
  readonly apiKeyRequired?: boolean;

  /**
   * Where the message group id comes from, with a FIFO consumer (required
   * then, refused with a standard one). The `Idempotency-Key` header (then
   * required) becomes the message deduplication id: a request sent again
   * with the same key within 5 minutes is stored once.
   *
   * @default - none: required with a FIFO consumer
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html
   */
  readonly messageGroupId?: MessageGroupId;

  /**
   * How long the access log group keeps the log of every request.
   *
   * @default RetentionDays.THREE_MONTHS
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
   */
  readonly accessLogRetention?: logs.RetentionDays;

  /**
   * The p99 integration latency (API Gateway to SQS) at which
   * `integrationLatencyAlarm` fires.
   *
   * Valid range: 1 ms - 29 seconds (the integration timeout).
   *
   * @default Duration.seconds(1)
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
   */
  readonly integrationLatencyThreshold?: Duration;

  /**
   * What the alarms do when they fire (and recover).
   *
   * @default - the `DefaultAlarmAction` of the nearest scope that has one, or no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/**
 * An API Gateway REST API that stores each request in the queue of a
 * `QueueDecoupledFunction` before anything can fail, and answers
 * `202 Accepted` with the message id: no function in the request path.
 *
 * - the body is validated against a JSON Schema: a bad request gets 400 and
 *   never reaches the queue;
 * - the body arrives byte for byte (URL-encoded into SQS's `SendMessage`);
 * - a FIFO consumer gets the message group id from a header or a body field,
 *   and the `Idempotency-Key` header as the deduplication id;
 * - the integration's role may only `sqs:SendMessage` to that queue (and use
 *   its key); SQS throttling is answered 429, SQS errors 500 or 503, so
 *   clients retry;
 * - the stage is throttled, traced and logged (access logs with a retention,
 *   execution logs of errors); alarms watch 5XX errors and integration latency.
 */
export class QueueBackedApi extends Construct {
  /** The REST API. */
  public readonly restApi: apigw.RestApi;

  /** The stage that serves the API, throttled and logged. */
  public readonly stage: apigw.Stage;

  /** The method that sends requests to the queue. */
  public readonly method: apigw.Method;

  /** The URL of the method: the stage's URL and the path. */
  public readonly url: string;

  /** The consumer whose queue stores the requests. */
  public readonly consumer: QueueDecoupledFunction;

  /** The role API Gateway assumes to send to the queue: `sqs:SendMessage` on it, and its key's `kms:GenerateDataKey` and `kms:Decrypt`. */
  public readonly integrationRole: iam.Role;

  /** The log group of the stage's access logs. */
  public readonly accessLogGroup: logs.LogGroup;

  /** The HTTP method that takes the requests. */
  public readonly httpMethod: string;

  /** The resource path that takes the requests. */
  public readonly path: string;

  /** Fires when the API answered a request with a 5XX error: the request was not stored (or may not have been). */
  public readonly serverErrorsAlarm: cloudwatch.Alarm;

  /** Fires when the p99 latency of SQS's answers reaches `integrationLatencyThreshold`. */
  public readonly integrationLatencyAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: QueueBackedApiProps) {
    super(scope, id);

    this.consumer = props.consumer;
    this.path = props.path ?? DEFAULTS.apiPath;
    this.httpMethod = props.method ?? DEFAULTS.apiMethod;
    const fifo = props.consumer.queue.fifo;
    const authorizationType = props.authorizer?.authorizationType ?? props.authorizationType
      ?? DEFAULTS.apiAuthorizationType as apigw.AuthorizationType;
    const schema = props.requestSchema ?? { schema: apigw.JsonSchemaVersion.DRAFT4, type: apigw.JsonSchemaType.OBJECT };
    validateProps(props, this.path, this.httpMethod, fifo, schema);
    const rateLimit = props.throttle?.rateLimit ?? DEFAULTS.apiThrottleRateLimit;
    const burstLimit = props.throttle?.burstLimit ?? DEFAULTS.apiThrottleBurstLimit;
    const latencyThreshold = props.integrationLatencyThreshold ?? DEFAULTS.apiIntegrationLatencyThreshold;

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? DEFAULTS.apiAccessLogRetention,
    });

    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: Names.uniqueResourceName(this, { maxLength: 255 }),
      description: `Stores each ${this.httpMethod} ${this.path} request in the queue ${props.consumer.queue.node.path}`,
      deployOptions: {
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
      },
    });
    this.stage = this.restApi.deploymentStage;
    const cloudWatchRole = this.restApi.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      const partition = Token.isUnresolved(Stack.of(this).partition) ? '<AWS::Partition>' : Stack.of(this).partition;
      Validations.of(cloudWatchRole).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:${partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]`,
        reason: 'API Gateway\'s account-wide role for writing access and execution logs (aws-cdk-lib creates it unless '
          + '@aws-cdk/aws-apigateway:disableCloudWatchRole is set): the managed policy is the one AWS documents for it, and only writes logs.',
      });
    }

    this.integrationRole = new iam.Role(this, 'IntegrationRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: `Lets API Gateway send messages to ${props.consumer.queue.node.path}, and nothing else`,
    });
    this.integrationRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['sqs:SendMessage'],
      resources: [props.consumer.queue.queueArn],
    }));
    props.consumer.queue.encryptionMasterKey?.grant(this.integrationRole, 'kms:GenerateDataKey', 'kms:Decrypt');

    const validator = this.restApi.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const model = this.restApi.addModel('RequestModel', {
      contentType: 'application/json',
      description: `The body of ${this.httpMethod} ${this.path}`,
      schema,
    });
    // The client learns why its request was refused.
    for (const [gatewayId, type] of [['BadRequestBody', apigw.ResponseType.BAD_REQUEST_BODY], ['BadRequestParameters', apigw.ResponseType.BAD_REQUEST_PARAMETERS]] as const) {
      this.restApi.addGatewayResponse(gatewayId, {
        type,
        statusCode: '400',
        templates: { 'application/json': '{"message":$context.error.messageString,"validationErrors":"$context.error.validationErrorString","requestId":"$context.requestId"}' },
      });
    }

    const headers: Record<string, boolean> = {};
    if (fifo) {
      headers[`method.request.header.${DEFAULTS.apiIdempotencyKeyHeader}`] = true;
      if (props.messageGroupId?.header !== undefined) headers[`method.request.header.${props.messageGroupId.header}`] = true;
    }

    const integration = new apigw.AwsIntegration({
      service: 'sqs',
      path: `${this.restApi.env.account}/${props.consumer.queue.queueName}`,
      integrationHttpMethod: 'POST',
      options: {
        credentialsRole: this.integrationRole,
        // A content type without a template is refused (415), never passed to SQS as it came.
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        requestParameters: {
          'integration.request.header.Content-Type': '\'application/x-www-form-urlencoded\'',
          'integration.request.header.Accept': '\'application/json\'',
        },
        requestTemplates: { 'application/json': sendMessageTemplate(props.messageGroupId) },
        integrationResponses: INTEGRATION_RESPONSES,
      },
    });

    this.method = this.restApi.root.resourceForPath(this.path).addMethod(this.httpMethod, integration, {
      authorizationType,
      authorizer: props.authorizer,
      apiKeyRequired: props.apiKeyRequired,
      requestValidator: validator,
      requestModels: { 'application/json': model },
      requestParameters: Object.keys(headers).length > 0 ? headers : undefined,
      methodResponses: ['202', '429', '500', '503'].map(statusCode => ({ statusCode })),
    });
    this.url = this.restApi.urlForPath(this.path);
    // One output, the method's URL, in place of the RestApi's own (the stage's URL).
    this.restApi.node.tryRemoveChild('Endpoint');
    new CfnOutput(this, 'Url', {
      description: `${this.httpMethod} here to store a request in ${props.consumer.queue.node.path}`,
      value: this.url,
    });

    this.serverErrorsAlarm = thresholdAlarm(this, 'ServerErrorsAlarm', {
      metric: this.metricServerErrors(),
      threshold: 1,
      description: `${this.node.path} answered 5XX: requests were not stored in ${props.consumer.queue.node.path} (clients were told to retry). `
        + 'The access logs name the integration status and error; check the integration role, the queue and its key.',
      alarmAction: props.alarmAction,
    });
    this.integrationLatencyAlarm = thresholdAlarm(this, 'IntegrationLatencyAlarm', {
      metric: this.metricIntegrationLatency(),
      threshold: latencyThreshold.toMilliseconds(),
      description: `SQS took ${formatDuration(latencyThreshold)} or more (p99) to store the requests of ${this.node.path}: SQS or the queue's key is struggling.`,
      alarmAction: props.alarmAction,
    });
  }

  /** The alarms: 5XX errors and integration latency. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.serverErrorsAlarm, this.integrationLatencyAlarm];
  }

  /**
   * The 5XX errors of the stage, as `serverErrorsAlarm` watches them.
   *
   * @default - sum over 5 minutes
   */
  public metricServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stage.metricServerError({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...props });
  }

  /**
   * The integration latency of the stage (milliseconds), as `integrationLatencyAlarm` watches it.
   *
   * @default - p99 over 5 minutes
   */
  public metricIntegrationLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stage.metricIntegrationLatency({ statistic: cloudwatch.Stats.p(99), period: Duration.minutes(5), ...props });
  }
}

/**
 * What SQS's answer becomes. A status code selects the response; SQS answers
 * throttling with a 400 whose error code names it, so that template turns it
 * into 429. The bodies are JSON with the request id, for support.
 */
const INTEGRATION_RESPONSES: apigw.IntegrationResponse[] = [
  {
    statusCode: '202',
    responseTemplates: { 'application/json': '{"messageId":"$input.path(\'$.SendMessageResponse.SendMessageResult.MessageId\')","requestId":"$context.requestId"}' },
  },
  {
    selectionPattern: '4\\d{2}',
    statusCode: '500',
    responseTemplates: {
      'application/json': [
        '#if($input.body.indexOf(\'Throttl\') >= 0 || $input.body.indexOf(\'OverLimit\') >= 0)',
        '#set($context.responseOverride.status = 429)',
        '{"message":"Too many requests: retry later, with backoff","requestId":"$context.requestId"}',
        '#else',
        '{"message":"The request could not be stored","requestId":"$context.requestId"}',
        '#end',
      ].join('\n'),
    },
  },
  {
    selectionPattern: '5\\d{2}',
    statusCode: '503',
    responseTemplates: { 'application/json': '{"message":"The queue is unavailable: retry later, with backoff","requestId":"$context.requestId"}' },
  },
];

/**
 * The request template: SQS's `SendMessage` in the form encoding of its query
 * protocol. `$util.urlEncode` encodes every byte of the body that is not a
 * letter, digit or `.-*_`, so quotes, `&`, `=`, newlines, backslashes and
 * any Unicode arrive as they were sent.
 */
function sendMessageTemplate(group: MessageGroupId | undefined): string {
  const parts = ['Action=SendMessage'];
  if (group) {
    const source = group.header !== undefined ? `$input.params('${group.header}')` : `$input.path('$.${group.bodyField}')`;
    parts.push(`MessageGroupId=$util.urlEncode(${source})`);
    parts.push(`MessageDeduplicationId=$util.urlEncode($input.params('${DEFAULTS.apiIdempotencyKeyHeader}'))`);
  }
  parts.push('MessageBody=$util.urlEncode($input.body)');
  return parts.join('&');
}

/** JSON access logs: API Gateway's standard fields, and what the validator and SQS said. */
function accessLogFormat(): apigw.AccessLogFormat {
  return apigw.AccessLogFormat.custom(JSON.stringify({
    requestId: apigw.AccessLogField.contextRequestId(),
    ip: apigw.AccessLogField.contextIdentitySourceIp(),
    caller: apigw.AccessLogField.contextIdentityCaller(),
    user: apigw.AccessLogField.contextIdentityUser(),
    requestTime: apigw.AccessLogField.contextRequestTime(),
    httpMethod: apigw.AccessLogField.contextHttpMethod(),
    resourcePath: apigw.AccessLogField.contextResourcePath(),
    status: apigw.AccessLogField.contextStatus(),
    protocol: apigw.AccessLogField.contextProtocol(),
    responseLength: apigw.AccessLogField.contextResponseLength(),
    error: apigw.AccessLogField.contextErrorMessage(),
    validationErrors: apigw.AccessLogField.contextErrorValidationErrorString(),
    integrationStatus: apigw.AccessLogField.contextIntegrationStatus(),
    integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
    integrationError: apigw.AccessLogField.contextIntegrationErrorMessage(),
  }));
}

function validateProps(props: QueueBackedApiProps, path: string, method: string, fifo: boolean, schema: apigw.JsonSchema): void {
  if (!Token.isUnresolved(path) && !RESOURCE_PATH.test(path)) {
    throw new Error(`path must be '/' or '/'-separated segments of letters, digits, '.', '_', '-' or a {parameter}, got '${path}'`);
  }
  if (!Token.isUnresolved(method) && !METHODS_WITH_BODY.includes(method)) {
    throw new Error(`method must be one of ${METHODS_WITH_BODY.join(', ')} (a method whose request carries the body to store), got '${method}'`);
  }
  const rate = props.throttle?.rateLimit;
  if (rate !== undefined && !Token.isUnresolved(rate) && (rate < LIMITS.apiThrottleRateLimit.min || rate > LIMITS.apiThrottleRateLimit.max)) {
    throw new Error(`throttle.rateLimit must be between ${LIMITS.apiThrottleRateLimit.min} and ${LIMITS.apiThrottleRateLimit.max} requests per second, got ${rate}`);
  }
  validateNumberRange('throttle.burstLimit', props.throttle?.burstLimit, LIMITS.apiThrottleBurstLimit.min, LIMITS.apiThrottleBurstLimit.max);
  validateDurationRange('integrationLatencyThreshold', props.integrationLatencyThreshold,
    LIMITS.apiIntegrationLatencyThreshold.min, LIMITS.apiIntegrationLatencyThreshold.max);
  if (props.authorizer && props.authorizationType !== undefined && props.authorizer.authorizationType !== undefined
    && props.authorizationType !== props.authorizer.authorizationType) {
    throw new Error(`authorizationType must be the authorizer's (${props.authorizer.authorizationType}) or left out, got ${props.authorizationType}`);
  }
  const consumer = props.consumer.node.path;
  if (!fifo && props.messageGroupId) {
    throw new Error(`messageGroupId is only supported with a FIFO consumer, got ${props.messageGroupId} with the standard consumer ${consumer}`);
  }
  if (fifo && !props.messageGroupId) {
    throw new Error(`messageGroupId is required with a FIFO consumer (${consumer}): MessageGroupId.fromHeader(name) or MessageGroupId.fromBodyField(field), got none`);
  }
  const field = props.messageGroupId?.bodyField;
  if (field !== undefined) {
    const type = schema.properties?.[field]?.type;
    const isString = type === apigw.JsonSchemaType.STRING || (Array.isArray(type) && type.length === 1 && type[0] === apigw.JsonSchemaType.STRING);
    if (!(schema.required ?? []).includes(field) || !isString) {
      throw new Error(`requestSchema must require the message group field '${field}' as a string (required: ['${field}'], properties: { ${field}: { type: JsonSchemaType.STRING } }), `
        + `so that API Gateway refuses a request without it: got required ${JSON.stringify(schema.required ?? [])} and type ${JSON.stringify(type ?? null)}`);
    }
  }
}
