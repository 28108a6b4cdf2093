import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** What a table of disposable, expiring records needs to know. */
export interface DisposableTableOptions {
  /** The string partition key the runtime writes. */
  readonly partitionKey: string;
  /** The attribute, in epoch seconds, by which DynamoDB deletes expired records. */
  readonly timeToLiveAttribute: string;
  readonly tableName?: string;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
  /** Why the records need no point-in-time recovery (the `AwsSolutions-DDB3` acknowledgement). */
  readonly noRecoveryReason: string;
}

/**
 * The `Resource` child of a construct whose table holds only records that
 * expire and can be lost (circuit state, idempotency records): on-demand,
 * keyed by one string attribute, with TTL, destroyed with the stack unless
 * told otherwise, and no point-in-time recovery.
 */
export function disposableTable(scope: Construct, options: DisposableTableOptions): dynamodb.TableV2 {
  const table = new dynamodb.TableV2(scope, 'Resource', {
    tableName: options.tableName,
    partitionKey: { name: options.partitionKey, type: dynamodb.AttributeType.STRING },
    billing: dynamodb.Billing.onDemand(),
    timeToLiveAttribute: options.timeToLiveAttribute,
    removalPolicy: options.removalPolicy ?? RemovalPolicy.DESTROY,
  });
  // cdk-nag 3.0 checks point-in-time recovery on AWS::DynamoDB::Table only, not on the
  // GlobalTable of TableV2; the acknowledgement states the reason for when it does.
  Validations.of(table).acknowledge({ id: 'AwsSolutions-DDB3', reason: options.noRecoveryReason });
  return table;
}
