/**
 * Unit tests of the circuit's metric line (CloudWatch embedded metric format): pure, no server.
 */
import { circuitChangeLine } from '../../src/runtime/circuit-metrics';
import { CircuitState } from '../../src/runtime/circuit-state';

const NOW = 1_700_000_000_000;

describe('circuitChangeLine', () => {
  test('one metric of the state entered, value 1, per table and per table and circuit, with a readable message', () => {
    // WHEN
    const line = circuitChangeLine({ tableName: 'circuits', circuitId: 'payments', from: 'CLOSED', to: 'OPEN', now: NOW });

    // THEN: exactly this line, keys in this order
    expect(line).toBe('{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"CdkResilience/CircuitBreaker",'
      + '"Dimensions":[["TableName"],["TableName","CircuitId"]],"Metrics":[{"Name":"CircuitOpened","Unit":"Count"}]}]},'
      + '"TableName":"circuits","CircuitId":"payments","CircuitOpened":1,"message":"circuit payments: CLOSED -> OPEN"}');
  });

  test.each([
    ['CLOSED', 'OPEN', 'CircuitOpened'],
    ['HALF_OPEN', 'OPEN', 'CircuitOpened'],
    ['OPEN', 'HALF_OPEN', 'CircuitHalfOpened'],
    ['HALF_OPEN', 'CLOSED', 'CircuitClosed'],
  ] as Array<[CircuitState, CircuitState, string]>)('%s -> %s emits %s', (from, to, metric) => {
    // WHEN
    const line = JSON.parse(circuitChangeLine({ tableName: 't', circuitId: 'c', from, to, now: NOW }));
    // THEN the metric is declared and has its value
    expect(line._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: metric, Unit: 'Count' }]);
    expect(line[metric]).toBe(1);
    expect(line.message).toBe(`circuit c: ${from} -> ${to}`);
  });
});
