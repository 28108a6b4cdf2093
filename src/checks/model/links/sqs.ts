import { CFN_TYPE } from '../cfn-model';
import { readEventSourceMapping, readQueue } from '../cfn-properties';
import { Linker, LinkSource, RECEIVED } from './linker';

const { QUEUE, FUNCTION } = CFN_TYPE;

/** SQS: a queue to the function that an event source mapping invokes with its messages; a queue to its dead-letter queue. */
export const SQS_LINKS: LinkSource = {
  name: 'SQS event source mappings and redrive policies',
  find(graph) {
    linkEventSourceMappings(graph);
    linkQueueRedrives(graph);
  },
};

function linkEventSourceMappings(graph: Linker): void {
  for (const mapping of graph.model.ofType(CFN_TYPE.EVENT_SOURCE_MAPPING)) {
    const { eventSourceArn, functionName } = readEventSourceMapping(mapping);
    const queue = graph.model.referencedOne(eventSourceArn, QUEUE);
    const fn = graph.model.referencedOne(functionName, FUNCTION);
    if (!queue || !fn) continue;
    graph.link(queue, fn, 'event-source-mapping', graph.receiveAttempts(queue));
  }
}

function linkQueueRedrives(graph: Linker): void {
  for (const queue of graph.model.ofType(QUEUE)) {
    for (const dlq of graph.model.referencedBy(readQueue(queue).deadLetterTargetArn, QUEUE)) {
      graph.link(queue, dlq, 'redrive', RECEIVED);
    }
  }
}
