import { CFN_TYPE, ModelResource } from '../cfn-model';
import { readBucketNotifications } from '../cfn-properties';
import { Linker, LinkSource, RECEIVED } from './linker';

const { QUEUE, FUNCTION, TOPIC } = CFN_TYPE;

/** S3: a bucket to the functions, queues and topics it notifies. */
export const S3_LINKS: LinkSource = {
  name: 'S3 notifications',
  find: graph => linkBucketNotifications(graph),
};

function linkBucketNotifications(graph: Linker): void {
  for (const bucket of graph.model.ofType(CFN_TYPE.BUCKET)) {
    linkNotifications(graph, bucket, readBucketNotifications(bucket).targets);
  }
  // The S3 notifications of aws-cdk-lib: a custom resource that configures the bucket.
  for (const custom of graph.model.ofType(CFN_TYPE.BUCKET_NOTIFICATIONS)) {
    const { bucketName, targets } = readBucketNotifications(custom);
    linkNotifications(graph, graph.model.referencedOne(bucketName, CFN_TYPE.BUCKET) ?? custom, targets);
  }
}

function linkNotifications(graph: Linker, bucket: ModelResource, targets: readonly unknown[]): void {
  for (const target of targets) {
    for (const to of graph.model.referencedBy(target, FUNCTION, QUEUE, TOPIC)) {
      graph.link(bucket, to, 'notification', RECEIVED);
    }
  }
}
