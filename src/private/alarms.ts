import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

/** An alarm that fires when `metric` reaches `threshold` in one period. */
export interface ThresholdAlarmProps {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly description: string;
  /** Notified when the alarm fires and when it recovers. */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

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
  if (props.alarmAction) {
    alarm.addAlarmAction(props.alarmAction);
    alarm.addOkAction(props.alarmAction);
  }
  return alarm;
}
