/**
 * The functions that API Gateway invokes synchronously for a client's
 * request, and how long the integration waits for each: a REST API method's
 * Lambda integration (`AWS_PROXY`, or `AWS` without
 * `X-Amz-Invocation-Type: 'Event'`, which invokes asynchronously), and an HTTP
 * or WebSocket API's `AWS_PROXY` integration. The client gets a 504 when the
 * integration times out; the function runs on.
 */
import { CFN_TYPE, CfnModel, ModelResource } from './cfn-model';
import { readApiMethod, readApiV2, readApiV2Integration } from './cfn-properties';
import { AWS_DEFAULTS } from '../../private/defaults';

/** The request parameter of an API Gateway integration that makes Lambda invoke asynchronously, with its static value. */
export const API_INVOCATION_TYPE = { parameter: 'integration.request.header.x-amz-invocation-type', asynchronous: "'Event'" };

/** A function behind an API Gateway integration that waits for it. */
export interface ApiIntegration {
  /** The `AWS::ApiGateway::Method` or `AWS::ApiGatewayV2::Integration`. */
  readonly integration: ModelResource;
  readonly fn: ModelResource;
  /** Which kind of API: its integration's default timeout differs. */
  readonly api: 'REST' | 'HTTP' | 'WebSocket';
  /** How long the integration waits, in ms (the API's default when the template gives none); `undefined` when the template does not fix it. */
  readonly timeoutMillis: number | undefined;
}

/** Whether a REST method's `AWS` integration invokes its function asynchronously (`X-Amz-Invocation-Type: 'Event'`). */
export function invokesAsynchronously(requestParameters: Readonly<Record<string, unknown>>): boolean {
  const invocationType = Object.entries(requestParameters).find(([name]) => name.toLowerCase() === API_INVOCATION_TYPE.parameter)?.[1];
  return invocationType === API_INVOCATION_TYPE.asynchronous;
}

/** Every function that an API Gateway integration of the stack invokes synchronously, with its integration's timeout. */
export function apiIntegrations(model: CfnModel): ApiIntegration[] {
  return model.ofType(CFN_TYPE.API_METHOD, CFN_TYPE.API_V2_INTEGRATION).flatMap(resource => apiIntegrationsOf(model, resource));
}

/**
 * The functions that one resource (a REST API method, or an HTTP or WebSocket API integration) invokes
 * synchronously, with its timeout; none for a resource of any other type.
 */
export function apiIntegrationsOf(model: CfnModel, resource: ModelResource): ApiIntegration[] {
  if (resource.type === CFN_TYPE.API_METHOD) {
    const { integrationType, integrationUri, requestParameters, timeoutMillis } = readApiMethod(resource);
    if (integrationType !== 'AWS_PROXY' && integrationType !== 'AWS') return [];
    if (integrationType === 'AWS' && invokesAsynchronously(requestParameters)) return [];
    return model.referencedBy(integrationUri, CFN_TYPE.FUNCTION).map(fn => ({ integration: resource, fn, api: 'REST', timeoutMillis }));
  }
  if (resource.type !== CFN_TYPE.API_V2_INTEGRATION) return [];
  const { apiId, integrationType, integrationUri, timeoutMillis, timeoutGiven } = readApiV2Integration(resource);
  if (integrationType !== 'AWS_PROXY') return [];
  const api = model.referencedOne(apiId, CFN_TYPE.API_V2);
  const kind = api && readApiV2(api).protocolType === 'WEBSOCKET' ? 'WebSocket' : 'HTTP';
  const byDefault = kind === 'WebSocket' ? AWS_DEFAULTS.webSocketApiIntegrationTimeoutMillis : AWS_DEFAULTS.httpApiIntegrationTimeoutMillis;
  return model.referencedBy(integrationUri, CFN_TYPE.FUNCTION)
    .map(fn => ({ integration: resource, fn, api: kind, timeoutMillis: timeoutGiven ? timeoutMillis : byDefault }));
}
