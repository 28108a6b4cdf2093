import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readArchive } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-EventBridge3: a custom event bus has an archive. */
export const EventBridgeBusArchive: ResilienceRule = {
  id: 'EventBridge3',
  info: 'The custom event bus has no archive: events that a faulty rule or target mishandled cannot be replayed.',
  explanation: 'Archive the bus (bus.archive(), or use ArchivedEventBus, which archives every event and can replay a time window).',
  level: NagMessageLevel.WARN,
  check(node, { model }) {
    const bus = model.resourceOf(node);
    if (bus?.type !== CFN_TYPE.BUS) return NagRuleCompliance.NOT_APPLICABLE;
    const archived = model.ofType(CFN_TYPE.ARCHIVE)
      .some(archive => model.referencedBy(readArchive(archive).sourceArn, CFN_TYPE.BUS).includes(bus));
    return archived ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
