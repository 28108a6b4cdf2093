import { NagMessageLevel, rules } from 'cdk-nag';
import { ResilienceRule } from '../rule';

/**
 * Resilience-SQS2: the visibility timeout of a queue that a Lambda function
 * consumes is at least 6 × the function's timeout (cdk-nag's
 * `LambdaEventSourceSQSVisibilityTimeout`, on the event source mapping).
 */
export const SqsVisibilityTimeout: ResilienceRule = {
  id: 'SQS2',
  info: 'The SQS queue\'s visibility timeout is below 6 × the timeout of the function that consumes it: a message can become visible again while a batch is still being processed, and is processed twice.',
  explanation: 'Set the queue\'s visibilityTimeout to at least 6 × the function timeout (plus the batching window), as AWS recommends for Lambda event sources.',
  level: NagMessageLevel.ERROR,
  check(node) {
    return rules.lambda.LambdaEventSourceSQSVisibilityTimeout(node);
  },
};
