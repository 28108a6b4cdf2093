import { createHash } from 'crypto';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DefaultAlarmAction, MessageGroupId, QueueBackedApi, QueueBackedApiProps, QueueDecoupledFunction, QueueDecoupledFunctionProps } from '../src';
import { decodeForm, javaUrlEncode, renderTemplate } from './api-gateway-templates';
import { FlagSet, handlerProps, logicalIdOf, maskAssetHashes, newApp, newStack, onlyProperties, propertiesOf, statementsOf } from './helpers';
import { validateAgainstSchema } from '../src/private/json-schema';
import { startLocalSqs } from '../src/testing';

/** A consumer (30 s function) and a QueueBackedApi in front of it. */
function ordersApi(stack: Stack, props: Partial<QueueBackedApiProps> = {}, consumerProps: Partial<QueueDecoupledFunctionProps> = {}): QueueBackedApi {
  const consumer = new QueueDecoupledFunction(stack, 'Orders', { functionProps: handlerProps, ...consumerProps });
  return new QueueBackedApi(stack, 'OrdersApi', { consumer, ...props });
}

/** A FIFO consumer and a QueueBackedApi in front of it, the group id from the `X-Customer-Id` header. */
function fifoApi(stack: Stack, props: Partial<QueueBackedApiProps> = {}): QueueBackedApi {
  return ordersApi(stack, { messageGroupId: MessageGroupId.fromHeader('X-Customer-Id'), ...props }, { fifo: true });
}

/** The method's CloudFormation properties. */
function methodOf(api: QueueBackedApi): any {
  return propertiesOf(Stack.of(api), api.method);
}

/** The request template of the method, as synthesized. */
function requestTemplate(api: QueueBackedApi): string {
  return methodOf(api).Integration.RequestTemplates['application/json'];
}

/** The integration response the method selects for SQS's status code, as API Gateway does (the default when no pattern matches). */
function integrationResponseFor(api: QueueBackedApi, sqsStatus: number): any {
  const responses: any[] = methodOf(api).Integration.IntegrationResponses;
  return responses.find(r => r.SelectionPattern !== undefined && new RegExp(`^${r.SelectionPattern}$`).test(String(sqsStatus)))
    ?? responses.find(r => r.SelectionPattern === undefined);
}

/** Bodies a client may send, each to arrive as it was sent. */
const TRICKY_BODIES: Record<string, string> = {
  'quotes and backslashes': '{"note":"she said \\"hi\\" \\\\ and left","path":"C:\\\\orders\\\\1"}',
  'newlines and tabs, raw and escaped': '{\n\t"lines": "one\\ntwo\\r\\nthree"\n}\n',
  'form and template characters': '{"q":"a=1&b=2+3%20;#set($x = 1) $input.body ${util}","hash":"#"}',
  'unicode': '{"name":"Zoë Ångström","city":"東京","rtl":"שלום","accents":"e\u0301"}',
  'emoji and other astral characters': '{"mood":"😀🎉","flag":"🇪🇺","math":"𝔘𝔫𝔦𝔠𝔬𝔡𝔢","escaped":"\\ud83d\\ude00"}',
  'a JSON string, not an object': '"just a string with \' and \\" quotes"',
  'spaces at both ends': '   { "padded": true }   ',
};

