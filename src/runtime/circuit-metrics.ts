import type { CircuitState } from './circuit-state';
import { CIRCUIT_BREAKER_DIMENSIONS, CIRCUIT_BREAKER_METRICS, CIRCUIT_BREAKER_METRICS_NAMESPACE } from './contract';

/** One state change of a circuit, as the environment whose write made it saw it. */
export interface CircuitChange {
  /** The circuit table. */
  readonly tableName: string;
  /** The circuit. */
  readonly circuitId: string;
  /** The state it left. */
  readonly from: CircuitState;
  /** The state it entered: it names the metric. */
  readonly to: CircuitState;
  /** When, in epoch milliseconds. */
  readonly now: number;
}

/**
 * The CloudWatch embedded metric format line of a state change: the metric of
 * the state entered (`CircuitOpened`, `CircuitHalfOpened` or `CircuitClosed`),
 * value 1, unit Count, in two dimension sets (the table; the table and the
 * circuit), and a readable message. Written to stdout, it costs no API call.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function circuitChangeLine(change: CircuitChange): string {
  const metric = CIRCUIT_BREAKER_METRICS[change.to];
  const { tableName, circuitId } = CIRCUIT_BREAKER_DIMENSIONS;
  return JSON.stringify({
    _aws: {
      Timestamp: change.now,
      CloudWatchMetrics: [{
        Namespace: CIRCUIT_BREAKER_METRICS_NAMESPACE,
        Dimensions: [[tableName], [tableName, circuitId]],
        Metrics: [{ Name: metric, Unit: 'Count' }],
      }],
    },
    [tableName]: change.tableName,
    [circuitId]: change.circuitId,
    [metric]: 1,
    message: `circuit ${change.circuitId}: ${change.from} -> ${change.to}`,
  });
}
