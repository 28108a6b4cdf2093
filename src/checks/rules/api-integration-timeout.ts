import type { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { ApiIntegration, apiIntegrationsOf } from '../model/api-integrations';
import { readFunction } from '../model/cfn-properties';
import { ResilienceRule, RuleContext } from '../rule';

/**
 * Resilience-Api1: a function behind an API Gateway integration that waits
 * for it does not run longer than the integration waits (REST and WebSocket
 * APIs: 29 s by default; HTTP APIs: 30 s; or the integration's
 * `TimeoutInMillis`). Otherwise the client gets a 504 while the function keeps
 * working, and the client's retry does the work a second time.
 */
export const ApiIntegrationTimeout: ResilienceRule = {
  id: 'Api1',
  info: 'A function behind this API Gateway integration may run longer than the integration waits for it: the client gets a 504 (timeout) while the function keeps working, and the client\'s retry does the work a second time.',
  explanation: 'Give the function a timeout below the integration\'s (leave it time to answer), or put a queue in front of the work (QueueBackedApi answers 202 at once) and let the client poll; a REST API can raise TimeoutInMillis beyond 29 s for a regional API.',
  level: NagMessageLevel.ERROR,
  check(node, context) {
    const found = integrationsOf(node, context);
    if (found.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
    return found.some(runsOn) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
  describe(node, context) {
    return integrationsOf(node, context).filter(runsOn).map(i => `function ${i.fn.name} times out after ${readFunction(i.fn).timeoutSeconds} s, `
      + `the ${i.api} API integration after ${i.timeoutMillis! / 1000} s`).join('; ');
  },
};

/** The functions that the integration (`node`, a REST method or an HTTP/WebSocket API integration) invokes synchronously. */
function integrationsOf(node: CfnResource, { model }: RuleContext): ApiIntegration[] {
  const resource = model.resourceOf(node);
  return resource ? apiIntegrationsOf(model, resource) : [];
}

/** Whether the function may run after the integration gave up; never on a value the template does not fix. */
function runsOn(integration: ApiIntegration): boolean {
  const timeoutSeconds = readFunction(integration.fn).timeoutSeconds;
  if (timeoutSeconds === undefined || integration.timeoutMillis === undefined) return false;
  return timeoutSeconds * 1000 > integration.timeoutMillis;
}
