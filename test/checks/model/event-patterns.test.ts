import { CfnResource, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { CFN_TYPE, CfnModel, ModelResource } from '../../../src/checks/model/cfn-model';
import { Arrival, matchAgain } from '../../../src/checks/model/event-patterns';
import { newStack } from '../../helpers';

/** The model of a rule with `props`. */
function ruleOf(props: events.RuleProps): ModelResource {
  const stack = newStack();
  const rule = new events.Rule(stack, 'Rule', props);
  return new CfnModel(stack).resourceOf(rule.node.defaultChild as CfnResource)!;
}

/** An arrival over a grant whose conditions name `source` and `detailType`. */
function granted(source?: string[], detailType?: string[]): Arrival {
  const rule = ruleOf({ eventPattern: { source: ['x'] } });
  return { from: { ...rule, type: CFN_TYPE.FUNCTION }, kind: 'grant', events: { source, detailType } };
}

describe('matchAgain', () => {
  test.each([
    [{ source: ['orders'] }, granted(['orders']), 'always'],
    [{ source: ['orders'] }, granted(['payments']), 'never'],
    [{ source: ['orders'] }, granted(['orders', 'payments']), 'maybe'],
    [{ source: ['orders'] }, granted(), 'maybe'],
    [{ source: events.Match.prefix('ord') }, granted(['orders']), 'always'],
    [{ source: events.Match.anythingBut('orders') }, granted(['orders']), 'never'],
    [{ detailType: events.Match.wildcard('Order*') }, granted(undefined, ['OrderPlaced']), 'always'],
    [{ detailType: events.Match.equalsIgnoreCase('orderplaced') }, granted(undefined, ['OrderPlaced']), 'always'],
    [{ source: ['orders'], detail: { status: ['new'] } }, granted(['orders']), 'maybe'],
    [{ source: ['orders'], detail: { status: ['new'] } }, granted(['payments']), 'never'],
    [{ source: events.Match.prefix('') }, undefined, 'always'],
  ])('pattern %j, arrival %#: %s', (eventPattern, arrival, expected) => {
    // WHEN / THEN
    expect(matchAgain(arrival, ruleOf({ eventPattern }))).toBe(expected);
  });

  test('a scheduled rule matches no event that arrives on a bus', () => {
    // WHEN / THEN
    expect(matchAgain(granted(['orders']), ruleOf({ schedule: events.Schedule.rate(Duration.hours(1)) }))).toBe('never');
  });
});
