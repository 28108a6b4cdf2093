import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { taskStates } from '../model/state-machine-definition';
import { ResilienceRule } from '../rule';

/**
 * Resilience-StepFunctions1: a state machine that is started asynchronously
 * (the target of an EventBridge rule, or started by a function that is
 * invoked asynchronously) handles the transient errors of each Task state,
 * with a `Retry` or a `Catch`: nothing retries a failed execution, and the
 * event that started it is lost.
 *
 * Read from `Definition` or `DefinitionString` (see
 * `state-machine-definition.ts`); a definition in S3 or one the template does
 * not show is not checked.
 */
export const StepFunctionsTaskTransientErrors: ResilienceRule = {
  id: 'StepFunctions1',
  info: 'The state machine is started asynchronously and has Task states with neither a Retry for transient errors nor a Catch: a transient error fails the execution, and nothing starts it again.',
  explanation: 'Give each Task a Retry for its transient errors (for a Lambda task: Lambda.ServiceException, Lambda.AWSLambdaException, Lambda.SdkClientException; LambdaInvoke adds one unless retryOnServiceExceptions is false) or a Catch, on the task or on a Parallel or Map state around it.',
  level: NagMessageLevel.WARN,
  check(node, { model, graph }) {
    const stateMachine = model.resourceOf(node);
    if (stateMachine?.type !== CFN_TYPE.STATE_MACHINE) return NagRuleCompliance.NOT_APPLICABLE;
    if (!graph.isStartedAsynchronously(stateMachine) && !graph.isPossiblyStartedAsynchronously(stateMachine)) return NagRuleCompliance.NOT_APPLICABLE;
    const tasks = taskStates(model, stateMachine);
    if (!tasks) return NagRuleCompliance.NOT_APPLICABLE;
    return tasks.every(task => task.covered) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
  describe(node, { model, graph }) {
    const stateMachine = model.resourceOf(node);
    const uncovered = (stateMachine && taskStates(model, stateMachine) || []).filter(task => !task.covered);
    const possibly = stateMachine && graph.isPossiblyStartedAsynchronously(stateMachine)
      ? 'possibly started asynchronously: a function invoked asynchronously names it in its environment and may start every state machine; '
      : '';
    return `${possibly}unhandled: ${uncovered.map(task => `${task.path}${task.lambda ? ' (Lambda)' : ''}`).join(', ')}`;
  },
};
