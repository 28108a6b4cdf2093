/** The anchor: `n` `SqsToLambda`s of AWS Solutions Constructs, with the same function and its own defaults. */
import { SqsToLambda } from '@aws-solutions-constructs/aws-sqs-lambda';
import { functionProps, synthApp } from './harness';

synthApp((stack, id) => {
  new SqsToLambda(stack, id, { lambdaFunctionProps: functionProps() });
});
