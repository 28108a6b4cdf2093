/**
 * What `BatchDeferral` calls in a consumer of a `QueueDecoupledFunction` must
 * be allowed by the construct's grants, through its public API only:
 * `sqs:ChangeMessageVisibility` (ChangeMessageVisibilityBatch is authorized
 * as ChangeMessageVisibility) and `sqs:GetQueueAttributes` (the default
 * `minDelay` reads the queue's visibility timeout) on the function's own
 * queue, and on no other queue.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { QueueDecoupledFunction } from '../../src';
import { FLAG_SETS, handlerProps, logicalIdOf, newApp } from '../helpers';

/** The SQS calls of a deferral, as IAM actions. */
const DEFERRAL_ACTIONS = ['sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'];

/** Whether an IAM action pattern (`sqs:*`, `sqs:Change*`, ...) covers `action`. */
function covers(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(part => part.replace(/[.?+^$()[\]{}|\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}

/** The resources on which the policies attached to `fn`'s role allow `action`. */
function resourcesAllowing(template: Template, fn: lambda.IFunction, action: string): unknown[] {
  const roleId = logicalIdOf(fn.role!);
  const resources: unknown[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (!JSON.stringify(policy.Properties.Roles ?? []).includes(JSON.stringify({ Ref: roleId }))) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      const actions: string[] = [statement.Action].flat();
      if (statement.Effect === 'Allow' && actions.some(a => covers(a, action))) {
        resources.push(...[statement.Resource].flat());
      }
    }
  }
  return resources;
}

describe('BatchDeferral in a QueueDecoupledFunction', () => {
  describe.each(FLAG_SETS)('with %s feature flags', (flags) => {
    test.each(['functionProps', 'function'] as const)('its function (from %s) may change visibility and read attributes on its own queue and on no other', (source) => {
      // GIVEN two QueueDecoupledFunctions in one stack
      const stack = new Stack(newApp(flags), 'Test');
      const orders = source === 'functionProps'
        ? new QueueDecoupledFunction(stack, 'Orders', { functionProps: handlerProps })
        : new QueueDecoupledFunction(stack, 'Orders', { function: new lambda.Function(stack, 'OrdersFunction', handlerProps) });
      const refunds = new QueueDecoupledFunction(stack, 'Refunds', { functionProps: handlerProps });

      // WHEN
      const template = Template.fromStack(stack);

      // THEN each function may call what a deferral calls on its own queue, and nowhere else
      for (const [qdf, other] of [[orders, refunds], [refunds, orders]]) {
        for (const action of DEFERRAL_ACTIONS) {
          const resources = resourcesAllowing(template, qdf.function, action);
          expect(resources).toEqual([{ 'Fn::GetAtt': [logicalIdOf(qdf.queue), 'Arn'] }]);
          expect(JSON.stringify(resources)).not.toContain(logicalIdOf(other.queue));
          expect(JSON.stringify(resources)).not.toContain(logicalIdOf(qdf.deadLetterQueue.queue));
        }
      }
    });
  });
});
