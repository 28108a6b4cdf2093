import { randomUUID } from 'crypto';
import { createServer, IncomingMessage, ServerResponse } from 'http';
import { AddressInfo } from 'net';
// The AWS SDK v3 is the user's: the Lambda runtime provides it, tests install it. It is loaded when used.
// eslint-disable-next-line import/no-extraneous-dependencies
import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { LocalSqsFault, LocalSqsMessage, LocalSqsOperation, LocalSqsQueues, SqsError } from './local-sqs-queues';

/** Where the local SQS lives, and its clock. */
export interface LocalSqsOptions {
  /**
   * The region of its queues' URLs and ARNs, and of `environment`.
   * @default 'us-east-1'
   */
  readonly region?: string;
  /**
   * The account of its queues' URLs and ARNs (12 digits).
   * @default '000000000000'
   */
  readonly account?: string;
  /**
   * Its clock, in milliseconds since the epoch: visibility timeouts, delays,
   * receive timestamps, the 12 hours and retention follow it. Give one that
   * you move forward to test hours in no time. Long polling (`WaitTimeSeconds`)
   * still waits in real time.
   * @default Date.now
   */
  readonly clock?: () => number;
}

/** A request the local SQS received. */
export interface LocalSqsRequest {
  /** The operation (`X-Amz-Target: AmazonSQS.<operation>`). */
  readonly operation: LocalSqsOperation;
  /** Its JSON input, as sent. */
  readonly input: any;
  /** When it arrived, on the local SQS's clock (ms). */
  readonly time: number;
}

/**
 * An SQS for tests and local runs of queue consumers: a real HTTP server on
 * 127.0.0.1 (a free port) that speaks the AWS JSON 1.0 protocol of
 * `@aws-sdk/client-sqs` v3 (`X-Amz-Target: AmazonSQS.<operation>`), in memory,
 * with SQS's documented behaviour where consumers depend on it:
 *
 * - **CreateQueue** (`VisibilityTimeout`, `DelaySeconds`, `MessageRetentionPeriod`,
 *   `MaximumMessageSize`, `RedrivePolicy`, `FifoQueue`, `ContentBasedDeduplication`),
 *   **GetQueueUrl**, **GetQueueAttributes** (the settings, `QueueArn`, and the
 *   approximate numbers of visible, in-flight and delayed messages);
 * - **SendMessage(Batch)**: `DelaySeconds`, `MessageAttributes`, FIFO's
 *   `MessageGroupId` and deduplication (an id, or content-based; a duplicate
 *   within 5 minutes is accepted and not enqueued);
 * - **ReceiveMessage**: up to `MaxNumberOfMessages` (1-10) visible messages,
 *   each hidden for the queue's (or the request's) visibility timeout, with a
 *   new receipt handle and one more `ApproximateReceiveCount`; the system
 *   attributes and message attributes asked for; a message received
 *   `maxReceiveCount` times moves to the dead-letter queue at its next receive
 *   instead (keeping its id and receive count); FIFO queues deliver each group
 *   in order and nothing of a group while one of its messages is in flight;
 *   `WaitTimeSeconds` waits for a message (long polling);
 * - **DeleteMessage(Batch)** by receipt handle (the handle of an earlier receive
 *   succeeds and deletes nothing, as SQS allows); **ChangeMessageVisibility(Batch)**:
 *   the new timeout counts from the call, is an integer 0-43,200 s, and is
 *   refused for a message not in flight (`MessageNotInflight`), for the handle
 *   of an earlier receive (`InvalidParameterValue`), and beyond 12 hours after
 *   the receive (`InvalidParameterValue`); a batch takes 1-10 entries with
 *   distinct ids and answers each in `Successful` or `Failed`.
 *
 * Errors are SQS's: the JSON type (`QueueDoesNotExist`, `ReceiptHandleIsInvalid`,
 * `MessageNotInflight`, `InvalidParameterValue`, ...) and the query code in
 * `x-amzn-query-error`, as the SDK reads them. Every request is recorded, and a
 * test can make an operation fail (`faults`). Not implemented: the query protocol
 * (answered `UnsupportedOperation`), queue deletion, purge, tags, policies,
 * encryption, message move tasks.
 *
 * Queue URLs are the ones SQS gives in AWS, `https://sqs.<region>.amazonaws.com/<account>/<name>`:
 * the URL `BatchDeferral` derives from a record's `eventSourceARN`, so your
 * code and your test see the URLs of production. Any QueueUrl whose last two
 * path segments are the account and the queue's name is accepted, whatever
 * its host. Send requests to `endpoint`: `client()` does, as does any
 * `SQSClient` with `endpoint` set. A client configured only by
 * `AWS_ENDPOINT_URL_SQS` (see `environment`) sends a request that carries a
 * QueueUrl to the URL's host (the SDK's `useQueueUrlAsEndpoint`), unless it is
 * given `useQueueUrlAsEndpoint: false`.
 */
