/**
 * `AWS::Serverless::StateMachine` as SAM expands it: the state machine, its
 * role (`<StateMachine>Role`, unless it names one), and its events.
 *
 * The definition:
 * - `Definition` becomes `DefinitionString`, the JSON SAM writes (sorted keys,
 *   indented, one `Fn::Join` part per line), with each intrinsic function in it
 *   replaced by a `${definition_substitution_<n>}` of `DefinitionSubstitutions`;
 * - `DefinitionUri` naming a file next to the template is read and written the
 *   same way (what `sam package` uploads, and the state machine runs);
 * - `DefinitionUri` naming an S3 location becomes `DefinitionS3Location`,
 *   which the checks cannot read: the expansion says so.
 * Events: `EventBridgeRule`, `CloudWatchEvent`, `Schedule` (a rule whose
 * target starts the state machine with the role `<StateMachine><Event>Role`),
 * `ScheduleV2` (a schedule), `Api` (a route whose integration starts it).
 * @see https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-statemachine.html
 */
import { addRoute } from './apis';
import { CfnResourceBody, defined, ExpansionContext, getAtt, isObject, passedThrough, pythonJson, ref, SamOrigin } from './context';
import { eventRule, schedulerSchedule } from './event-rules';
import { GeneratedRole, serviceRole } from './policies';

export function expandStateMachine(context: ExpansionContext, logicalId: string, resource: CfnResourceBody): void {
  const p: Record<string, any> = resource.Properties ?? {};
  const origin: SamOrigin = { resource: logicalId };
  const attributes = passedThrough(resource);
  const add = (id: string, body: CfnResourceBody, from: SamOrigin = origin) => context.add(id, { ...body, ...attributes }, from);

  const definition = definitionOf(context, logicalId, p);
  // SAM then publishes a version and an alias, which events may target instead: not expanded, so said.
  for (const setting of ['AutoPublishAlias', 'DeploymentPreference'].filter(key => p[key] !== undefined)) {
    context.unexpanded(logicalId, `AWS::Serverless::StateMachine ${setting} (its version and alias)`);
  }
  let role: GeneratedRole | undefined;
  if (p.Role === undefined) {
    role = new GeneratedRole(`${logicalId}Role`, 'states.amazonaws.com');
    role.addUserPolicies(p.Policies);
    if (isObject(p.Tracing) && p.Tracing.Enabled === true) role.addManaged('arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess');
  }
  const tags = [{ Key: 'stateMachine:createdBy', Value: 'SAM' }, ...Object.entries(isObject(p.Tags) ? p.Tags : {}).map(([Key, Value]) => ({ Key, Value }))];
  add(logicalId, {
    Type: 'AWS::StepFunctions::StateMachine',
    ...resource.DependsOn !== undefined && { DependsOn: resource.DependsOn },
    Properties: defined({
      ...definition,
      RoleArn: p.Role ?? getAtt(`${logicalId}Role`, 'Arn'),
      StateMachineName: p.Name,
      StateMachineType: p.Type,
      LoggingConfiguration: p.Logging,
      TracingConfiguration: p.Tracing,
      Tags: tags,
    }),
  });
  if (role) add(role.logicalId, role.toResource(defined({ PermissionsBoundary: p.PermissionsBoundary, Path: p.RolePath, Tags: tags })));

  for (const [name, event] of Object.entries(isObject(p.Events) ? p.Events : {})) {
    const id = `${logicalId}${name}`;
    const from: SamOrigin = { resource: logicalId, event: name };
    const addEvent = (eventId: string, body: CfnResourceBody) => add(eventId, body, from);
    const type = isObject(event) ? event.Type : undefined;
    const props: Record<string, any> = isObject(event) && isObject(event.Properties) ? event.Properties : {};
    const startRole = () => {
      addEvent(`${id}Role`, serviceRole(`${id}Role`, type === 'Api' ? 'apigateway.amazonaws.com' : 'events.amazonaws.com',
        `${id}RoleStartExecutionPolicy`, 'states:StartExecution', ref(logicalId)));
      return getAtt(`${id}Role`, 'Arn');
    };
    if (type === 'EventBridgeRule' || type === 'CloudWatchEvent' || type === 'Schedule') {
      eventRule(addEvent, id, type, props, { arn: ref(logicalId), idSuffix: 'StepFunctionsTarget', roleArn: startRole() });
    } else if (type === 'ScheduleV2') {
      schedulerSchedule(addEvent, id, props, { arn: ref(logicalId), policySuffix: 'StartExecutionPolicy', action: 'states:StartExecution' });
    } else if (type === 'Api') {
      const roleArn = startRole();
      addRoute(context, 'rest', props, from, {
        credentials: roleArn,
        httpMethod: 'POST',
        type: 'aws',
        requestTemplates: { 'application/json': { 'Fn::Sub': `{"input": "$util.escapeJavaScript($input.json('$'))", "stateMachineArn": "\${${logicalId}}"}` } },
        responses: { 200: { statusCode: '200' }, 400: { statusCode: '400' } },
        uri: { 'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/StartExecution' },
      });
    } else {
      context.unexpanded(logicalId, `AWS::Serverless::StateMachine event of type ${JSON.stringify(type)}`, name);
    }
  }
}

