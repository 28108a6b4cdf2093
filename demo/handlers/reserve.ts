/**
 * The demo's reservation step: consumes a queue in batches, reads its limits
 * from an AppConfigProfile, and runs under failure injection so that chaos
 * experiments can be switched on from AppConfig.
 */
import { getConfiguration } from '../../src/runtime/configuration';
import { injectFailure } from '../../src/runtime/failure-injection';

interface ReservationConfig {
  readonly maxItemsPerOrder: number;
}

interface SqsBatch {
  readonly Records: Array<{ readonly messageId: string; readonly body: string }>;
}

export const handler = injectFailure(async (event: SqsBatch) => {
  const config = await getConfiguration<ReservationConfig>();
  const batchItemFailures: Array<{ itemIdentifier: string }> = [];
  for (const record of event.Records) {
    try {
      const order = JSON.parse(record.body);
      if (!Array.isArray(order.items) || order.items.length > config.maxItemsPerOrder) {
        throw new Error(`order ${order.id} has no items or more than ${config.maxItemsPerOrder}`);
      }
      console.log(JSON.stringify({ message: 'reserved', orderId: order.id }));
    } catch (error) {
      console.error(JSON.stringify({ messageId: record.messageId, error: String(error) }));
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
});
