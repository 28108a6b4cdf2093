import { CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE, CfnModel } from '../../../src/checks/model/cfn-model';
import { EventGraph } from '../../../src/checks/model/event-graph';
import { RuleContext } from '../../../src/checks/rule';
import { ChecksUnreadableResource } from '../../../src/checks/rules/checks-unreadable-resource';
import { newStack } from '../../helpers';
import { reported } from '../nag';

const RULE = 'Resilience-Checks1';

/** A queue whose name throws `message` when the template is rendered. */
function unreadableQueue(stack: Stack, message = 'not known yet'): CfnResource {
  return new CfnResource(stack, 'Unreadable', {
    type: CFN_TYPE.QUEUE,
    properties: { QueueName: Lazy.string({ produce: () => { throw new Error(message); } }) },
  });
}

/** What a rule sees of `stack`. */
function contextOf(stack: Stack): RuleContext {
  const model = new CfnModel(stack);
  return { model, graph: new EventGraph(model), pathsFrom: () => [], pathsIncompleteFrom: () => false, retryBudgetThreshold: 25 };
}

describe('Resilience-Checks1: the checks could read the resource', () => {
  test('a resource that throws while rendering is non-compliant, with the error as the finding\'s details', () => {
    // GIVEN
    const stack = newStack();
    const unreadable = unreadableQueue(stack, 'not known yet\nat line 2');
    const context = contextOf(stack);
    // WHEN / THEN
    expect(ChecksUnreadableResource.check(unreadable, context)).toEqual(NagRuleCompliance.NON_COMPLIANT);
    expect(ChecksUnreadableResource.describe!(unreadable, context)).toEqual('Resolution error: not known yet');
  });

  test('a resource that renders is not applicable', () => {
    // GIVEN
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Queue');
    // WHEN / THEN
    expect(ChecksUnreadableResource.check(queue.node.defaultChild as CfnResource, contextOf(stack))).toEqual(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('the other rules of the pack do not fail on a resource that cannot be read', () => {
    // GIVEN
    const stack = newStack();
    unreadableQueue(stack);
    // WHEN / THEN: reported() fails if a rule threw
    expect(reported(stack, 'Resilience-SQS1')).toEqual([]);
  });

  // Runs once the pack registers the rule.
  test('the pack reports it as a warning on the resource', () => {
    // GIVEN
    const stack = newStack();
    unreadableQueue(stack);
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Unreadable', severity: 'warning' }]);
  });
});
