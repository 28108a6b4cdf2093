import { render } from 'velocityjs';

/**
 * API Gateway's mapping templates, evaluated in a test: the Velocity engine is
 * velocityjs; `$input`, `$util` and `$context` are written here, for the test
 * only, after the API Gateway developer guide ("Variables for data
 * transformations"). They cover what `QueueBackedApi`'s templates use, and
 * nothing more.
 */

/** A request (or an integration's answer) as a template sees it. */
export interface TemplateInput {
  /** The raw payload, as received. */
  readonly body: string;
  /** The request headers. API Gateway looks them up by name whatever their case. */
  readonly headers?: Record<string, string>;
  /** The request id (`$context.requestId`). */
  readonly requestId?: string;
}

/** What a template rendered, and the status it set with `$context.responseOverride.status`. */
export interface Rendered {
  readonly output: string;
  readonly statusOverride?: number;
}

/**
 * `$util.urlEncode`: Java's `URLEncoder.encode(s, "UTF-8")`, which API
 * Gateway uses: letters, digits and `.-*_` stay, a space becomes `+`, every
 * other byte of the UTF-8 encoding becomes `%XY`.
 */
export function javaUrlEncode(value: unknown): string {
  if (value === null || value === undefined) return '';
  return Array.from(Buffer.from(String(value), 'utf8')).map(byte => {
    const char = String.fromCharCode(byte);
    if (/^[A-Za-z0-9.\-*_]$/.test(char)) return char;
    if (byte === 0x20) return '+';
    return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** `$input.path('$.a.b')`: the value at a JSONPath of plain property names in the JSON body. */
function jsonPath(body: string, path: string): unknown {
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path)) throw new Error(`this test's $input.path supports $.a.b paths only, got ${path}`);
  let value: any = body === '' ? {} : JSON.parse(body);
  for (const key of path.split('.').slice(1)) value = value === null || value === undefined ? undefined : value[key];
  return value;
}

/** Renders an API Gateway mapping template against `input`. */
export function renderTemplate(template: string, input: TemplateInput): Rendered {
  const headers = Object.fromEntries(Object.entries(input.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const context = { requestId: input.requestId ?? 'request-1', responseOverride: {} as { status?: number } };
  const output = render(template, {
    input: {
      body: input.body,
      // $input.params(x): path, then query string, then header; this test's requests have headers only.
      params: (name: string) => headers[name.toLowerCase()] ?? '',
      path: (path: string) => jsonPath(input.body, path),
    },
    util: { urlEncode: javaUrlEncode },
    context,
  });
  return { output, statusOverride: context.responseOverride.status };
}

/**
 * What SQS reads from a form-encoded query-protocol request: its parameters,
 * decoded as `application/x-www-form-urlencoded`.
 */
export function decodeForm(form: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(form)) {
    if (name in params) throw new Error(`parameter ${name} appears twice in ${form}`);
    params[name] = value;
  }
  return params;
}
