import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';
import { setDefaultAlarmAction } from './private/alarms';

/**
 * The alarm action for every construct of this library under a scope.
 *
 * Set it once on the app or a stack instead of passing the same `alarmAction`
 * to every construct: each alarm the library creates under that scope
 * without an `alarmAction` of its own notifies it (on ALARM and on OK). A
 * construct's own `alarmAction` wins, then the nearest scope's default.
 * Alarms you create yourself are not touched.
 *
 * @example
 * declare const app: App;
 * declare const onCall: sns.ITopic;
 * DefaultAlarmAction.set(app, new cw_actions.SnsAction(onCall));
 */
export class DefaultAlarmAction {
  /** Makes `action` the alarm action of the library's constructs under `scope` (an app, a stage, a stack or any construct). */
  public static set(scope: IConstruct, action: cloudwatch.IAlarmAction): void {
    setDefaultAlarmAction(scope, action);
  }

  private constructor() {}
}
