/**
 * The EventBridge rules and EventBridge Scheduler schedules that SAM makes of
 * a function's or a state machine's `EventBridgeRule`, `CloudWatchEvent`,
 * `Schedule` and `ScheduleV2` events: the rule or schedule `<Resource><Event>`,
 * with one target, its retry policy, and its dead-letter queue
 * (`<Resource><Event>Queue` when `DeadLetterConfig` gives a `Type` instead of an
 * `Arn`, with the queue policy that lets the rule send to it).
 * @see https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-eventbridgerule.html
 */
import { CfnResourceBody, defined, getAtt, isObject, ref, sendToQueuePolicy } from './context';
import { serviceRole } from './policies';

/** EventBridge's limit on a target's `Id`: SAM cuts a longer one before its suffix. */
const TARGET_ID_MAX_LENGTH = 64;

/** What a rule or schedule invokes. */
export interface RuleTarget {
  /** The target's ARN (`Fn::GetAtt` of the function, a `Ref` of its alias, a `Ref` of the state machine). */
  readonly arn: unknown;
  /** `LambdaTarget` or `StepFunctionsTarget`. */
  readonly idSuffix: string;
  /** The role EventBridge assumes to start a state machine (not for a function). */
  readonly roleArn?: unknown;
}

type Add = (logicalId: string, body: CfnResourceBody) => void;

/** A rule for an `EventBridgeRule`, `CloudWatchEvent` or `Schedule` event, and its dead-letter queue; returns the rule. */
export function eventRule(add: Add, logicalId: string, type: string, props: Record<string, any>, target: RuleTarget): CfnResourceBody {
  const schedule = type === 'Schedule';
  const deadLetterArn = isObject(props.DeadLetterConfig) ? ruleDeadLetterQueue(add, logicalId, props.DeadLetterConfig) : undefined;
  const givenId = isObject(props.Target) ? props.Target.Id : undefined;
  const rule: CfnResourceBody = {
    Type: 'AWS::Events::Rule',
    Properties: defined({
      ...schedule
        ? { ScheduleExpression: props.Schedule, Description: props.Description, Name: props.Name }
        : { EventBusName: props.EventBusName, EventPattern: props.Pattern, Name: props.RuleName },
      State: props.State ?? (props.Enabled === undefined ? undefined : props.Enabled ? 'ENABLED' : 'DISABLED'),
      Targets: [defined({
        Arn: target.arn,
        Id: givenId ?? targetId(logicalId, target.idSuffix),
        RoleArn: target.roleArn,
        Input: props.Input,
        InputPath: schedule ? undefined : props.InputPath,
        InputTransformer: schedule ? undefined : props.InputTransformer,
        DeadLetterConfig: deadLetterArn === undefined ? undefined : { Arn: deadLetterArn },
        RetryPolicy: props.RetryPolicy,
      })],
    }),
  };
  add(logicalId, rule);
  return rule;
}

/** A `ScheduleV2` event: an EventBridge Scheduler schedule, its role (unless `RoleArn`), its dead-letter queue. */
export function schedulerSchedule(add: Add, logicalId: string, props: Record<string, any>,
  target: { arn: unknown; policySuffix: string; action: string }): void {
  let deadLetterArn: unknown;
  if (isObject(props.DeadLetterConfig)) {
    deadLetterArn = props.DeadLetterConfig.Arn;
    if (deadLetterArn === undefined) {
      const queue = typeof props.DeadLetterConfig.QueueLogicalId === 'string' ? props.DeadLetterConfig.QueueLogicalId : `${logicalId}Queue`;
      add(queue, { Type: 'AWS::SQS::Queue', Properties: {} });
      deadLetterArn = getAtt(queue, 'Arn');
    }
  }
  let roleArn = props.RoleArn;
  if (roleArn === undefined) {
    const role = serviceRole(`${logicalId}Role`, 'scheduler.amazonaws.com', `${logicalId}${target.policySuffix}`, target.action, target.arn);
    if (deadLetterArn !== undefined) {
      (role.Properties!.Policies as unknown[]).push({
        PolicyName: `${logicalId}SQSPolicy`, PolicyDocument: { Statement: [{ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: deadLetterArn }] },
      });
    }
    if (props.PermissionsBoundary !== undefined) role.Properties!.PermissionsBoundary = props.PermissionsBoundary;
    add(`${logicalId}Role`, role);
    roleArn = getAtt(`${logicalId}Role`, 'Arn');
  }
  add(logicalId, {
    Type: 'AWS::Scheduler::Schedule',
    Properties: defined({
      ScheduleExpression: props.ScheduleExpression,
      State: props.State,
      Name: props.OmitName === true ? undefined : props.Name ?? logicalId,
      Description: props.Description,
      FlexibleTimeWindow: props.FlexibleTimeWindow ?? { Mode: 'OFF' },
      StartDate: props.StartDate,
      EndDate: props.EndDate,
      ScheduleExpressionTimezone: props.ScheduleExpressionTimezone,
      GroupName: props.GroupName,
      KmsKeyArn: props.KmsKeyArn,
      Target: defined({
        Arn: target.arn,
        RoleArn: roleArn,
        Input: props.Input,
        DeadLetterConfig: deadLetterArn === undefined ? undefined : { Arn: deadLetterArn },
        RetryPolicy: props.RetryPolicy,
      }),
    }),
  });
}

/** The ARN of a rule target's dead-letter queue: the one given, or `<rule>Queue` that SAM creates with its queue policy. */
function ruleDeadLetterQueue(add: Add, rule: string, config: Record<string, any>): unknown {
  if (config.Arn !== undefined) return config.Arn;
  const queue = typeof config.QueueLogicalId === 'string' ? config.QueueLogicalId : `${rule}Queue`;
  add(queue, { Type: 'AWS::SQS::Queue', Properties: {} });
  add(`${rule}QueuePolicy`, sendToQueuePolicy({ Service: 'events.amazonaws.com' }, getAtt(queue, 'Arn'), ref(queue), getAtt(rule, 'Arn')));
  return getAtt(queue, 'Arn');
}

function targetId(logicalId: string, suffix: string): string {
  if (logicalId.length + suffix.length <= TARGET_ID_MAX_LENGTH) return logicalId + suffix;
  return logicalId.slice(0, TARGET_ID_MAX_LENGTH - suffix.length) + suffix;
}
