import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AppConfigProfile, AsyncFunction, CircuitBreakerTable, DefaultAlarmAction, QueueDecoupledFunction } from '../src';
import { handlerProps, logicalIdOf, newApp } from './helpers';

/** The topics each alarm of the stack notifies on ALARM, by alarm logical id. */
function alarmTopics(stack: Stack): Record<string, unknown> {
  const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
  return Object.fromEntries(Object.entries(alarms).map(([id, alarm]) => [id, alarm.Properties.AlarmActions]));
}

describe('DefaultAlarmAction', () => {
  test('every alarm the library creates under the scope notifies it, on ALARM and on OK', () => {
    // GIVEN
    const app = newApp();
    const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
    const onCall = new sns.Topic(stack, 'OnCall');
    // WHEN the default is set on the app, after the constructs exist
    const orders = new QueueDecoupledFunction(stack, 'Orders', { functionProps: handlerProps });
    new AsyncFunction(stack, 'Thumbnails', { functionProps: handlerProps });
    new CircuitBreakerTable(stack, 'Circuits');
    DefaultAlarmAction.set(app, new cw_actions.SnsAction(onCall));
    // THEN QDF 3, AsyncFunction 4, the table 1
    const topics = alarmTopics(stack);
    expect(Object.keys(topics)).toHaveLength(8);
    for (const actions of Object.values(topics)) expect(actions).toEqual([{ Ref: logicalIdOf(onCall) }]);
    const errorsAlarm = Template.fromStack(stack).toJSON().Resources[logicalIdOf(orders.errorsAlarm)];
    expect(errorsAlarm.Properties.OKActions).toEqual([{ Ref: logicalIdOf(onCall) }]);
  });

  test('a construct\'s own alarmAction wins, then the nearest scope\'s default; alarms of others are untouched', () => {
    // GIVEN an app default, a stack default, and a construct with its own action
    const app = newApp();
    const stack = new Stack(app, 'Test');
    const [appTopic, stackTopic, ownTopic] = ['App', 'Stack', 'Own'].map(id => new sns.Topic(stack, id));
    DefaultAlarmAction.set(app, new cw_actions.SnsAction(appTopic));
    DefaultAlarmAction.set(stack, new cw_actions.SnsAction(stackTopic));
    const withDefault = new QueueDecoupledFunction(stack, 'Orders', { functionProps: handlerProps });
    const withOwn = new QueueDecoupledFunction(stack, 'Invoices', { functionProps: handlerProps, alarmAction: new cw_actions.SnsAction(ownTopic) });
    const mine = new cloudwatch.Alarm(stack, 'Mine', { metric: withOwn.queue.metricNumberOfMessagesSent(), threshold: 1000, evaluationPeriods: 1 });
    // WHEN
    const topics = alarmTopics(stack);
    // THEN
    expect(topics[logicalIdOf(withDefault.errorsAlarm)]).toEqual([{ Ref: logicalIdOf(stackTopic) }]);
    expect(topics[logicalIdOf(withOwn.errorsAlarm)]).toEqual([{ Ref: logicalIdOf(ownTopic) }]);
    expect(topics[logicalIdOf(mine)]).toBeUndefined();
  });
});

describe('one library alarm per function\'s errors', () => {
  test('AppConfigProfile.attachTo() monitors the errors alarm of the queue consumer, and adds its own action to it', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'Test', { env: { region: 'eu-west-1' } });
    const [consumerTopic, configTopic] = ['Consumer', 'Config'].map(id => new sns.Topic(stack, id));
    const orders = new QueueDecoupledFunction(stack, 'Orders', { functionProps: handlerProps, alarmAction: new cw_actions.SnsAction(consumerTopic) });
    const profile = new AppConfigProfile(stack, 'Limits', {
      content: appconfig.ConfigurationContent.fromInlineJson('{"max":20}'),
      alarmAction: new cw_actions.SnsAction(configTopic),
    });
    // WHEN
    profile.attachTo(orders.function);
    // THEN one alarm on the function's errors: the consumer's, monitored by the profile, notifying both topics
    const errorsAlarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors' } }));
    expect(errorsAlarms).toHaveLength(1);
    expect(profile.monitors).toEqual([orders.errorsAlarm]);
    expect(errorsAlarms[0].Properties.AlarmActions).toEqual([{ Ref: logicalIdOf(consumerTopic) }, { Ref: logicalIdOf(configTopic) }]);
  });
});