export interface LocalSqs {
  /** Its URL, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The region of its queues. */
  readonly region: string;
  /** The account of its queues. */
  readonly account: string;
  /**
   * The variables that point an AWS SDK v3 client at it: `AWS_ENDPOINT_URL_SQS`
   * (the endpoint), `AWS_REGION`, and placeholder credentials
   * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`).
   */
  readonly environment: Record<string, string>;
  /** Every request received, in order. */
  readonly requests: LocalSqsRequest[];
  /** The operations that fail, and how, until the test deletes them (`faults.clear()`). */
  readonly faults: Map<LocalSqsOperation, LocalSqsFault>;
  /**
   * A new `SQSClient` of this server: its endpoint and region, placeholder
   * credentials, one attempt (so that a fault shows at once), then `config`.
   * `stop()` destroys it. Needs `@aws-sdk/client-sqs` installed.
   */
  client(config?: SQSClientConfig): SQSClient;
  /** The URL of the queue named `name` (created or not). */
  queueUrl(name: string): string;
  /** The ARN of the queue named `name` (created or not): the `eventSourceARN` of its records. */
  queueArn(name: string): string;
  /** The messages of a queue, visible or not, oldest first: copies. Throws for a queue that does not exist. */
  messages(name: string): LocalSqsMessage[];
  /** Stops the server and destroys the clients of `client()`; requests then fail to connect. */
  stop(): Promise<void>;
}

/** How long a long poll waits between two looks at the queue, in ms. */
const LONG_POLL_INTERVAL = 25;

/**
 * Starts a `LocalSqs`. Stop it when the test ends.
 *
 * @example
 * const sqs = await startLocalSqs();
 * const client = sqs.client();
 * const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '30' } }));
 * Object.assign(process.env, sqs.environment); // for the clients your code creates
 */
export async function startLocalSqs(options: LocalSqsOptions = {}): Promise<LocalSqs> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new Error(`region must be an AWS region name such as us-east-1, got "${region}"`);
  if (!/^\d{12}$/.test(account)) throw new Error(`account must be 12 digits, got "${account}"`);
  const clock = options.clock ?? Date.now;
  const requests: LocalSqsRequest[] = [];
  const faults = new Map<LocalSqsOperation, LocalSqsFault>();
  const queues = new LocalSqsQueues(region, account, clock, faults);
  const operations = new Set<string>(['CreateQueue', 'GetQueueUrl', 'GetQueueAttributes', 'SendMessage', 'SendMessageBatch', 'ReceiveMessage',
    'DeleteMessage', 'DeleteMessageBatch', 'ChangeMessageVisibility', 'ChangeMessageVisibilityBatch']);
  let stopped = false;

  const answer = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (response.writableEnded || response.destroyed) return;
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), ...headers });
    response.end(JSON.stringify(body));
  };
  const fail = (response: ServerResponse, error: SqsError) => answer(response, error.status,
    { __type: `com.amazonaws.sqs#${error.type}`, message: error.message },
    { 'x-amzn-query-error': `${error.queryCode};${error.status < 500 ? 'Sender' : 'Receiver'}` });

  /** ReceiveMessage with `WaitTimeSeconds`: waits (in real time) until a message is visible or the wait is over. */
  const longPoll = async (input: any): Promise<void> => {
    const wait = input.WaitTimeSeconds ?? 0;
    if (!Number.isInteger(wait) || wait < 0 || wait > 20) throw new SqsError('InvalidParameterValue', `Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
    const until = Date.now() + wait * 1_000;
    while (!stopped && Date.now() < until && !queues.hasVisible(input.QueueUrl)) {
      await new Promise(resolve => setTimeout(resolve, LONG_POLL_INTERVAL));
    }
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', chunk => chunks.push(chunk));
    request.on('end', async () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.replace(/^AmazonSQS\./, '');
      if (!target.startsWith('AmazonSQS.') || !String(request.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.0')) {
        fail(response, new SqsError('UnsupportedOperation', 'The local SQS speaks the AWS JSON 1.0 protocol of the AWS SDK v3 '
          + `(X-Amz-Target: AmazonSQS.<operation>), got ${target ? `X-Amz-Target ${target}` : 'no X-Amz-Target'} and content type ${request.headers['content-type']}`));
        return;
      }
      if (!operations.has(operation)) {
        fail(response, new SqsError('UnsupportedOperation', `The local SQS does not implement ${operation}; it implements ${[...operations].join(', ')}`));
        return;
      }
      try {
        let input: any;
        try {
          input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          throw new SqsError('SerializationException', 'The request body is not JSON.');
        }
        requests.push({ operation: operation as LocalSqsOperation, input, time: clock() });
        if (operation === 'ReceiveMessage' && !faults.has('ReceiveMessage')) await longPoll(input);
        answer(response, 200, queues.operate(operation as LocalSqsOperation, input));
      } catch (error) {
        fail(response, error instanceof SqsError ? error : new SqsError('InternalError', String(error), 'InternalError', 500));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: SQSClient[] = [];

  return {
    endpoint,
    region,
    account,
    environment: {
      AWS_ENDPOINT_URL_SQS: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    },
    requests,
    faults,
    client(config: SQSClientConfig = {}) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
      const { SQSClient: Client } = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
      const client = new Client({
        endpoint,
        region,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
        ...config,
      });
      clients.push(client);
      return client;
    },
    queueUrl: name => queues.urlOf(name),
    queueArn: name => queues.arnOf(name),
    messages: name => queues.messages(name),
    async stop() {
      if (stopped) return;
      stopped = true;
      clients.forEach(c => c.destroy());
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
