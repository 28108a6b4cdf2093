import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';

/** An AWS service that encrypts what it sends to a resource that `key` encrypts, and what is lost when it cannot. */
export interface KeyUser {
  /** The service principal, e.g. `events.amazonaws.com`. */
  readonly servicePrincipal: string;
  /** The service as messages name it, e.g. `EventBridge`. */
  readonly serviceName: string;
  /** What the key encrypts, e.g. `the dead-letter queue of Stack/Bus`. */
  readonly encrypts: string;
  /** What would be lost, e.g. `every event it could not deliver`. */
  readonly loss: string;
  /** What to give instead, e.g. `a kms.Key of this app, or none (SSE-SQS)`. */
  readonly instead: string;
}

/** The services each key already lets use it, so that a statement is added once. */
const OPENED = new WeakMap<kms.IKey, Set<string>>();

/**
 * Lets `user.servicePrincipal` use `key` (`kms:GenerateDataKey`, `kms:Decrypt`),
 * through the key policy, for the resources of `scope`'s account: a service
 * that sends to a resource encrypted with a customer-managed key needs both.
 * The condition names the account, not the resource: a key policy that names
 * a resource which names the key would be a dependency cycle.
 *
 * Throws when the app cannot change the key's policy (an imported key or an
 * alias): the service could not use the key, and what it sends would be lost
 * without an error anywhere.
 */
export function allowServiceToUseKey(scope: IConstruct, key: kms.IKey, user: KeyUser): void {
  const opened = OPENED.get(key) ?? new Set<string>();
  if (opened.has(user.servicePrincipal)) return;
  const { statementAdded } = key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(user.servicePrincipal)],
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
  }));
  if (!statementAdded) {
    throw new Error(`${user.encrypts} is encrypted with the key ${key.node.path}, whose key policy this app cannot change `
      + `(an imported key or an alias): ${user.serviceName} could not use it, so ${user.loss} would be lost; use ${user.instead}`);
  }
  opened.add(user.servicePrincipal);
  OPENED.set(key, opened);
}
