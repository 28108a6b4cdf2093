/**
 * The REST and HTTP APIs of a SAM template: those a template declares
 * (`AWS::Serverless::Api`, `AWS::Serverless::HttpApi`) and those SAM creates
 * for `Api` and `HttpApi` events that name none (`ServerlessRestApi`,
 * `ServerlessHttpApi`), each with its stage and (REST) deployment, and the
 * permission each event gives API Gateway to invoke the function.
 *
 * API Gateway invokes a function synchronously: these resources matter to the
 * checks only as entries of a path, never as an asynchronous invoker. The
 * OpenAPI body holds a route per event; SAM's authorizers, CORS, models,
 * usage plans and domains are left out, and so the hash in a deployment's
 * logical ID is not SAM's.
 * @see https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-api.html
 */
import { CfnResourceBody, defined, ExpansionContext, isObject, logicalIdOf, passedThrough, ref, samHash, SamOrigin } from './context';

const IMPLICIT_REST_API = 'ServerlessRestApi';
const IMPLICIT_HTTP_API = 'ServerlessHttpApi';

/** The routes of each API, gathered from the events before the APIs are written. */
interface Api {
  readonly kind: 'rest' | 'http';
  readonly origin: SamOrigin;
  readonly paths: Record<string, Record<string, unknown>>;
}

const apisOf = new WeakMap<ExpansionContext, Map<string, Api>>();

function apis(context: ExpansionContext): Map<string, Api> {
  let found = apisOf.get(context);
  if (!found) apisOf.set(context, found = new Map());
  return found;
}

/** A route of an API, and the API SAM creates when the event names none; returns the API's logical ID. */
export function addRoute(context: ExpansionContext, kind: 'rest' | 'http', props: Record<string, any>, origin: SamOrigin, integration: unknown): string {
  const apiId = logicalIdOf(kind === 'rest' ? props.RestApiId : props.ApiId) ?? (kind === 'rest' ? IMPLICIT_REST_API : IMPLICIT_HTTP_API);
  const api = apis(context).get(apiId) ?? { kind, origin, paths: {} };
  apis(context).set(apiId, api);
  const method = typeof props.Method === 'string' ? props.Method.toLowerCase() : 'x-amazon-apigateway-any-method';
  const path = typeof props.Path === 'string' ? props.Path : '$default';
  const responses = kind === 'rest' && isObject(integration) && integration.type === 'aws'
    ? { 200: { description: 'OK' }, 400: { description: 'Bad Request' } } : {};
  api.paths[path] = { ...api.paths[path], [method === 'any' ? 'x-amazon-apigateway-any-method' : method]: { 'x-amazon-apigateway-integration': integration, responses } };
  return apiId;
}

type Add = (id: string, body: CfnResourceBody) => void;

interface Invoked { readonly logicalId: string; readonly name: unknown; readonly arn: unknown }

/** An `Api` event of a function: its route, and the permission `<Function><Event>Permission<Stage>`. */
export function apiEventPermission(context: ExpansionContext, add: Add, fn: Invoked, logicalId: string, props: Record<string, any>,
  origin: SamOrigin): void {
  const apiId = addRoute(context, 'rest', props, origin, lambdaIntegration(fn, 'rest'));
  // SAM names the permission after the API's stage: 'Stage' when the stage is not a literal, 'AllStages' when
  // the API is not in the template, a hash of a name that is not alphanumeric.
  const declared = context.source[apiId];
  const stage = apiId === IMPLICIT_REST_API ? 'Prod' : declared?.Properties?.StageName;
  const suffix = !declared && apiId !== IMPLICIT_REST_API ? 'AllStages' : typeof stage === 'string' ? stage : 'Stage';
  add(/^[A-Za-z0-9]+$/.test(suffix) ? `${logicalId}Permission${suffix}` : `${logicalId}Permission${samHash(suffix)}`, permissionFor(fn, apiId, props, 'arn:aws:execute-api'));
}

/** An `HttpApi` event of a function: its route, and the permission `<Function><Event>Permission`. */
export function httpApiEventPermission(context: ExpansionContext, add: Add, fn: Invoked, logicalId: string, props: Record<string, any>,
  origin: SamOrigin): void {
  const apiId = addRoute(context, 'http', props, origin, { ...lambdaIntegration(fn, 'http'), payloadFormatVersion: props.PayloadFormatVersion ?? '2.0' });
  add(`${logicalId}Permission`, permissionFor(fn, apiId, props, 'arn:${AWS::Partition}:execute-api'));
}

