/**
 * The IAM roles that SAM generates for functions, state machines and their
 * events, and the policies it puts in them: the `Policies` a user lists
 * (managed policy names or ARNs, policy documents, policy templates) and the
 * statements an event, a dead-letter queue or a destination needs.
 *
 * Policy templates: only those that let a role send to a queue, publish to a
 * topic, put events on a bus, invoke a function or start a state machine are
 * written out, as SAM writes them; the checks read no other grant. Any other
 * template becomes a policy without statements, under the name SAM gives it.
 * @see https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-template-list.html
 */
import { CfnResourceBody, isObject, listOf } from './context';

/** A statement of a policy document. */
export type Statement = Record<string, unknown>;

const PARTITION_ARN = 'arn:${AWS::Partition}';

/** `Fn::Sub` of an ARN with one variable, as SAM's policy templates write it. */
function arnSub(pattern: string, variable: string, value: unknown): unknown {
  return { 'Fn::Sub': [`${PARTITION_ARN}:${pattern}`, { [variable]: value }] };
}

/** The policy templates that grant what the checks read, by name: their statements for the template's parameters. */
const SEND_TEMPLATES: Record<string, (p: Record<string, unknown>) => Statement[]> = {
  SQSSendMessagePolicy: p => [{
    Action: ['sqs:SendMessage*'],
    Effect: 'Allow',
    Resource: arnSub('sqs:${AWS::Region}:${AWS::AccountId}:${queueName}', 'queueName', p.QueueName),
  }],
  SNSPublishMessagePolicy: p => [{
    Action: ['sns:Publish'],
    Effect: 'Allow',
    Resource: arnSub('sns:${AWS::Region}:${AWS::AccountId}:${topicName}', 'topicName', p.TopicName),
  }],
  SNSCrudPolicy: p => [{
    Action: ['sns:ListSubscriptionsByTopic', 'sns:CreateTopic', 'sns:SetTopicAttributes', 'sns:Subscribe', 'sns:Publish'],
    Effect: 'Allow',
    Resource: arnSub('sns:${AWS::Region}:${AWS::AccountId}:${topicName}*', 'topicName', p.TopicName),
  }],
  EventBridgePutEventsPolicy: p => [{
    Action: 'events:PutEvents',
    Effect: 'Allow',
    Resource: arnSub('events:${AWS::Region}:${AWS::AccountId}:event-bus/${eventBusName}', 'eventBusName', p.EventBusName),
  }],
  LambdaInvokePolicy: p => [{
    Action: ['lambda:InvokeFunction'],
    Effect: 'Allow',
    Resource: arnSub('lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*', 'functionName', p.FunctionName),
  }],
  StepFunctionsExecutionPolicy: p => [{
    Action: ['states:StartExecution'],
    Effect: 'Allow',
    Resource: arnSub('states:${AWS::Region}:${AWS::AccountId}:stateMachine:${stateMachineName}', 'stateMachineName', p.StateMachineName),
  }],
  StepFunctionsExecutionPolicy_v2: p => [{
    Action: ['states:StartExecution', 'states:StartSyncExecution'],
    Effect: 'Allow',
    Resource: arnSub('states:${AWS::Region}:${AWS::AccountId}:stateMachine:${stateMachineName}', 'stateMachineName', p.StateMachineName),
  }],
};

/** The ARN of an AWS managed policy of Lambda's service roles. */
export function lambdaManagedPolicy(name: string): string {
  return `arn:aws:iam::aws:policy/service-role/${name}`;
}

/** A role that SAM generates, filled in as the resource and its events are expanded. */
export class GeneratedRole {
  public readonly managedPolicyArns: unknown[] = [];
  public readonly policies: Array<{ PolicyName: string; PolicyDocument: Record<string, unknown> }> = [];

  constructor(public readonly logicalId: string, private readonly service: string) {}

  public addManaged(arn: unknown): void {
    if (!this.managedPolicyArns.some(existing => JSON.stringify(existing) === JSON.stringify(arn))) this.managedPolicyArns.push(arn);
  }

  /** A policy named `name`, unless a policy with the same document is there already (as SAM does). */
  public addPolicy(name: string, document: Record<string, unknown>): void {
    if (this.policies.some(p => JSON.stringify(p.PolicyDocument) === JSON.stringify(document))) return;
    this.policies.push({ PolicyName: name, PolicyDocument: document });
  }

  /** One statement in a policy of its own. */
  public allow(name: string, action: unknown, resource: unknown): void {
    this.addPolicy(name, { Statement: [{ Action: action, Effect: 'Allow', Resource: resource }] });
  }

  /**
   * The `Policies` a user lists, each as SAM reads it: a name or an intrinsic is a managed policy; a document
   * (with `Statement`) or a policy template is an inline policy named `<role>Policy<index>`.
   */
  public addUserPolicies(policies: unknown): void {
    listOf(policies).forEach((entry, index) => {
      const name = `${this.logicalId}Policy${index}`;
      if (typeof entry === 'string' || (isObject(entry) && isIntrinsic(entry))) {
        this.addManaged(typeof entry === 'string' && !entry.startsWith('arn:') ? `arn:aws:iam::aws:policy/${entry}` : entry);
      } else if (isObject(entry) && entry.Statement !== undefined) {
        this.addPolicy(name, entry);
      } else if (isObject(entry) && Object.keys(entry).length === 1) {
        const [template, parameters] = Object.entries(entry)[0];
        const statements = SEND_TEMPLATES[template]?.(isObject(parameters) ? parameters : {}) ?? [];
        this.policies.push({ PolicyName: name, PolicyDocument: { Statement: statements } });
      }
    });
  }

  public toResource(extra: Record<string, unknown> = {}): CfnResourceBody {
    return {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: ['sts:AssumeRole'], Effect: 'Allow', Principal: { Service: [this.service] } }],
        },
        ManagedPolicyArns: this.managedPolicyArns,
        ...this.policies.length > 0 && { Policies: this.policies },
        ...extra,
      },
    };
  }
}

/** A role that a service assumes to start a state machine or invoke a function for an event (`<id>Role`). */
export function serviceRole(logicalId: string, service: string, policyName: string, action: string, resource: unknown): CfnResourceBody {
  const role = new GeneratedRole(logicalId, service);
  role.allow(policyName, action, resource);
  const body = role.toResource();
  delete body.Properties!.ManagedPolicyArns;
  return body;
}

function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}
