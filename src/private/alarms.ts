import { Aspects, Duration, IAspect } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';

/** An alarm that fires when `metric` reaches `threshold` in one period. */
export interface ThresholdAlarmProps {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly description: string;
  /**
   * Notified when the alarm fires and when it recovers.
   *
   * @default - the default alarm action of the nearest scope that has one (`DefaultAlarmAction`), or none
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/** The actions each library alarm notifies, so that an action is added once. */
const ACTIONS = new WeakMap<cloudwatch.Alarm, Set<cloudwatch.IAlarmAction>>();
/** The library alarms given no action of their own: they take their scope's default. */
const WANTS_DEFAULT = new WeakSet<cloudwatch.Alarm>();
/** The default alarm action set on a scope. */
const DEFAULT_ACTIONS = new WeakMap<IConstruct, cloudwatch.IAlarmAction>();
/** The library's alarm on each function's errors. */
const ERRORS_ALARMS = new WeakMap<lambda.IFunction, cloudwatch.Alarm>();

/**
 * The library's alarms: `metric >= threshold` over one period, missing data
 * is not breaching (no traffic is not an incident), the action notified on
 * ALARM and on OK.
 */
export function thresholdAlarm(scope: Construct, id: string, props: ThresholdAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    metric: props.metric,
    alarmDescription: props.description,
    threshold: props.threshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  notify(alarm, props.alarmAction);
  return alarm;
}

/**
 * The library's alarm on the errors of `fn` (sum over 5 minutes ≥ 1): one per
 * function, whichever construct asks first creates it, and each later one
 * adds its action to it.
 */
export function functionErrorsAlarm(scope: Construct, id: string, fn: lambda.IFunction, props: Omit<ThresholdAlarmProps, 'metric' | 'threshold'>): cloudwatch.Alarm {
  const existing = ERRORS_ALARMS.get(fn);
  if (existing) {
    notify(existing, props.alarmAction);
    return existing;
  }
  const alarm = thresholdAlarm(scope, id, { ...props, metric: functionErrorsMetric(fn), threshold: 1 });
  ERRORS_ALARMS.set(fn, alarm);
  return alarm;
}

/** The errors of `fn` as the library's alarms watch them: the sum over 5 minutes, unless `props` say otherwise. */
export function functionErrorsMetric(fn: lambda.IFunction, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...props });
}

/** Adds `action` to a library alarm (once); without one, the alarm takes its scope's default. */
function notify(alarm: cloudwatch.Alarm, action: cloudwatch.IAlarmAction | undefined): void {
  if (!action) {
    if (!ACTIONS.has(alarm)) WANTS_DEFAULT.add(alarm);
    return;
  }
  WANTS_DEFAULT.delete(alarm);
  const actions = ACTIONS.get(alarm) ?? new Set();
  if (actions.has(action)) return;
  actions.add(action);
  ACTIONS.set(alarm, actions);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
}

/** Sets the action that the library's alarms under `scope` notify when they have none of their own. */
export function setDefaultAlarmAction(scope: IConstruct, action: cloudwatch.IAlarmAction): void {
  if (!DEFAULT_ACTIONS.has(scope)) Aspects.of(scope).add(new DefaultAlarmActionAspect());
  DEFAULT_ACTIONS.set(scope, action);
}

/** Gives each library alarm that has no action the default of its nearest scope that has one. */
class DefaultAlarmActionAspect implements IAspect {
  public visit(node: IConstruct): void {
    if (!(node instanceof cloudwatch.Alarm) || !WANTS_DEFAULT.has(node)) return;
    for (let scope: IConstruct | undefined = node; scope; scope = scope.node.scope) {
      const action = DEFAULT_ACTIONS.get(scope);
      if (action) {
        notify(node, action);
        return;
      }
    }
  }
}
