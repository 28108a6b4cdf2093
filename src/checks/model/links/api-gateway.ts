import { apiIntegrations } from '../api-integrations';
import { CFN_TYPE, flatten } from '../cfn-model';
import { readApiMethod } from '../cfn-properties';
import { LinkSource } from './linker';

/**
 * API Gateway: a method or integration to the function it invokes synchronously, once per request; a REST method
 * whose `AWS` service integration sends the request to an SQS queue (`arn:…:apigateway:<region>:sqs:path/<account>/<queue>`,
 * as `QueueBackedApi` does) to that queue, once per request (a client's retries are outside the template).
 */
export const API_GATEWAY_LINKS: LinkSource = {
  name: 'API Gateway Lambda and SQS integrations',
  find(graph) {
    for (const { integration, fn } of apiIntegrations(graph.model)) graph.link(integration, fn, 'api-integration', 1);
    for (const method of graph.model.ofType(CFN_TYPE.API_METHOD)) {
      const { integrationType, integrationUri } = readApiMethod(method);
      if (integrationType !== 'AWS' || !/:apigateway:[^:]*:sqs:path\//.test(flatten(integrationUri))) continue;
      for (const queue of graph.model.referencedBy(integrationUri, CFN_TYPE.QUEUE)) graph.link(method, queue, 'api-integration', 1);
    }
  },
};
