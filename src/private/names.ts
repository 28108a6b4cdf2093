import * as crypto from 'crypto';
import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { LIMITS } from './defaults';

/**
 * A deterministic physical queue name for `scope`: readable, unique per stack
 * name and construct path, at most 80 characters, with `.fifo` when needed.
 *
 * Knowing a queue's name before it exists lets another resource name its ARN
 * without referencing it, which is how a dead-letter queue's redrive-allow
 * policy can list a source whose redrive policy names the dead-letter queue.
 */
export function deterministicQueueName(scope: IConstruct, fifo: boolean): string {
  const stack = Stack.of(scope);
  const stackName = Token.isUnresolved(stack.stackName) ? '' : stack.stackName;
  const relativePath = scope.node.scopes.slice(scope.node.scopes.indexOf(stack) + 1).map(s => s.node.id);
  const hash = crypto.createHash('sha256').update(`${stackName}\n${scope.node.path}`).digest('hex').slice(0, 8);
  const suffix = fifo ? '.fifo' : '';
  const readable = [stackName, ...relativePath].join('-').replace(/[^A-Za-z0-9_-]/g, '');
  const room = LIMITS.queueName - suffix.length - hash.length - 1;
  return `${readable.slice(0, room)}-${hash}${suffix}`;
}

/** The ARN of a queue in the stack of `scope`, built from its name (no reference to the queue). */
export function queueArnFromName(scope: IConstruct, queueName: string): string {
  return Stack.of(scope).formatArn({ service: 'sqs', resource: queueName });
}
