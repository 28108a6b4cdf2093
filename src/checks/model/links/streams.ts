import { AWS_DEFAULTS } from '../../../private/defaults';
import { CFN_TYPE } from '../cfn-model';
import { readEventSourceMapping, readFunction } from '../cfn-properties';
import { kindOf, retentionSecondsOf, streamAttempts, streamOf } from '../stream-consumers';
import { Linker, LinkSource, RECEIVED } from './linker';

const { QUEUE, FUNCTION, TOPIC } = CFN_TYPE;

/** Kinesis and DynamoDB streams: a stream to the function an event source mapping invokes, and on to its on-failure destination. */
export const STREAM_LINKS: LinkSource = {
  name: 'stream event source mappings',
  find: graph => linkStreamMappings(graph),
};

/**
 * A stream (Kinesis or DynamoDB) to the function that an event source
 * mapping invokes with its records, attempted `streamAttempts()` times per
 * record; the function to the mapping's on-failure destination.
 */
function linkStreamMappings(graph: Linker): void {
  for (const mapping of graph.model.ofType(CFN_TYPE.EVENT_SOURCE_MAPPING)) {
    const settings = readEventSourceMapping(mapping, AWS_DEFAULTS.streamBatchSize);
    const stream = streamOf(graph.model, settings.eventSourceArn);
    const fn = graph.model.referencedOne(settings.functionName, FUNCTION);
    if (!stream || !fn) continue;
    graph.link(stream, fn, 'stream-mapping', streamAttempts({
      retryAttempts: settings.maximumRetryAttempts,
      maxRecordAgeSeconds: settings.maximumRecordAgeSeconds,
      bisect: settings.bisectBatchOnFunctionError,
      batchSize: settings.batchSize,
      retentionSeconds: retentionSecondsOf(graph.model, settings.eventSourceArn, kindOf(stream)),
      attemptSeconds: readFunction(fn).timeoutSeconds,
    }));
    for (const to of graph.model.referencedBy(settings.onFailureDestination, QUEUE, TOPIC, CFN_TYPE.BUCKET)) {
      graph.link(fn, to, 'stream-on-failure', RECEIVED);
    }
  }
}