/** The APIs of the template, written once every event has added its routes. */
export function writeApis(context: ExpansionContext): void {
  for (const [apiId, declared] of Object.entries(context.source)) {
    if (declared?.Type === 'AWS::Serverless::Api' || declared?.Type === 'AWS::Serverless::HttpApi') {
      const kind = declared.Type === 'AWS::Serverless::Api' ? 'rest' : 'http';
      if (!apis(context).has(apiId)) apis(context).set(apiId, { kind, origin: { resource: apiId }, paths: {} });
    }
  }
  for (const [apiId, api] of apis(context)) {
    const declared = context.source[apiId];
    const p: Record<string, any> = isObject(declared?.Properties) ? declared!.Properties : {};
    const attributes = declared ? passedThrough(declared) : {};
    const origin = declared ? { resource: apiId } : api.origin;
    const add = (id: string, body: CfnResourceBody) => context.add(id, { ...body, ...attributes }, origin);
    const info = { title: p.Name ?? ref('AWS::StackName'), version: '1.0' };
    if (api.kind === 'rest') {
      const body = p.DefinitionBody ?? { swagger: '2.0', info, paths: api.paths };
      add(apiId, { Type: 'AWS::ApiGateway::RestApi', Properties: defined({ Body: body, Name: p.Name, EndpointConfiguration: p.EndpointConfiguration }) });
      const stage = apiId === IMPLICIT_REST_API ? 'Prod' : p.StageName;
      const deployment = `${apiId}Deployment${samHash(body)}`;
      add(deployment, { Type: 'AWS::ApiGateway::Deployment', Properties: { RestApiId: ref(apiId), StageName: 'Stage' } });
      add(`${apiId}${typeof stage === 'string' ? stage : ''}Stage`, {
        Type: 'AWS::ApiGateway::Stage',
        Properties: defined({ DeploymentId: ref(deployment), RestApiId: ref(apiId), StageName: stage, MethodSettings: p.MethodSettings }),
      });
    } else {
      const body = p.DefinitionBody ?? { openapi: '3.0.1', info, paths: api.paths, tags: [{ 'name': 'httpapi:createdBy', 'x-amazon-apigateway-tag-value': 'SAM' }] };
      add(apiId, { Type: 'AWS::ApiGatewayV2::Api', Properties: { Body: body } });
      const stage = p.StageName;
      add(typeof stage === 'string' ? `${apiId}${stage}Stage` : `${apiId}ApiGatewayDefaultStage`, {
        Type: 'AWS::ApiGatewayV2::Stage',
        Properties: defined({
          ApiId: ref(apiId), AutoDeploy: true, StageName: stage ?? '$default', DefaultRouteSettings: p.DefaultRouteSettings, Tags: { 'httpapi:createdBy': 'SAM' },
        }),
      });
    }
  }
}

/**
 * A Lambda proxy integration of the function, or of its alias when it has one. SAM writes a REST API's in the
 * `aws` partition, an HTTP API's in the stack's.
 */
function lambdaIntegration(fn: Invoked, kind: 'rest' | 'http'): Record<string, unknown> {
  const partition = kind === 'rest' ? 'aws' : '${AWS::Partition}';
  const target = isObject(fn.arn) && typeof fn.arn.Ref === 'string' ? fn.arn.Ref : `${fn.logicalId}.Arn`;
  return {
    httpMethod: 'POST',
    type: 'aws_proxy',
    uri: { 'Fn::Sub': `arn:${partition}:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${target}}/invocations` },
  };
}

function permissionFor(fn: Invoked, apiId: string, props: Record<string, any>, arnPrefix: string): CfnResourceBody {
  const method = typeof props.Method === 'string' && props.Method.toLowerCase() !== 'any' ? props.Method.toUpperCase() : '*';
  const path = typeof props.Path === 'string' ? props.Path.replace(/\{[^}]*\}/g, '*') : '';
  return {
    Type: 'AWS::Lambda::Permission',
    Properties: {
      Action: 'lambda:InvokeFunction',
      FunctionName: fn.name,
      Principal: 'apigateway.amazonaws.com',
      SourceArn: { 'Fn::Sub': [`${arnPrefix}:\${AWS::Region}:\${AWS::AccountId}:\${__ApiId__}/\${__Stage__}/${method}${path}`, { __ApiId__: ref(apiId), __Stage__: '*' }] },
    },
  };
}
