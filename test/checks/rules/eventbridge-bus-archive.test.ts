import * as events from 'aws-cdk-lib/aws-events';
import { newStack } from '../../helpers';
import { findings, reported } from '../nag';

const RULE = 'Resilience-EventBridge3';

describe('Resilience-EventBridge3: a custom event bus has an archive', () => {
  test('a bus without an archive is a warning on the bus; bus.archive() fixes it', () => {
    // GIVEN
    const stack = newStack();
    new events.EventBus(stack, 'Bus');

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Bus/Resource', severity: 'warning' }]);

    // GIVEN the same bus, archived
    const fixed = newStack();
    new events.EventBus(fixed, 'Bus').archive('Archive', { eventPattern: { account: [fixed.account] } });

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('the archive of another bus does not count', () => {
    // GIVEN two buses, only the second archived
    const stack = newStack();
    new events.EventBus(stack, 'Orders');
    new events.EventBus(stack, 'Payments').archive('Archive', { eventPattern: { account: [stack.account] } });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Orders/Resource']);
  });

  test('an archive whose source is the bus ARN written out from the bus name counts', () => {
    // GIVEN a named bus and an L1 archive with a literal source ARN
    const stack = newStack();
    new events.EventBus(stack, 'Bus', { eventBusName: 'orders' });
    new events.CfnArchive(stack, 'Archive', { sourceArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('a rule on a bus that is not part of the stack is not checked', () => {
    // GIVEN a rule on the default bus, and one on an imported bus
    const stack = newStack();
    new events.Rule(stack, 'Default', { eventPattern: { source: ['orders'] } });
    new events.Rule(stack, 'Imported', {
      eventBus: events.EventBus.fromEventBusName(stack, 'Shared', 'shared'),
      eventPattern: { source: ['orders'] },
    });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
