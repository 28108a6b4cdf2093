import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';

/**
 * The resource part of an ARN as cdk-nag renders it in a finding id:
 * pseudo parameters that are tokens as `<AWS::...>`, known ones as they are.
 */
export function nagArnPrefix(scope: IConstruct, service: string): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `arn:<AWS::Partition>:${service}:${region}:${account}`;
}

/**
 * Acknowledges, on the grantee, the cdk-nag finding of a wildcard that the
 * library granted on purpose and that is the narrowest AWS allows.
 */
export function acknowledgeGrantedWildcard(grantee: iam.IGrantable, resource: string, reason: string): void {
  if (Construct.isConstruct(grantee.grantPrincipal)) {
    Validations.of(grantee.grantPrincipal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  }
}
