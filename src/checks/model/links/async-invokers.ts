import { invokesAsynchronously } from '../api-integrations';
import { CFN_TYPE } from '../cfn-model';
import { readApiMethod, readDetectorModel } from '../cfn-properties';
import { taskStates } from '../state-machine-definition';
import { Linker, LinkSource, RECEIVED } from './linker';

const { FUNCTION, STATE_MACHINE } = CFN_TYPE;

/**
 * The resources that invoke a function asynchronously by a setting of their own: an API Gateway method whose
 * integration sets `X-Amz-Invocation-Type` to `'Event'`, an IoT Events detector model's Lambda action, a Step
 * Functions Lambda task with `InvocationType: Event`.
 */
export const ASYNC_INVOKER_LINKS: LinkSource = {
  name: 'settings that invoke a function asynchronously',
  find: graph => linkAsyncInvokers(graph),
};

/** The resources that invoke a function asynchronously by a setting of their own (see `EdgeKind` `async-invoke`). */
function linkAsyncInvokers(graph: Linker): void {
  // An API Gateway method whose Lambda integration sets X-Amz-Invocation-Type to 'Event': Lambda queues the request.
  for (const method of graph.model.ofType(CFN_TYPE.API_METHOD)) {
    const { integrationType, integrationUri, requestParameters } = readApiMethod(method);
    if (integrationType !== 'AWS' || !invokesAsynchronously(requestParameters)) continue;
    for (const fn of graph.model.referencedBy(integrationUri, FUNCTION)) graph.link(method, fn, 'async-invoke', RECEIVED);
  }
  // An IoT Events detector model's Lambda action.
  for (const detector of graph.model.ofType(CFN_TYPE.IOT_EVENTS_DETECTOR_MODEL)) {
    for (const fn of graph.model.referencedBy(readDetectorModel(detector).lambdaActions, FUNCTION)) graph.link(detector, fn, 'async-invoke', RECEIVED);
  }
  // A Step Functions Lambda task that invokes with InvocationType Event.
  for (const stateMachine of graph.model.ofType(STATE_MACHINE)) {
    for (const task of taskStates(graph.model, stateMachine) ?? []) {
      for (const fn of task.invokedAsynchronously) graph.link(stateMachine, fn, 'async-invoke', RECEIVED);
    }
  }
}
