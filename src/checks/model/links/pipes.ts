import { CFN_TYPE } from '../cfn-model';
import { readFunction, readPipe, readStateMachine } from '../cfn-properties';
import { kindOf, retentionSecondsOf, streamAttempts, streamOf } from '../stream-consumers';
import { Linker, LinkSource } from './linker';

const { QUEUE, FUNCTION, TOPIC, STATE_MACHINE } = CFN_TYPE;

/** EventBridge Pipes: a source to its pipe, a pipe to its target, enrichment and dead-letter queue. */
export const PIPE_LINKS: LinkSource = {
  name: 'EventBridge pipes',
  find: graph => linkPipes(graph),
};

/**
 * How long an attempt of a pipe whose target is not a function is counted
 * to take, when its retries are unbounded: EventBridge documents no retry
 * interval, so one attempt per second is assumed.
 */
const PIPE_ATTEMPT_SECONDS = 1;

/**
 * A pipe as a hop: its source (a queue or a stream) to the pipe, attempted
 * as the source retries (the queue's receives, the stream parameters'
 * retries); the pipe to its target and enrichment, invoked on each attempt
 * (a function target `FIRE_AND_FORGET` with its asynchronous retries on
 * top); the pipe to its stream source's dead-letter queue or topic.
 */
function linkPipes(graph: Linker): void {
  for (const pipe of graph.model.ofType(CFN_TYPE.PIPE)) {
    const { source, target, enrichment, lambdaInvocationType, stateMachineInvocationType, stream: parameters } = readPipe(pipe);
    const targets = graph.model.referencedBy(target);
    const enrichments = graph.model.referencedBy(enrichment);
    const queue = graph.model.referencedOne(source, QUEUE);
    const stream = queue ? undefined : streamOf(graph.model, source);
    if (queue) graph.linkCounted(queue, pipe, 'pipe-source', graph.receiveAttempts(queue), 'event');
    if (stream) {
      const fn = [...targets, ...enrichments].find(t => t.type === FUNCTION);
      graph.linkCounted(stream, pipe, 'pipe-source', streamAttempts({
        retryAttempts: parameters.maximumRetryAttempts,
        maxRecordAgeSeconds: parameters.maximumRecordAgeSeconds,
        bisect: parameters.bisect,
        batchSize: parameters.batchSize,
        retentionSeconds: retentionSecondsOf(graph.model, source, kindOf(stream)),
        attemptSeconds: fn ? readFunction(fn).timeoutSeconds : PIPE_ATTEMPT_SECONDS,
      }), 'event');
      for (const to of graph.model.referencedBy(parameters.deadLetterArn, QUEUE, TOPIC)) {
        graph.linkCounted(pipe, to, 'pipe-dead-letter', 1, 'event');
      }
    }
    for (const to of targets) {
      const async = (to.type === FUNCTION && lambdaInvocationType === 'FIRE_AND_FORGET')
        || (to.type === STATE_MACHINE && (stateMachineInvocationType === 'FIRE_AND_FORGET' || readStateMachine(to).type === 'STANDARD'));
      graph.linkCounted(pipe, to, async ? 'pipe-async-target' : 'pipe-target', async && to.type === FUNCTION ? graph.asyncAttempts(to) : 1, 'invocation');
    }
    // An enrichment is always invoked synchronously.
    for (const to of enrichments) graph.linkCounted(pipe, to, 'pipe-target', 1, 'invocation');
  }
}
