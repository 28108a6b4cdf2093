import { API_GATEWAY_LINKS } from './api-gateway';
import { ASYNC_INVOKER_LINKS } from './async-invokers';
import { EVENTBRIDGE_LINKS } from './eventbridge';
import { IAM_LINKS } from './iam';
import { LAMBDA_LINKS } from './lambda';
import { LinkSource } from './linker';
import { PIPE_LINKS } from './pipes';
import { S3_LINKS } from './s3';
import { SCHEDULER_LINKS } from './scheduler';
import { SNS_LINKS } from './sns';
import { SQS_LINKS } from './sqs';
import { STREAM_LINKS } from './streams';

export { RECEIVED } from './linker';
export type { Linker, LinkSource } from './linker';

/** Every integration of the engine: the event graph asks each, in this order, for the links it finds. */
export const LINKS: readonly LinkSource[] = [
  SQS_LINKS,
  EVENTBRIDGE_LINKS,
  SNS_LINKS,
  S3_LINKS,
  LAMBDA_LINKS,
  ASYNC_INVOKER_LINKS,
  IAM_LINKS,
  STREAM_LINKS,
  PIPE_LINKS,
  SCHEDULER_LINKS,
  API_GATEWAY_LINKS,
];
