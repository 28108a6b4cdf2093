import { CFN_TYPE } from '../cfn-model';
import { readEventInvokeConfig, readFunction } from '../cfn-properties';
import { LAMBDA_DESTINATION_EVENTS } from '../event-patterns';
import { Linker, LinkSource, RECEIVED } from './linker';

const { QUEUE, FUNCTION, TOPIC, BUS } = CFN_TYPE;

/** Lambda: a function to its on-failure and on-success destinations and to its dead-letter queue or topic. */
export const LAMBDA_LINKS: LinkSource = {
  name: 'Lambda destinations and dead-letter queues',
  find: graph => linkFunctionFailureTargets(graph),
};

function linkFunctionFailureTargets(graph: Linker): void {
  for (const config of graph.model.ofType(CFN_TYPE.EVENT_INVOKE_CONFIG)) {
    const { functionName, onFailureDestination, onSuccessDestination } = readEventInvokeConfig(config);
    for (const fn of graph.model.referencedBy(functionName, FUNCTION)) {
      for (const to of graph.model.referencedBy(onFailureDestination, FUNCTION, QUEUE, TOPIC, BUS)) {
        graph.link(fn, to, 'on-failure', RECEIVED, to.type === BUS ? LAMBDA_DESTINATION_EVENTS['on-failure'] : undefined);
      }
      for (const to of graph.model.referencedBy(onSuccessDestination, FUNCTION, QUEUE, TOPIC, BUS)) {
        graph.link(fn, to, 'on-success', RECEIVED, to.type === BUS ? LAMBDA_DESTINATION_EVENTS['on-success'] : undefined);
      }
    }
  }
  for (const fn of graph.model.ofType(FUNCTION)) {
    for (const to of graph.model.referencedBy(readFunction(fn).deadLetterTargetArn, QUEUE, TOPIC)) {
      graph.link(fn, to, 'function-dead-letter', RECEIVED);
    }
  }
}
