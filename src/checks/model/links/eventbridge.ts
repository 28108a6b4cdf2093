import { CFN_TYPE } from '../cfn-model';
import { readRule } from '../cfn-properties';
import { Linker, LinkSource, RECEIVED } from './linker';

const { QUEUE, BUS, RULE, API_DESTINATION } = CFN_TYPE;

/** EventBridge: a bus to its rules, a rule to its targets and to their dead-letter queues. */
export const EVENTBRIDGE_LINKS: LinkSource = {
  name: 'EventBridge rules',
  find: graph => linkRules(graph),
};

function linkRules(graph: Linker): void {
  for (const rule of graph.model.ofType(RULE)) {
    const { eventBusName, targets } = readRule(rule);
    const bus = typeof eventBusName === 'string' && !eventBusName.startsWith('arn:')
      ? graph.model.named('events', eventBusName)
      : graph.model.referencedOne(eventBusName, BUS);
    if (bus) graph.link(bus, rule, 'rule', 1);
    for (const target of targets ?? []) {
      for (const to of graph.model.referencedBy(target.arn)) {
        // EventBridge retries an API destination that answers 429 or 5xx: each retry is a call.
        if (to.type === API_DESTINATION) {
          graph.link(rule, to, 'rule-target', target.maximumRetryAttempts === undefined ? undefined : 1 + target.maximumRetryAttempts);
        } else {
          graph.link(rule, to, 'rule-target', RECEIVED);
        }
      }
      for (const dlq of graph.model.referencedBy(target.deadLetterArn, QUEUE)) {
        graph.link(rule, dlq, 'rule-dead-letter', RECEIVED);
      }
    }
  }
}
