import { CFN_TYPE } from '../cfn-model';
import { readSubscription } from '../cfn-properties';
import { Linker, LinkSource, RECEIVED } from './linker';

const { QUEUE, FUNCTION, TOPIC } = CFN_TYPE;

/** SNS: a topic to its subscribed functions and queues, and to the dead-letter queues of its subscriptions. */
export const SNS_LINKS: LinkSource = {
  name: 'SNS subscriptions',
  find: graph => linkSubscriptions(graph),
};

function linkSubscriptions(graph: Linker): void {
  for (const subscription of graph.model.ofType(CFN_TYPE.SUBSCRIPTION)) {
    const { topicArn, endpoint, deadLetterTargetArn } = readSubscription(subscription);
    const topic = graph.model.referencedOne(topicArn, TOPIC);
    if (!topic) continue;
    for (const to of graph.model.referencedBy(endpoint, FUNCTION, QUEUE)) {
      graph.link(topic, to, 'subscription', RECEIVED);
    }
    for (const dlq of graph.model.referencedBy(deadLetterTargetArn, QUEUE)) {
      graph.link(topic, dlq, 'subscription-dead-letter', RECEIVED);
    }
  }
}