/** The state machine's definition properties (see the file's comment). */
function definitionOf(context: ExpansionContext, logicalId: string, p: Record<string, any>): Record<string, unknown> {
  let definition: unknown = p.Definition;
  const uri = p.DefinitionUri;
  if (definition === undefined && (isObject(uri) || (typeof uri === 'string' && uri.startsWith('s3://')))) {
    const location = isObject(uri) ? defined({ Bucket: uri.Bucket, Key: uri.Key, Version: uri.Version }) : s3Location(uri as string);
    context.notes.push(`${logicalId}: the state machine's definition is in S3 (${typeof uri === 'string' ? uri : JSON.stringify(uri)}), which is not read: its states are not checked`);
    return { DefinitionS3Location: location, DefinitionSubstitutions: p.DefinitionSubstitutions };
  }
  if (definition === undefined && typeof uri === 'string') {
    if (!context.readFile) {
      context.unexpanded(logicalId, `AWS::Serverless::StateMachine DefinitionUri '${uri}' (no folder to read it from)`);
      return {};
    }
    try {
      definition = context.readFile(uri);
    } catch (error) {
      context.unexpanded(logicalId, `AWS::Serverless::StateMachine DefinitionUri '${uri}' (${error instanceof Error ? error.message : String(error)})`);
      return {};
    }
  }
  if (definition === undefined) return { DefinitionSubstitutions: p.DefinitionSubstitutions };
  const copy = JSON.parse(JSON.stringify(definition));
  const found = substituteIntrinsics(copy);
  const given = isObject(p.DefinitionSubstitutions) ? p.DefinitionSubstitutions : {};
  const substitutions = Object.keys(found).length > 0 ? { ...given, ...found } : p.DefinitionSubstitutions;
  return { DefinitionString: { 'Fn::Join': ['\n', pythonJson(copy, 4).split('\n')] }, DefinitionSubstitutions: substitutions };
}

/** Replaces, in place and in SAM's order (sorted keys, depth first), each intrinsic function or dynamic reference by a substitution. */
function substituteIntrinsics(root: unknown): Record<string, unknown> {
  const substitutions: Record<string, unknown> = {};
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    const keys: Array<string | number> = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value).sort();
    for (const key of keys) {
      const child = (value as any)[key];
      if (isIntrinsic(child) || (typeof child === 'string' && /^\{\{resolve:.+\}\}$/.test(child))) {
        const name = `definition_substitution_${Object.keys(substitutions).length + 1}`;
        substitutions[name] = child;
        (value as any)[key] = `\${${name}}`;
      } else {
        visit(child);
      }
    }
  };
  visit(root);
  return substitutions;
}

function isIntrinsic(value: unknown): boolean {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0].startsWith('Fn::'));
}

function s3Location(uri: string): Record<string, unknown> {
  const match = /^s3:\/\/([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(uri);
  return match ? defined({ Bucket: match[1], Key: match[2], Version: match[3] }) : { Bucket: uri };
}
