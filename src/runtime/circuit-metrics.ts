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
  const { tableName, circuitId } = CIRCUIT_BREAKER_DIMENSIONS;
  return metricLine({
    now: change.now,
    dimensions: [[tableName], [tableName, circuitId]],
    values: { [tableName]: change.tableName, [circuitId]: change.circuitId },
    counts: { [CIRCUIT_BREAKER_METRICS[change.to]]: 1 },
    message: `circuit ${change.circuitId}: ${change.from} -> ${change.to}`,
  });
}

/** One embedded metric format line of counts in the circuit breaker's namespace. */
export interface MetricLine {
  /** When, in epoch milliseconds. */
  readonly now: number;
  /** The dimension sets, each a list of dimension names. */
  readonly dimensions: readonly (readonly string[])[];
  /** The value of each dimension (and any other property of the line). */
  readonly values: Readonly<Record<string, string>>;
  /** The metrics, each a count. */
  readonly counts: Readonly<Record<string, number>>;
  /** A readable message. */
  readonly message: string;
}

/**
 * The CloudWatch embedded metric format line of `line`: CloudWatch extracts
 * the metrics from the log line, so emitting them costs no API call.
 */
export function metricLine(line: MetricLine): string {
  return JSON.stringify({
    _aws: {
      Timestamp: line.now,
      CloudWatchMetrics: [{
        Namespace: CIRCUIT_BREAKER_METRICS_NAMESPACE,
        Dimensions: line.dimensions,
        Metrics: Object.keys(line.counts).map(name => ({ Name: name, Unit: 'Count' })),
      }],
    },
    ...line.values,
    ...line.counts,
    message: line.message,
  });
}
