import * as appconfig from 'aws-cdk-lib/aws-appconfig';

/**
 * Checks hosted configuration content at synth time: JSON content must
 * parse, and satisfy `schema` when one is given. Throws with the JSON error,
 * or the schema error's path and message.
 */
export function validateJsonContent(prop: string, content: appconfig.ConfigurationContent, schema?: string): void {
  const isJson = content.contentType.includes('json');
  if (!isJson && schema === undefined) return;
  let document: unknown;
  try {
    document = JSON.parse(content.content);
  } catch (error) {
    throw new Error(`${prop} must be valid JSON${schema ? ' (a schema is given)' : ` (content type ${content.contentType})`}: ${(error as Error).message}`);
  }
  if (schema !== undefined) {
    const errors = validateAgainstSchema(schema, document);
    if (errors.length > 0) {
      throw new Error(`${prop} does not satisfy the schema: ${errors.join('; ')}`);
    }
  }
}

/** The errors of `document` against the JSON Schema `schema` (draft-07), as `<path> <message>`. */
export function validateAgainstSchema(schema: string, document: unknown): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema);
  } catch (error) {
    throw new Error(`schema must be a JSON document, got invalid JSON: ${(error as Error).message}`);
  }
  // Loaded on first use: most apps never validate a schema, and ajv is the library's heaviest module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Ajv = require('ajv').default as typeof import('ajv').default;
  const ajv = new Ajv({ allErrors: true, strict: false });
  let validate;
  try {
    validate = ajv.compile(parsed as object);
  } catch (error) {
    throw new Error(`schema must be a valid JSON Schema (draft-07): ${(error as Error).message}`);
  }
  if (validate(document)) return [];
  return (validate.errors ?? []).map(e => `${e.instancePath || '/'} ${e.message}`);
}
