import * as crypto from 'crypto';
import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { LIMITS } from './defaults';

/**
 * A deterministic physical name for `scope`: readable, unique per stack name
 * and construct path, at most `maxLength` characters including `suffix`, made
 * of letters, digits, `-` and `_`.
 *
 * Knowing a resource's name before it exists lets another resource name its
 * ARN without referencing it, which breaks dependency cycles such as a
 * dead-letter queue's redrive-allow policy naming a source whose redrive
 * policy names the dead-letter queue.
 */
export function deterministicName(scope: IConstruct, maxLength: number, suffix = ''): string {
  const stack = Stack.of(scope);
  const stackName = Token.isUnresolved(stack.stackName) ? '' : stack.stackName;
  const relativePath = scope.node.scopes.slice(scope.node.scopes.indexOf(stack) + 1).map(s => s.node.id);
  const hash = crypto.createHash('sha256').update(`${stackName}\n${scope.node.path}`).digest('hex').slice(0, 8);
  const readable = [stackName, ...relativePath].join('-').replace(/[^A-Za-z0-9_-]/g, '');
  const room = maxLength - suffix.length - hash.length - 1;
  return `${readable.slice(0, room)}-${hash}${suffix}`;
}

/** A deterministic SQS queue name for `scope` (at most 80 characters, `.fifo` when needed). */
export function deterministicQueueName(scope: IConstruct, fifo: boolean): string {
  return deterministicName(scope, LIMITS.queueName, fifo ? '.fifo' : '');
}
