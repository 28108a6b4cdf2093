import { apiIntegrations } from '../api-integrations';
import { LinkSource } from './linker';

/** API Gateway: a method or integration to the function it invokes synchronously, once per request. */
export const API_GATEWAY_LINKS: LinkSource = {
  name: 'API Gateway Lambda integrations',
  find(graph) {
    for (const { integration, fn } of apiIntegrations(graph.model)) graph.link(integration, fn, 'api-integration', 1);
  },
};
