import { CFN_TYPE } from '../cfn-model';
import { readSchedule } from '../cfn-properties';
import { Linker, LinkSource, RECEIVED } from './linker';

const { QUEUE, FUNCTION, TOPIC, BUS, STATE_MACHINE } = CFN_TYPE;

/** EventBridge Scheduler: a schedule to its target, and to its target's dead-letter queue. */
export const SCHEDULER_LINKS: LinkSource = {
  name: 'EventBridge Scheduler schedules',
  find: graph => linkSchedules(graph),
};

/**
 * An EventBridge Scheduler schedule to its target (a function invoked
 * asynchronously: Lambda's retries apply; anything else, once per
 * invocation), and to the dead-letter queue of its target. Scheduler's own
 * retries (185 by default) are of deliveries that failed, not of the
 * target's work: they are not counted as attempts of the target.
 */
function linkSchedules(graph: Linker): void {
  for (const schedule of graph.model.ofType(CFN_TYPE.SCHEDULE)) {
    const { targetArn, deadLetterArn } = readSchedule(schedule);
    for (const to of graph.model.referencedBy(targetArn, FUNCTION, QUEUE, TOPIC, BUS, STATE_MACHINE)) {
      graph.link(schedule, to, 'schedule-target', RECEIVED);
    }
    for (const dlq of graph.model.referencedBy(deadLetterArn, QUEUE)) {
      graph.link(schedule, dlq, 'schedule-dead-letter', RECEIVED);
    }
  }
}
