/**
 * `Globals`: the properties a SAM template sets once for every resource of a
 * type (`Function`, `StateMachine`, `SimpleTable`, `Api`, `HttpApi`, ...),
 * merged into each resource as SAM merges them:
 * - a map merges key by key, the resource's value winning, recursively;
 * - a list is the global list followed by the resource's;
 * - anything else (a string, a number, an intrinsic function) is the
 *   resource's value when it sets one.
 * @see https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html
 */
import { CfnResourceBody, isObject } from './context';

/** The section of `Globals` that applies to each SAM resource type. */
const SECTIONS: Record<string, string> = {
  'AWS::Serverless::Function': 'Function',
  'AWS::Serverless::StateMachine': 'StateMachine',
  'AWS::Serverless::SimpleTable': 'SimpleTable',
  'AWS::Serverless::Api': 'Api',
  'AWS::Serverless::HttpApi': 'HttpApi',
  'AWS::Serverless::LayerVersion': 'LayerVersion',
};

/** The resources with the `Globals` of their type merged into their `Properties`. */
export function applyGlobals(resources: Record<string, CfnResourceBody>, globals: unknown): Record<string, CfnResourceBody> {
  if (!isObject(globals)) return resources;
  return Object.fromEntries(Object.entries(resources).map(([logicalId, resource]) => {
    const section = isObject(resource) ? globals[SECTIONS[resource.Type]] : undefined;
    if (!isObject(section)) return [logicalId, resource];
    const properties = isObject(resource.Properties) ? resource.Properties : {};
    return [logicalId, { ...resource, Properties: merge(section, properties) as Record<string, unknown> }];
  }));
}

function merge(global: unknown, local: unknown): unknown {
  if (local === undefined) return global;
  if (isPlainMap(global) && isPlainMap(local)) {
    const merged: Record<string, unknown> = { ...global };
    for (const [key, value] of Object.entries(local)) merged[key] = merge(global[key], value);
    return merged;
  }
  if (Array.isArray(global) && Array.isArray(local)) return [...global, ...local];
  return local;
}

/** A map that is not an intrinsic function (`{ Ref }`, `{ Fn::... }`), which SAM merges as a value. */
function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return !(keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0].startsWith('Fn::')));
}