describe('QueueBackedApi', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const api = ordersApi(stack);

    // THEN POST / is an AWS service integration that sends to the consumer's queue with the integration role
    const queueId = logicalIdOf(api.consumer.queue);
    expect(api.httpMethod).toBe('POST');
    expect(api.path).toBe('/');
    expect(methodOf(api)).toMatchObject({
      HttpMethod: 'POST',
      AuthorizationType: 'AWS_IAM',
      ResourceId: { 'Fn::GetAtt': [logicalIdOf(api.restApi), 'RootResourceId'] },
      Integration: {
        Type: 'AWS',
        IntegrationHttpMethod: 'POST',
        Uri: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, ':sqs:path/', { Ref: 'AWS::AccountId' }, '/', { 'Fn::GetAtt': [queueId, 'QueueName'] }]] },
        Credentials: { 'Fn::GetAtt': [logicalIdOf(api.integrationRole), 'Arn'] },
        PassthroughBehavior: 'NEVER',
        RequestParameters: { 'integration.request.header.Content-Type': '\'application/x-www-form-urlencoded\'' },
        RequestTemplates: { 'application/json': 'Action=SendMessage&MessageBody=$util.urlEncode($input.body)' },
      },
      MethodResponses: [{ StatusCode: '202' }, { StatusCode: '429' }, { StatusCode: '500' }, { StatusCode: '503' }],
    });
    expect(methodOf(api).RequestParameters).toBeUndefined();
    expect(methodOf(api).ApiKeyRequired).toBeUndefined();

    // ... the body is validated against a JSON object schema
    const template = Template.fromStack(stack);
    expect(methodOf(api).RequestValidatorId).toEqual({ Ref: Object.keys(template.findResources('AWS::ApiGateway::RequestValidator'))[0] });
    expect(onlyProperties(template, 'AWS::ApiGateway::RequestValidator')).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    expect(onlyProperties(template, 'AWS::ApiGateway::Model')).toMatchObject({
      ContentType: 'application/json',
      Schema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
    });

    // ... the stage is throttled (100/s, burst 200), traced, logs errors and every request (JSON, 3 months)
    expect(propertiesOf(stack, api.stage)).toMatchObject({
      TracingEnabled: true,
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, LoggingLevel: 'ERROR', DataTraceEnabled: false }],
      AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [logicalIdOf(api.accessLogGroup), 'Arn'] } },
    });
    const logFormat = JSON.parse(propertiesOf(stack, api.stage).AccessLogSetting.Format);
    expect(logFormat).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      validationErrors: '$context.error.validationErrorString',
      integrationStatus: '$context.integrationStatus',
      integrationError: '$context.integrationErrorMessage',
    });
    expect(propertiesOf(stack, api.accessLogGroup).RetentionInDays).toBe(90);

    // ... and its one output is the method's URL
    expect(Object.values(template.toJSON().Outputs)).toEqual([{
      Description: 'POST here to store a request in Test/Orders/Queue',
      Value: { 'Fn::Join': ['', ['https://', { Ref: logicalIdOf(api.restApi) }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: logicalIdOf(api.stage) }, '/']] },
    }]);
    expect(stack.resolve(api.url)).toEqual(Object.values<any>(template.toJSON().Outputs)[0].Value);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test.each([
    ['a cdk init app', 'recommended', 13],
    ['a plain App (aws-cdk-lib adds API Gateway\'s account-wide CloudWatch role)', 'plain', 15],
  ] as Array<[string, FlagSet, number]>)('resource counts with defaults, in %s', (_, flags, expected) => {
    // GIVEN
    const stack = new Stack(newApp(flags), 'Test');
    const consumer = new QueueDecoupledFunction(stack, 'Orders', { functionProps: handlerProps });

    // WHEN
    const api = new QueueBackedApi(stack, 'OrdersApi', { consumer });

    // THEN (its logical ids start with its id; the consumer's do not)
    const template = Template.fromStack(stack);
    const ids = Object.keys(template.toJSON().Resources);
    expect(ids.filter(id => id.startsWith(api.node.id))).toHaveLength(expected);
    template.resourceCountIs('AWS::ApiGateway::Resource', 0);
    template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 2);
    template.resourceCountIs('AWS::ApiGateway::Account', flags === 'plain' ? 1 : 0);
  });

  test('the integration role may only sqs:SendMessage to the consumer\'s queue', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const api = ordersApi(stack);

    // THEN
    const template = Template.fromStack(stack);
    expect(propertiesOf(stack, api.integrationRole)).toEqual({
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' } }], Version: '2012-10-17' },
      Description: 'Lets API Gateway send messages to Test/Orders/Queue, and nothing else',
    });
    expect(statementsOf(template, api.integrationRole)).toEqual([
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalIdOf(api.consumer.queue), 'Arn'] } },
    ]);
  });

  test('with a consumer on a KMS key, the role may also use that key, for the two calls SQS makes for a producer', () => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');

    // WHEN
    const api = ordersApi(stack, {}, { encryptionKey: key });

    // THEN
    expect(statementsOf(Template.fromStack(stack), api.integrationRole)).toEqual([
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalIdOf(api.consumer.queue), 'Arn'] } },
      { Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] } },
    ]);
  });

  test('path, method and requestSchema', () => {
    // GIVEN
    const stack = newStack();
    const requestSchema: apigw.JsonSchema = {
      schema: apigw.JsonSchemaVersion.DRAFT4,
      type: apigw.JsonSchemaType.OBJECT,
      required: ['orderId'],
      properties: { orderId: { type: apigw.JsonSchemaType.STRING, minLength: 1 } },
      additionalProperties: false,
    };

    // WHEN
    const api = ordersApi(stack, { path: '/shops/{shopId}/orders', method: 'PUT', requestSchema });

    // THEN
    expect(methodOf(api).HttpMethod).toBe('PUT');
    expect(api.method.resource.path).toBe('/shops/{shopId}/orders');
    expect(onlyProperties(Template.fromStack(stack), 'AWS::ApiGateway::Model').Schema).toEqual({
      $schema: 'http://json-schema.org/draft-04/schema#',
      type: 'object',
      required: ['orderId'],
      properties: { orderId: { type: 'string', minLength: 1 } },
      additionalProperties: false,
    });
    expect(stack.resolve(api.url)['Fn::Join'][1].slice(-1)[0]).toBe('/shops/{shopId}/orders');
  });

  test('a bad body is refused with 400 by the method\'s validator and never reaches the queue', () => {
    // GIVEN an API whose schema requires a string orderId and a positive quantity
    const stack = newStack();
    const api = ordersApi(stack, {
      requestSchema: {
        type: apigw.JsonSchemaType.OBJECT,
        required: ['orderId', 'quantity'],
        properties: { orderId: { type: apigw.JsonSchemaType.STRING }, quantity: { type: apigw.JsonSchemaType.INTEGER, minimum: 1 } },
      },
    });
    const template = Template.fromStack(stack);
    const method = methodOf(api);

    // WHEN the method's request model is checked as API Gateway's validator checks it (a JSON Schema validator here)
    const modelId = method.RequestModels['application/json'].Ref;
    const { $schema, ...schema } = template.toJSON().Resources[modelId].Properties.Schema;
    const check = (body: unknown) => validateAgainstSchema(JSON.stringify(schema), body);

    // THEN the validator of the method checks the body, a bad body fails the model and a good one passes
    expect(template.toJSON().Resources[method.RequestValidatorId.Ref].Properties.ValidateRequestBody).toBe(true);
    expect($schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(check({ orderId: 'o-1', quantity: 0 })).toEqual(['/quantity must be >= 1']);
    expect(check({ quantity: 2 })).toEqual(['/ must have required property \'orderId\'']);
    expect(check({ orderId: 'o-1', quantity: 2 })).toEqual([]);
    // ... a body that fails is answered 400 with the validator's errors (API Gateway's BAD_REQUEST_BODY response), before any integration
    const badBody = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'))
      .map(r => r.Properties).find(p => p.ResponseType === 'BAD_REQUEST_BODY');
    expect(badBody.StatusCode).toBe('400');
    const answer = renderTemplate(badBody.ResponseTemplates['application/json'], { body: '' })
      .output.replace('$context.error.messageString', '"Invalid request body"').replace('$context.error.validationErrorString', '[numeric instance is lower than the required minimum]');
    expect(JSON.parse(answer)).toEqual({ message: 'Invalid request body', validationErrors: '[numeric instance is lower than the required minimum]', requestId: 'request-1' });
    // ... and a body that is not JSON never meets a template: no passthrough, one template for application/json only
    expect(method.Integration.PassthroughBehavior).toBe('NEVER');
    expect(Object.keys(method.Integration.RequestTemplates)).toEqual(['application/json']);
  });

  describe('the request template sends the body byte for byte', () => {
    test.each(Object.entries(TRICKY_BODIES))('%s', (_, body) => {
      // GIVEN
      const api = ordersApi(newStack());

      // WHEN API Gateway renders the request for SQS
      const { output } = renderTemplate(requestTemplate(api), { body });

      // THEN it is one form-encoded SendMessage whose MessageBody decodes to the very bytes sent
      expect(output).toMatch(/^Action=SendMessage&MessageBody=[A-Za-z0-9.\-*_+%]*$/);
      const params = decodeForm(output);
      expect(Object.keys(params)).toEqual(['Action', 'MessageBody']);
      expect(Buffer.from(params.MessageBody, 'utf8').equals(Buffer.from(body, 'utf8'))).toBe(true);
    });

    test('and the message SQS stores is that body', async () => {
      // GIVEN a local SQS and the requests API Gateway would make for each body
      const api = ordersApi(newStack());
      const sqs = await startLocalSqs();
      try {
        const client = sqs.client();
        const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'orders' }));

        // WHEN each is sent as SQS's SendMessage with the parameters it carries
        for (const body of Object.values(TRICKY_BODIES)) {
          const params = decodeForm(renderTemplate(requestTemplate(api), { body }).output);
          const sent = await client.send(new SendMessageCommand({ QueueUrl, MessageBody: params.MessageBody }));
          // THEN SQS's MD5 of the body is the MD5 of the bytes the client sent
          expect(sent.MD5OfMessageBody).toBe(createHash('md5').update(body, 'utf8').digest('hex'));
        }
        const received = await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
        expect((received.Messages ?? []).map(m => m.Body).sort()).toEqual(Object.values(TRICKY_BODIES).sort());
      } finally {
        await sqs.stop();
      }
    });

    test('the encoding is Java\'s URLEncoder, as $util.urlEncode\'s', () => {
      // GIVEN / WHEN / THEN
      expect(javaUrlEncode('a b&c=d+e*f.g-h_i~j\'k"l\nm\\ö😀')).toBe('a+b%26c%3Dd%2Be*f.g-h_i%7Ej%27k%22l%0Am%5C%C3%B6%F0%9F%98%80');
    });
  });

  describe('what SQS answers becomes', () => {
    test('2XX: 202 Accepted with the message id', () => {
      // GIVEN
      const api = ordersApi(newStack());
      const sqsAnswer = JSON.stringify({
        SendMessageResponse: {
          ResponseMetadata: { RequestId: 'a1b2' },
          SendMessageResult: { MD5OfMessageBody: '51b0a325', MessageId: '5fea7756-0ea4-451a-a703-a558b933e274', SequenceNumber: null },
        },
      });

      // WHEN
      const response = integrationResponseFor(api, 200);
      const rendered = renderTemplate(response.ResponseTemplates['application/json'], { body: sqsAnswer, requestId: 'r-42' });

      // THEN
      expect(response.StatusCode).toBe('202');
      expect(response.SelectionPattern).toBeUndefined();
      expect(JSON.parse(rendered.output)).toEqual({ messageId: '5fea7756-0ea4-451a-a703-a558b933e274', requestId: 'r-42' });
    });

    test.each([
      ['RequestThrottled', 400, 429, 'Too many requests: retry later, with backoff'],
      ['ThrottlingException', 400, 429, 'Too many requests: retry later, with backoff'],
      ['KmsThrottled', 400, 429, 'Too many requests: retry later, with backoff'],
      ['AccessDenied', 403, 500, 'The request could not be stored'],
      ['KmsDisabled', 400, 500, 'The request could not be stored'],
      ['InvalidParameterValue', 400, 500, 'The request could not be stored'],
      ['InternalError', 500, 503, 'The queue is unavailable: retry later, with backoff'],
      ['ServiceUnavailable', 503, 503, 'The queue is unavailable: retry later, with backoff'],
    ])('%s (%d): %d', (code, sqsStatus, clientStatus, message) => {
      // GIVEN an SQS error answer
      const api = ordersApi(newStack());
      const sqsAnswer = JSON.stringify({ Error: { Code: code, Message: 'details', Type: sqsStatus < 500 ? 'Sender' : 'Receiver' }, RequestId: 'a1b2' });

      // WHEN API Gateway selects the integration response by status and renders it
      const response = integrationResponseFor(api, sqsStatus);
      const rendered = renderTemplate(response.ResponseTemplates['application/json'], { body: sqsAnswer, requestId: 'r-42' });

      // THEN the client gets a status it can retry on, and never SQS's details
      expect(rendered.statusOverride ?? Number(response.StatusCode)).toBe(clientStatus);
      expect(JSON.parse(rendered.output)).toEqual({ message, requestId: 'r-42' });
    });
  });

  describe('FIFO', () => {
    test('the group id comes from the named header and the Idempotency-Key header is the deduplication id; both are required', () => {
      // GIVEN
      const api = fifoApi(newStack());

      // WHEN
      const { output } = renderTemplate(requestTemplate(api), {
        body: '{"orderId":"o-1"}',
        headers: { 'x-customer-id': 'customer-7', 'Idempotency-Key': '8e03978e-40d5-43e8-bc93-6894a57f9324' },
      });

      // THEN
      expect(decodeForm(output)).toEqual({
        Action: 'SendMessage',
        MessageGroupId: 'customer-7',
        MessageDeduplicationId: '8e03978e-40d5-43e8-bc93-6894a57f9324',
        MessageBody: '{"orderId":"o-1"}',
      });
      expect(methodOf(api).RequestParameters).toEqual({ 'method.request.header.Idempotency-Key': true, 'method.request.header.X-Customer-Id': true });
    });

    test('the group id comes from the named body field, which the schema requires as a string', () => {
      // GIVEN
      const stack = newStack();
      const api = ordersApi(stack, {
        messageGroupId: MessageGroupId.fromBodyField('customerId'),
        requestSchema: { type: apigw.JsonSchemaType.OBJECT, required: ['customerId'], properties: { customerId: { type: apigw.JsonSchemaType.STRING, maxLength: 128 } } },
      }, { fifo: true });

      // WHEN
      const { output } = renderTemplate(requestTemplate(api), {
        body: '{"customerId":"c/7 & co","items":["ö"]}',
        headers: { 'idempotency-key': 'k-1' },
      });

      // THEN
      expect(decodeForm(output)).toEqual({ Action: 'SendMessage', MessageGroupId: 'c/7 & co', MessageDeduplicationId: 'k-1', MessageBody: '{"customerId":"c/7 & co","items":["ö"]}' });
      expect(methodOf(api).RequestParameters).toEqual({ 'method.request.header.Idempotency-Key': true });
    });

    test('a client\'s retry with the same Idempotency-Key is stored once', async () => {
      // GIVEN a FIFO API and a local FIFO queue that deduplicates as SQS does
      const api = fifoApi(newStack());
      const sqs = await startLocalSqs();
      try {
        const client = sqs.client();
        const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'orders.fifo', Attributes: { FifoQueue: 'true' } }));
        const send = async (key: string, body: string) => {
          const params = decodeForm(renderTemplate(requestTemplate(api), { body, headers: { 'X-Customer-Id': 'customer-7', 'Idempotency-Key': key } }).output);
          return client.send(new SendMessageCommand({
            QueueUrl, MessageBody: params.MessageBody, MessageGroupId: params.MessageGroupId, MessageDeduplicationId: params.MessageDeduplicationId,
          }));
        };

        // WHEN a client sends a request, retries it with the same key (its first answer was lost), then sends another
        const first = await send('key-1', '{"orderId":"o-1"}');
        const retry = await send('key-1', '{"orderId":"o-1"}');
        const other = await send('key-2', '{"orderId":"o-1"}');

        // THEN the retry is answered with the first message's id and stored once; the other key is a new message
        expect(retry.MessageId).toBe(first.MessageId);
        expect(other.MessageId).not.toBe(first.MessageId);
        expect(sqs.messages('orders.fifo').map(m => m.body)).toEqual(['{"orderId":"o-1"}', '{"orderId":"o-1"}']);
      } finally {
        await sqs.stop();
      }
    });

    test('fails if a FIFO consumer has no messageGroupId', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => ordersApi(stack, {}, { fifo: true }))
        .toThrow(/^messageGroupId is required with a FIFO consumer \(Test\/Orders\): MessageGroupId.fromHeader\(name\) or MessageGroupId.fromBodyField\(field\), got none$/);
    });

    test('fails if a standard consumer is given a messageGroupId', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => ordersApi(stack, { messageGroupId: MessageGroupId.fromHeader('X-Customer-Id') }))
        .toThrow(/^messageGroupId is only supported with a FIFO consumer, got MessageGroupId.fromHeader\('X-Customer-Id'\) with the standard consumer Test\/Orders$/);
    });

    test('fails if the schema does not require the group field as a string', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => ordersApi(stack, {
        messageGroupId: MessageGroupId.fromBodyField('customerId'),
        requestSchema: { type: apigw.JsonSchemaType.OBJECT, properties: { customerId: { type: apigw.JsonSchemaType.STRING } } },
      }, { fifo: true })).toThrow(/^requestSchema must require the message group field 'customerId' as a string .*got required \[\] and type "string"$/);
    });

    test.each([
      [() => MessageGroupId.fromHeader('X Customer'), /^MessageGroupId.fromHeader\(name\): name must be 1-128 letters, digits, '-' or '_', got 'X Customer'$/],
      [() => MessageGroupId.fromBodyField('customer.id'), /^MessageGroupId.fromBodyField\(field\): field must be a top-level property name .*, got 'customer.id'$/],
    ])('fails on a group source a template cannot name safely (%#)', (create, error) => {
      // GIVEN / WHEN / THEN
      expect(create).toThrow(error);
    });
  });

  describe('authorization', () => {
    test('a Cognito user pool authorizer sets the method\'s authorization type', () => {
      // GIVEN
      const stack = newStack();
      const userPool = new cognito.UserPool(stack, 'Users');

      // WHEN
      const api = ordersApi(stack, { authorizer: new apigw.CognitoUserPoolsAuthorizer(stack, 'Authorizer', { cognitoUserPools: [userPool] }) });

      // THEN
      expect(methodOf(api)).toMatchObject({ AuthorizationType: 'COGNITO_USER_POOLS', AuthorizerId: { Ref: expect.stringMatching(/^Authorizer/) } });
    });

    test('API keys: apiKeyRequired', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      const api = ordersApi(stack, { apiKeyRequired: true });

      // THEN
      expect(methodOf(api)).toMatchObject({ AuthorizationType: 'AWS_IAM', ApiKeyRequired: true });
    });

    test('fails if authorizationType contradicts the authorizer', () => {
      // GIVEN
      const stack = newStack();
      const authorizer = new apigw.CognitoUserPoolsAuthorizer(stack, 'Authorizer', { cognitoUserPools: [new cognito.UserPool(stack, 'Users')] });
      // WHEN / THEN
      expect(() => ordersApi(stack, { authorizer, authorizationType: apigw.AuthorizationType.IAM }))
        .toThrow(/^authorizationType must be the authorizer's \(COGNITO_USER_POOLS\) or left out, got AWS_IAM$/);
    });
  });

  test.each([
    ['path', { path: 'orders' }, /^path must be '\/' or '\/'-separated segments of letters, digits, '.', '_', '-' or a \{parameter\}, got 'orders'$/],
    ['path', { path: '/orders/{proxy+}' }, /got '\/orders\/\{proxy\+\}'$/],
    ['method', { method: 'GET' }, /^method must be one of POST, PUT, PATCH \(a method whose request carries the body to store\), got 'GET'$/],
    ['throttle.rateLimit', { throttle: { rateLimit: 0 } }, /^throttle.rateLimit must be between 1 and 10000 requests per second, got 0$/],
    ['throttle.rateLimit', { throttle: { rateLimit: 20_000 } }, /^throttle.rateLimit must be between 1 and 10000 requests per second, got 20000$/],
    ['throttle.burstLimit', { throttle: { burstLimit: 5_001 } }, /^throttle.burstLimit must be an integer between 1 and 5000, got 5001$/],
    ['integrationLatencyThreshold', { integrationLatencyThreshold: Duration.seconds(30) }, /^integrationLatencyThreshold must be between 1 ms and 29 s, got 30 s$/],
  ] as Array<[string, Partial<QueueBackedApiProps>, RegExp]>)('fails if %s is out of range', (_, props, error) => {
    // GIVEN
    const stack = newStack();
    // WHEN / THEN
    expect(() => ordersApi(stack, props)).toThrow(error);
  });

  test('throttle sets the stage\'s rate and burst', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const api = ordersApi(stack, { throttle: { rateLimit: 25, burstLimit: 50 } });

    // THEN
    expect(propertiesOf(stack, api.stage).MethodSettings).toEqual([expect.objectContaining({ ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 })]);
  });

  test('alarms: 5XX errors and p99 integration latency, named, with the alarm action', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Alarms');

    // WHEN
    const api = ordersApi(stack, { alarmAction: new cw_actions.SnsAction(topic), integrationLatencyThreshold: Duration.millis(500) });

    // THEN
    expect(api.alarms).toEqual([api.serverErrorsAlarm, api.integrationLatencyAlarm]);
    const dimensions = [{ Name: 'ApiName', Value: Match.anyValue() }, { Name: 'Stage', Value: { Ref: logicalIdOf(api.stage) } }];
    expect(propertiesOf(stack, api.serverErrorsAlarm)).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalIdOf(topic) }],
      OKActions: [{ Ref: logicalIdOf(topic) }],
    });
    expect(propertiesOf(stack, api.integrationLatencyAlarm)).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'IntegrationLatency',
      ExtendedStatistic: 'p99',
      Period: 300,
      Threshold: 500,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: logicalIdOf(topic) }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5XXError', Dimensions: dimensions });
  });

  test('the integration latency alarm fires at 1 s by default, and the alarms take the DefaultAlarmAction', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'Test');
    const topic = new sns.Topic(stack, 'OnCall');
    DefaultAlarmAction.set(app, new cw_actions.SnsAction(topic));

    // WHEN
    const api = ordersApi(stack);
    Template.fromStack(stack);

    // THEN
    expect(propertiesOf(stack, api.integrationLatencyAlarm).Threshold).toBe(1000);
    for (const alarm of api.alarms) {
      expect(propertiesOf(stack, alarm).AlarmActions).toEqual([{ Ref: logicalIdOf(topic) }]);
    }
  });

  test('snapshot', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');

    // WHEN
    fifoApi(stack, { alarmAction: new cw_actions.SnsAction(topic) });

    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
