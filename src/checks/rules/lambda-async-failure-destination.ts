import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readEventInvokeConfig, readFunction } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/**
 * Resilience-Lambda1: a function that is invoked asynchronously (by SNS, S3,
 * EventBridge, another function's destination, a pipe's `FIRE_AND_FORGET`
 * target, an API Gateway integration with `X-Amz-Invocation-Type: 'Event'`,
 * an IoT Events Lambda action, a Step Functions task with
 * `InvocationType: Event`, or a service that holds a permission to invoke it)
 * has an on-failure destination or a dead-letter queue. aws-cdk-lib's own
 * functions (custom resource handlers) are not checked: see
 * `machineryFunctions`.
 */
export const LambdaAsyncFailureDestination: ResilienceRule = {
  id: 'Lambda1',
  info: 'The Lambda function is invoked asynchronously and has neither an on-failure destination nor a dead-letter queue: an event that fails every retry is dropped.',
  explanation: 'Give the function an on-failure destination (onFailure: new SqsDestination(queue)) or a deadLetterQueue, or use AsyncFunction, which does.',
  level: NagMessageLevel.ERROR,
  check(node, { model, graph }) {
    const fn = model.resourceOf(node);
    if (fn?.type !== CFN_TYPE.FUNCTION || !graph.isInvokedAsynchronously(fn)) return NagRuleCompliance.NOT_APPLICABLE;
    const deadLetterQueue = readFunction(fn).deadLetterTargetArn !== undefined;
    const onFailure = graph.eventInvokeConfigsOf(fn).some(config => readEventInvokeConfig(config).onFailureDestination !== undefined);
    return deadLetterQueue || onFailure ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
