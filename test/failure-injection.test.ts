import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { Duration, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AppConfigProfile, FailureInjection, FailureInjectionProps } from '../src';
import {
  actionsOn, handlerProps, logicalIdOf, maskAssetHashes, newStack, onlyLogicalId, onlyProperties, profileReadArn, propertiesOf, regionalStack,
} from './helpers';
import { injectFailure, RuntimeLogger } from '../src/runtime';
import {
  AttributeDescription, FAILURE_MODE_NAMES, FAILURE_MODES, FailureMode, FailureModeDescription, PERCENTAGE,
} from '../src/runtime/failure-modes';
import { LocalAppConfigExtension, startLocalAppConfigExtension } from '../src/testing';

const X86_LAYER = 'arn:aws:lambda:eu-west-1:434848589818:layer:AWS-AppConfig-Extension:303';
const FLAGS = ['latency', 'timeout', 'diskspace', 'denylist', 'statuscode', 'exception', 'corruption'];
const READ_ACTIONS = ['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession'];

/**
 * AWS's published JSON schema of a stored AWS.AppConfig.FeatureFlags document
 * ("Understanding the type reference for AWS.AppConfig.FeatureFlags").
 *
 * Its root has `type` and `additionalProperties: false` next to `$ref`. In
 * draft-07, keywords beside `$ref` are ignored, which is what AWS's validator
 * does; Ajv instead applies them, and `additionalProperties: false` with no
 * `properties` at the root would refuse every document (even AWS's own
 * samples). Deleting the two keys gives the draft-07 meaning: the root is
 * exactly `flagSetDefinition`, which itself requires an object and allows no
 * other keys.
 */
const FEATURE_FLAGS_SCHEMA = (() => {
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'appconfig-feature-flags.schema.json'), 'utf8'));
  delete schema.type;
  delete schema.additionalProperties;
  return schema;
})();
const validateFeatureFlags = new Ajv({ strict: false }).compile(FEATURE_FLAGS_SCHEMA);

/** The errors of `document` against AWS's AWS.AppConfig.FeatureFlags schema, as `<path> <message>`. */
function schemaErrors(document: unknown): string[] {
  if (validateFeatureFlags(document)) return [];
  return (validateFeatureFlags.errors ?? []).map(e => `${e.instancePath} ${e.message}`);
}

/**
 * What AppConfig checks beyond the schema: every value of a flag satisfies the
 * constraints of its attribute definition (type, required, minimum/maximum,
 * pattern, enum, array elements), and values name only defined flags and
 * attributes. Returns the problems, as `<flag>.<attribute> <problem>`.
 */
function constraintProblems(document: any): string[] {
  const problems: string[] = [];
  const flags: Record<string, any> = document.flags ?? {};
  const values: Record<string, any> = document.values ?? {};
  for (const name of Object.keys(values)) {
    if (!(name in flags)) problems.push(`${name} has a value but no definition`);
  }
  for (const [name, flag] of Object.entries(flags)) {
    const value = values[name];
    if (value === undefined) {
      problems.push(`${name} has no value`);
      continue;
    }
    if (typeof value.enabled !== 'boolean') problems.push(`${name}.enabled must be a boolean, got ${JSON.stringify(value.enabled)}`);
    const attributes: Record<string, any> = flag.attributes ?? {};
    for (const key of Object.keys(value)) {
      if (key !== 'enabled' && !key.startsWith('_') && !(key in attributes)) problems.push(`${name}.${key} is not a defined attribute`);
    }
    for (const [key, { constraints }] of Object.entries(attributes)) {
      const v = value[key];
      const where = `${name}.${key}`;
      if (v === undefined) {
        if (constraints?.required) problems.push(`${where} is required`);
        continue;
      }
      if (constraints === undefined) continue;
      if (constraints.type === 'array') {
        if (!Array.isArray(v)) {
          problems.push(`${where} must be an array, got ${JSON.stringify(v)}`);
          continue;
        }
        v.forEach((element, i) => problems.push(...scalarProblems(`${where}[${i}]`, constraints.elements ?? {}, element)));
      } else {
        problems.push(...scalarProblems(where, constraints, v));
      }
    }
  }
  return problems;
}

function scalarProblems(where: string, constraints: any, v: unknown): string[] {
  const problems: string[] = [];
  if (constraints.type === 'number') {
    if (typeof v !== 'number') return [`${where} must be a number, got ${JSON.stringify(v)}`];
    if (constraints.minimum !== undefined && v < constraints.minimum) problems.push(`${where} must be >= ${constraints.minimum}, got ${v}`);
    if (constraints.maximum !== undefined && v > constraints.maximum) problems.push(`${where} must be <= ${constraints.maximum}, got ${v}`);
  } else if (constraints.type === 'string') {
    if (typeof v !== 'string') return [`${where} must be a string, got ${JSON.stringify(v)}`];
    if (constraints.pattern !== undefined && !new RegExp(constraints.pattern).test(v)) problems.push(`${where} must match ${constraints.pattern}`);
    if (constraints.enum !== undefined && !constraints.enum.includes(v)) problems.push(`${where} must be one of ${constraints.enum}`);
  } else if (constraints.type === 'boolean') {
    if (typeof v !== 'boolean') problems.push(`${where} must be a boolean, got ${JSON.stringify(v)}`);
  }
  return problems;
}

/** The hosted flags document of a FailureInjection with `props`, parsed. */
function documentOf(props: FailureInjectionProps): any {
  return JSON.parse(new FailureInjection(newStack(), 'Chaos', props).document);
}

/** Every attribute of every mode in the description (`runtime/failure-modes.ts`), `percentage` first. */
const DESCRIBED = FAILURE_MODE_NAMES.flatMap(mode => {
  const { prop, attributes }: FailureModeDescription = FAILURE_MODES[mode];
  const all: Record<string, AttributeDescription> = { percentage: PERCENTAGE, ...attributes };
  return Object.entries(all).map(([name, spec]) => ({ mode, prop, name, spec, path: `${prop}.${spec.field}` }));
});
type Described = typeof DESCRIBED[number];

/** The prop value of a flag value: a `Duration` for milliseconds. */
function propValue(spec: AttributeDescription, value: unknown): unknown {
  return spec.type === 'number' && spec.unit === 'ms' ? Duration.millis(value as number) : value;
}

/**
 * The props that enable the mode of `a` with `value` in its field (none: its
 * default, or one expression for a list), and every other attribute of the
 * mode valid beside it: one expression for a list, and the attributes it is
 * compared with at the ends of their ranges that cannot be in the way.
 */
function propsWith(a: Described, value?: unknown): FailureInjectionProps {
  const options: Record<string, unknown> = { enabled: true };
  for (const [name, other] of Object.entries(FAILURE_MODES[a.mode].attributes as Record<string, AttributeDescription>)) {
    if (other.type === 'patterns') options[other.field] = ['example\\.com'];
    if (other.type === 'number' && a.spec.type === 'number' && a.spec.atLeast === name) options[other.field] = propValue(other, other.min);
    if (other.type === 'number' && other.atLeast === a.name) options[other.field] = propValue(other, other.max);
  }
  if (value !== undefined) options[a.spec.field] = propValue(a.spec, value);
  return { [a.prop]: options };
}

/** What the construct makes of `value` in the field of `a`: the value it renders, or its error. */
function constructOutcome(a: Described, value: unknown): { accepted: true; rendered: unknown; document: any } | { accepted: false; error: string } {
  try {
    const document = documentOf(propsWith(a, value));
    return { accepted: true, rendered: document.values[a.mode][a.name], document };
  } catch (error) {
    return { accepted: false, error: (error as Error).message };
  }
}

/** A value of each kind of attribute, and whether the description admits it. */
function casesOf(a: Described): Array<{ label: string; value: unknown; valid: boolean }> {
  switch (a.spec.type) {
    case 'number':
      return [
        { label: `min ${a.spec.min}`, value: a.spec.min, valid: true },
        { label: `max ${a.spec.max}`, value: a.spec.max, valid: true },
        { label: `min - 1 = ${a.spec.min - 1}`, value: a.spec.min - 1, valid: false },
        { label: `max + 1 = ${a.spec.max + 1}`, value: a.spec.max + 1, valid: false },
        { label: `the fraction ${a.spec.min + 0.5}`, value: a.spec.min + 0.5, valid: !a.spec.integer },
      ];
    case 'string':
      return [
        { label: `${a.spec.maxLength} characters`, value: 'x'.repeat(a.spec.maxLength), valid: true },
        { label: `${a.spec.maxLength + 1} characters`, value: 'x'.repeat(a.spec.maxLength + 1), valid: false },
      ];
    case 'patterns':
      return [
        { label: `${a.spec.minItems} expression(s)`, value: Array(a.spec.minItems).fill('api\\.example\\.com'), valid: true },
        { label: `${a.spec.minItems - 1} expressions`, value: Array(a.spec.minItems - 1).fill('api\\.example\\.com'), valid: false },
        { label: `an expression of ${a.spec.maxLength} characters`, value: ['x'.repeat(a.spec.maxLength)], valid: true },
        { label: `an expression of ${a.spec.maxLength + 1} characters`, value: ['x'.repeat(a.spec.maxLength + 1)], valid: false },
        { label: 'an invalid expression', value: ['('], valid: false },
      ];
  }
}

const AGREEMENT_CASES = DESCRIBED.flatMap(a => casesOf(a).map(c => ({ ...c, a, title: `${a.mode}.${a.name} (${a.path}), ${c.label}` })));

/** Every mode on, with every attribute given. */
const EVERY_MODE: FailureInjectionProps = {
  latency: { enabled: true, percentage: 50, minLatency: Duration.millis(250), maxLatency: Duration.seconds(2) },
  timeout: { enabled: true, percentage: 10, buffer: Duration.millis(500) },
  diskSpace: { enabled: true, percentage: 20, sizeMb: 512 },
  denylist: { enabled: true, percentage: 30, hosts: ['^dynamodb\\..*\\.amazonaws\\.com$', 's3'] },
  statusCode: { enabled: true, percentage: 40, statusCode: 503 },
  exception: { enabled: true, percentage: 60, message: 'Chaos!' },
  corruption: { enabled: true, percentage: 70, body: '{"oops":true}' },
};

describe('FailureInjection', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const fi = new FailureInjection(stack, 'Chaos');

    // THEN
    const template = Template.fromStack(stack);
    const p = fi.profile;
    expect(p).toBeInstanceOf(AppConfigProfile);
    expect(p.applicationName).toMatch(/^Test-Chaos-Profile-[0-9a-f]{8}$/);
    expect(p.environmentName).toBe('chaos');
    expect(p.profileName).toBe('failure-injection');
    expect(p.configurationPath).toBe(`/applications/${p.applicationName}/environments/chaos/configurations/failure-injection`);

    expect(propertiesOf(stack, p.application)).toEqual({ Name: p.applicationName });
    expect(propertiesOf(stack, p.environment)).toEqual({ ApplicationId: { Ref: logicalIdOf(p.application) }, Name: 'chaos' });
    expect(onlyProperties(template, 'AWS::AppConfig::ConfigurationProfile')).toEqual({
      ApplicationId: { Ref: logicalIdOf(p.application) },
      LocationUri: 'hosted',
      Name: 'failure-injection',
      Type: 'AWS.AppConfig.FeatureFlags',
    });
    expect(onlyProperties(template, 'AWS::AppConfig::HostedConfigurationVersion')).toMatchObject({
      Content: fi.document,
      ContentType: 'application/json',
    });
    // fast rollouts for experiments, with AppConfig's predefined strategy: no strategy resource
    expect(onlyProperties(template, 'AWS::AppConfig::Deployment')).toMatchObject({
      DeploymentStrategyId: 'AppConfig.Linear50PercentEvery30Seconds',
      EnvironmentId: { Ref: logicalIdOf(p.environment) },
    });
    template.resourceCountIs('AWS::AppConfig::DeploymentStrategy', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(Object.keys(template.toJSON().Resources)).toHaveLength(5);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });

  describe('the flags document', () => {
    test('the default document satisfies AWS\'s AWS.AppConfig.FeatureFlags schema, as hosted', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      const fi = new FailureInjection(stack, 'Chaos');

      // THEN
      const hosted = onlyProperties(Template.fromStack(stack), 'AWS::AppConfig::HostedConfigurationVersion').Content;
      expect(hosted).toBe(fi.document);
      expect(schemaErrors(JSON.parse(fi.document))).toEqual([]);
      expect(schemaErrors(JSON.parse(hosted))).toEqual([]);
    });

    test('control: the schema and the constraint checker refuse broken documents', () => {
      // GIVEN
      const document = documentOf({});

      // WHEN
      const unknownKey = { ...document, extra: true };
      const badName = { ...document, values: { ...document.values, Latency: { enabled: true } } };
      const emptyArray = { ...document, values: { ...document.values, denylist: { enabled: false, denylist: [] } } };
      const outOfRange = { ...document, values: { ...document.values, statuscode: { ...document.values.statuscode, statusCode: 600 } } };
      const missing = { ...document, values: { ...document.values, diskspace: { enabled: true, percentage: 100 } } };

      // THEN
      expect(schemaErrors(unknownKey)).toContain(' must NOT have additional properties');
      expect(schemaErrors(badName)).toContain('/values must NOT have additional properties');
      expect(schemaErrors(emptyArray)).toContain('/values/denylist/denylist must match exactly one schema in oneOf');
      expect(constraintProblems(outOfRange)).toEqual(['statuscode.statusCode must be <= 599, got 600']);
      expect(constraintProblems(missing)).toEqual(['diskspace.diskSpace is required']);
      expect(constraintProblems(badName)).toEqual(['Latency has a value but no definition']);
    });

    test('7 flags, all off, each with a percentage and its own attributes and constraints', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      const document = JSON.parse(new FailureInjection(stack, 'Chaos').document);

      // THEN
      expect(document.version).toBe('1');
      expect(Object.keys(document.flags)).toEqual(FLAGS);
      expect(Object.keys(document.values)).toEqual(FLAGS);
      const percentage = { constraints: { type: 'number', required: true, minimum: 0, maximum: 100 } };
      const ms = { constraints: { type: 'number', required: true, minimum: 0, maximum: 900_000 } };
      const expectedAttributes: Record<string, Record<string, unknown>> = {
        latency: { percentage, minLatency: ms, maxLatency: ms },
        timeout: { percentage, timeoutBuffer: ms },
        diskspace: { percentage, diskSpace: { constraints: { type: 'number', required: true, minimum: 1, maximum: 10_240 } } },
        denylist: { percentage, denylist: { constraints: { type: 'array', elements: { type: 'string' } } } },
        statuscode: { percentage, statusCode: { constraints: { type: 'number', required: true, minimum: 100, maximum: 599 } } },
        exception: { percentage, exceptionMessage: { constraints: { type: 'string', required: true } } },
        corruption: { percentage, body: { constraints: { type: 'string' } } },
      };
      for (const name of FLAGS) {
        expect(document.flags[name]).toEqual({
          name,
          description: expect.any(String),
          attributes: expectedAttributes[name],
        });
        expect(document.values[name].enabled).toBe(false);
      }
      // the default values
      expect(document.values).toEqual({
        latency: { enabled: false, percentage: 100, minLatency: 100, maxLatency: 400 },
        timeout: { enabled: false, percentage: 100, timeoutBuffer: 0 },
        diskspace: { enabled: false, percentage: 100, diskSpace: 100 },
        denylist: { enabled: false, percentage: 100 },
        statuscode: { enabled: false, percentage: 100, statusCode: 500 },
        exception: { enabled: false, percentage: 100, exceptionMessage: 'Injected failure' },
        corruption: { enabled: false, percentage: 100, body: '' },
      });
      // every value satisfies its flag's constraints
      expect(constraintProblems(document)).toEqual([]);
    });

    test('every mode on, with its attributes, renders in values', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      const fi = new FailureInjection(stack, 'Chaos', EVERY_MODE);

      // THEN
      const document = JSON.parse(fi.document);
      expect(document.values).toEqual({
        latency: { enabled: true, percentage: 50, minLatency: 250, maxLatency: 2000 },
        timeout: { enabled: true, percentage: 10, timeoutBuffer: 500 },
        diskspace: { enabled: true, percentage: 20, diskSpace: 512 },
        denylist: { enabled: true, percentage: 30, denylist: ['^dynamodb\\..*\\.amazonaws\\.com$', 's3'] },
        statuscode: { enabled: true, percentage: 40, statusCode: 503 },
        exception: { enabled: true, percentage: 60, exceptionMessage: 'Chaos!' },
        corruption: { enabled: true, percentage: 70, body: '{"oops":true}' },
      });
      expect(schemaErrors(document)).toEqual([]);
      expect(constraintProblems(document)).toEqual([]);
      expect(onlyProperties(Template.fromStack(stack), 'AWS::AppConfig::HostedConfigurationVersion').Content).toBe(fi.document);
    });

    test.each<[string, FailureInjectionProps, string, Record<string, unknown>]>([
      ['latency', { latency: { enabled: true, minLatency: Duration.seconds(1), maxLatency: Duration.minutes(15) } }, 'latency',
        { enabled: true, percentage: 100, minLatency: 1000, maxLatency: 900_000 }],
      ['latency, equal bounds', { latency: { enabled: true, minLatency: Duration.millis(0), maxLatency: Duration.millis(0) } }, 'latency',
        { enabled: true, percentage: 100, minLatency: 0, maxLatency: 0 }],
      ['timeout', { timeout: { enabled: true, buffer: Duration.seconds(3) } }, 'timeout', { enabled: true, percentage: 100, timeoutBuffer: 3000 }],
      ['timeout, default buffer', { timeout: { enabled: true } }, 'timeout', { enabled: true, percentage: 100, timeoutBuffer: 0 }],
      ['diskSpace, smallest', { diskSpace: { enabled: true, sizeMb: 1 } }, 'diskspace', { enabled: true, percentage: 100, diskSpace: 1 }],
      ['diskSpace, largest', { diskSpace: { enabled: true, sizeMb: 10_240, percentage: 0 } }, 'diskspace', { enabled: true, percentage: 0, diskSpace: 10_240 }],
      ['denylist', { denylist: { enabled: true, hosts: ['example\\.com'] } }, 'denylist', { enabled: true, percentage: 100, denylist: ['example\\.com'] }],
      ['statusCode, lowest', { statusCode: { enabled: true, statusCode: 100 } }, 'statuscode', { enabled: true, percentage: 100, statusCode: 100 }],
      ['statusCode, highest', { statusCode: { enabled: true, statusCode: 599 } }, 'statuscode', { enabled: true, percentage: 100, statusCode: 599 }],
      ['exception', { exception: { enabled: true, message: 'Database down' } }, 'exception', { enabled: true, percentage: 100, exceptionMessage: 'Database down' }],
      ['corruption', { corruption: { enabled: true, body: 'garbage' } }, 'corruption', { enabled: true, percentage: 100, body: 'garbage' }],
      ['corruption, default body', { corruption: { enabled: true } }, 'corruption', { enabled: true, percentage: 100, body: '' }],
      ['a mode with options but off', { exception: { percentage: 5, message: 'later' } }, 'exception', { enabled: false, percentage: 5, exceptionMessage: 'later' }],
    ])('%s: the value, valid against the schema and the constraints', (_, props, flag, expected) => {
      // GIVEN
      const stack = newStack();

      // WHEN
      const document = JSON.parse(new FailureInjection(stack, 'Chaos', props).document);

      // THEN
      expect(document.values[flag]).toEqual(expected);
      // the other flags keep their defaults, off
      for (const other of FLAGS.filter(f => f !== flag)) {
        expect(document.values[other].enabled).toBe(false);
      }
      expect(schemaErrors(document)).toEqual([]);
      expect(constraintProblems(document)).toEqual([]);
    });

    test('an empty denylist is left out: AppConfig refuses an empty array', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      const document = JSON.parse(new FailureInjection(stack, 'Chaos', { denylist: { hosts: [] } }).document);

      // THEN
      expect(document.values.denylist).toEqual({ enabled: false, percentage: 100 });
      expect(schemaErrors(document)).toEqual([]);
    });

    test('the document is deterministic', () => {
      // GIVEN
      const first = new FailureInjection(newStack(), 'Chaos', EVERY_MODE);

      // WHEN
      const second = new FailureInjection(newStack(), 'Chaos', EVERY_MODE);

      // THEN
      expect(second.document).toBe(first.document);
    });
  });

  describe('one description of the modes, shared with injectFailure()', () => {
    let extension: LocalAppConfigExtension;
    let routes = 0;

    beforeAll(async () => {
      extension = await startLocalAppConfigExtension();
    });

    afterAll(async () => {
      await extension.stop();
    });

    /** The problems injectFailure() finds in a document with `flag` as the flag of `mode` (none: it accepts it). */
    async function runtimeProblems(mode: FailureMode, flag: Record<string, unknown>): Promise<string[]> {
      const route = `/applications/agreement-${++routes}/environments/test/configurations/chaos`;
      extension.serve(route, { [mode]: flag });
      const warnings: Array<Record<string, unknown>> = [];
      const logger: RuntimeLogger = {
        info: () => undefined,
        warn: (message, details) => warnings.push({ message, ...details }),
        error: () => undefined,
      };
      // The read only needs an answer: a loaded machine may take longer than the runtime's default 1 s to give it.
      await injectFailure(async () => 'handled', { path: route, host: '127.0.0.1', port: extension.port, timeout: 30_000, dryRun: true, logger })({}, {});
      return warnings.flatMap(w => (w.problems as string[] | undefined) ?? [String(w.message)]);
    }

    test('the document has one flag per mode, in the description\'s order, with its description and constraints', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      const document = JSON.parse(new FailureInjection(stack, 'Chaos').document);

      // THEN
      expect(Object.keys(document.flags)).toEqual(FAILURE_MODE_NAMES);
      for (const mode of FAILURE_MODE_NAMES) {
        expect(document.flags[mode].description).toBe(FAILURE_MODES[mode].description);
        expect(Object.keys(document.flags[mode].attributes)).toEqual(DESCRIBED.filter(a => a.mode === mode).map(a => a.name));
      }
      for (const a of DESCRIBED) {
        const constraints = document.flags[a.mode].attributes[a.name].constraints;
        expect(constraints.required ?? false).toBe(a.spec.required);
        if (a.spec.type === 'number') {
          expect(constraints).toEqual({ type: 'number', required: a.spec.required, minimum: a.spec.min, maximum: a.spec.max });
        }
      }
    });

    test.each(DESCRIBED.filter(a => a.name !== 'percentage').map(a => [`${a.mode}.${a.name}`, a] as const))(
      'injectFailure() requires %s in an enabled flag', async (_, a) => {
        // GIVEN the value the construct renders for the enabled mode, without the attribute
        const { [a.name]: _left, ...flag } = documentOf(propsWith(a)).values[a.mode];

        // WHEN
        const problems = await runtimeProblems(a.mode, flag);

        // THEN
        expect(problems).toEqual([expect.stringMatching(new RegExp(`^${a.mode}\\.${a.name} must be .*, got nothing$`))]);
      });

    test.each(AGREEMENT_CASES.map(c => [c.title, c] as const))('%s: the construct and injectFailure() agree', async (_, c) => {
      // GIVEN the flag the construct renders for the mode, with the value in the attribute
      const flag = { ...documentOf(propsWith(c.a)).values[c.a.mode], [c.a.name]: c.value };

      // WHEN
      const construct = constructOutcome(c.a, c.value);
      const problems = await runtimeProblems(c.a.mode, flag);

      // THEN both accept a valid value, and the construct renders it as is in the flag injectFailure() reads
      if (c.valid) {
        expect(construct).toEqual({ accepted: true, rendered: c.value, document: expect.anything() });
        expect(problems).toEqual([]);
        if (construct.accepted) expect(construct.document.values[c.a.mode]).toEqual(flag);
        return;
      }
      // THEN both refuse an invalid value, naming it: the construct by the prop, injectFailure() by the flag attribute
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^${c.a.mode}\\.${c.a.name} `))]);
      expect(construct.accepted).toBe(false);
      if (!construct.accepted) {
        // A negative Duration cannot even be made.
        const negativeDuration = c.a.spec.type === 'number' && c.a.spec.unit === 'ms' && (c.value as number) < 0;
        expect(construct.error).toMatch(negativeDuration ? /^Duration amounts cannot be negative/ : new RegExp(`^${c.a.path.replace('.', '\\.')} must `));
      }
    });
  });

  test('applicationName, environmentName, deploymentStrategy, stopConditions (the environment\'s monitors)', () => {
    // GIVEN
    const stack = newStack();
    const strategy = appconfig.DeploymentStrategy.fromDeploymentStrategyId(stack, 'S', appconfig.DeploymentStrategyId.CANARY_10_PERCENT_20_MINUTES);
    const steady = new cloudwatch.Alarm(stack, 'Steady', {
      metric: new cloudwatch.Metric({ namespace: 'Orders', metricName: 'Placed' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });

    // WHEN
    const fi = new FailureInjection(stack, 'Chaos', {
      applicationName: 'orders-chaos',
      environmentName: 'staging',
      deploymentStrategy: strategy,
      stopConditions: [steady],
    });

    // THEN
    const template = Template.fromStack(stack);
    expect(fi.profile.configurationPath).toBe('/applications/orders-chaos/environments/staging/configurations/failure-injection');
    expect(propertiesOf(stack, fi.profile.application)).toEqual({ Name: 'orders-chaos' });
    expect(onlyProperties(template, 'AWS::AppConfig::Deployment').DeploymentStrategyId).toBe('AppConfig.Canary10Percent20Minutes');
    const roleId = onlyLogicalId(template, 'AWS::IAM::Role');
    expect(propertiesOf(stack, fi.profile.environment)).toEqual({
      ApplicationId: { Ref: logicalIdOf(fi.profile.application) },
      Name: 'staging',
      Monitors: [{ AlarmArn: { 'Fn::GetAtt': [logicalIdOf(steady), 'Arn'] }, AlarmRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } }],
    });
    expect(template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement)
      .toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'appconfig.amazonaws.com' } }]);
    expect(onlyProperties(template, 'AWS::IAM::Policy').PolicyDocument.Statement)
      .toEqual([{ Action: 'cloudwatch:DescribeAlarms', Effect: 'Allow', Resource: '*' }]);
  });

  describe('attachTo', () => {
    test('the layer, the flags path, read of the profile, and no error alarm', () => {
      // GIVEN
      const stack = regionalStack('S');
      const fi = new FailureInjection(stack, 'Chaos');
      const fn = new lambda.Function(stack, 'Fn', handlerProps);

      // WHEN
      const grant = fi.attachTo(fn);

      // THEN
      expect(grant.success).toBe(true);
      expect(fi.profile.monitors).toEqual([]);
      const template = Template.fromStack(stack);
      const fnProps = propertiesOf(stack, fn);
      expect(fnProps.Layers).toEqual([X86_LAYER]);
      expect(fnProps.Environment.Variables).toEqual({
        FAILURE_INJECTION_CONFIGURATION_PATH: `/applications/${fi.profile.applicationName}/environments/chaos/configurations/failure-injection`,
      });
      const policies = Object.values(template.findResources('AWS::IAM::Policy'));
      expect(policies).toHaveLength(1);
      expect(policies[0].Properties.Roles).toEqual([{ Ref: logicalIdOf(fn.role!) }]);
      expect(policies[0].Properties.PolicyDocument.Statement).toEqual([{
        Action: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
        Effect: 'Allow',
        Resource: profileReadArn(fi.profile),
      }]);
      // experiments must not roll themselves back on the errors they inject
      template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
      expect(propertiesOf(stack, fi.profile.environment).Monitors).toBeUndefined();
      template.resourceCountIs('AWS::IAM::Role', 1);
      expect(() => Template.fromStack(stack)).not.toThrow();
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });

    test('with stopConditions: only the steady-state alarms roll an experiment back', () => {
      // GIVEN
      const stack = regionalStack('S');
      const steady = cloudwatch.Alarm.fromAlarmArn(stack, 'Steady', 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:steady');
      const fi = new FailureInjection(stack, 'Chaos', { stopConditions: [steady] });
      const fn = new lambda.Function(stack, 'Fn', handlerProps);

      // WHEN
      fi.attachTo(fn);

      // THEN
      const monitors = propertiesOf(stack, fi.profile.environment).Monitors;
      expect(monitors).toEqual([{
        AlarmArn: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:steady',
        AlarmRoleArn: { 'Fn::GetAtt': [logicalIdOf(fi.profile.node.findChild('MonitorRole') as iam.Role), 'Arn'] },
      }]);
      Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
    });

    test('with an AppConfigProfile on the same function: one layer, two variables, two grants', () => {
      // GIVEN
      const stack = regionalStack('S');
      const config = new AppConfigProfile(stack, 'Config', { content: appconfig.ConfigurationContent.fromInlineJson('{"a":1}') });
      const fi = new FailureInjection(stack, 'Chaos');
      const fn = new lambda.Function(stack, 'Fn', handlerProps);

      // WHEN
      config.attachTo(fn);
      fi.attachTo(fn);

      // THEN
      const fnProps = propertiesOf(stack, fn);
      expect(fnProps.Layers).toEqual([X86_LAYER]);
      expect(fnProps.Environment.Variables).toEqual({
        APPCONFIG_CONFIGURATION_PATH: config.configurationPath,
        FAILURE_INJECTION_CONFIGURATION_PATH: fi.profile.configurationPath,
      });
      const template = Template.fromStack(stack);
      expect(actionsOn(template, profileReadArn(config))).toEqual(READ_ACTIONS);
      expect(actionsOn(template, profileReadArn(fi.profile))).toEqual(READ_ACTIONS);
      // the configuration's error alarm rolls back the configuration, not the experiment
      template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
      expect(propertiesOf(stack, config.environment).Monitors).toHaveLength(1);
      expect(propertiesOf(stack, fi.profile.environment).Monitors).toBeUndefined();
    });

    test('in the other order: still one layer', () => {
      // GIVEN
      const stack = regionalStack('S');
      const config = new AppConfigProfile(stack, 'Config', { content: appconfig.ConfigurationContent.fromInlineJson('{"a":1}') });
      const fi = new FailureInjection(stack, 'Chaos');
      const fn = new lambda.Function(stack, 'Fn', handlerProps);

      // WHEN
      fi.attachTo(fn);
      config.attachTo(fn);

      // THEN
      expect(propertiesOf(stack, fn).Layers).toEqual([X86_LAYER]);
      expect(Object.keys(propertiesOf(stack, fn).Environment.Variables).sort())
        .toEqual(['APPCONFIG_CONFIGURATION_PATH', 'FAILURE_INJECTION_CONFIGURATION_PATH']);
    });

    test('layerArn: used in an env-agnostic stack', () => {
      // GIVEN
      const stack = newStack();
      const layerArn = 'arn:aws:lambda:us-east-1:027255383542:layer:AWS-AppConfig-Extension:321';
      const fi = new FailureInjection(stack, 'Chaos', { layerArn });
      const fn = new lambda.Function(stack, 'Fn', handlerProps);

      // WHEN
      fi.attachTo(fn);

      // THEN
      expect(propertiesOf(stack, fn).Layers).toEqual([layerArn]);
    });

    test('fails in an env-agnostic stack without layerArn', () => {
      // GIVEN
      const stack = newStack();
      const fi = new FailureInjection(stack, 'Chaos');
      const fn = new lambda.Function(stack, 'Fn', handlerProps);

      // WHEN / THEN
      expect(() => fi.attachTo(fn)).toThrow(/layerArn is required when the stack's region is not known at synth time/);
    });
  });

  describe('validation', () => {
    test.each([-1, 101])('fails if a percentage is %d', (percentage) => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { latency: { enabled: true, percentage } }))
        .toThrow(new RegExp(`^latency\\.percentage must be an integer between 0 and 100, got ${percentage}$`));
    });

    test('fails if the exception percentage is 101, naming exception', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { exception: { percentage: 101 } }))
        .toThrow(/^exception\.percentage must be an integer between 0 and 100, got 101$/);
    });

    test('the errors of a percentage name the prop (diskSpace, statusCode), not the flag', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'A', { diskSpace: { percentage: 101 } }))
        .toThrow(/^diskSpace\.percentage must be an integer between 0 and 100, got 101$/);
      expect(() => new FailureInjection(stack, 'B', { statusCode: { percentage: -1 } }))
        .toThrow(/^statusCode\.percentage must be an integer between 0 and 100, got -1$/);
    });

    test.each([99, 600])('fails if statusCode is %d', (statusCode) => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { statusCode: { enabled: true, statusCode } }))
        .toThrow(new RegExp(`^statusCode\\.statusCode must be an integer between 100 and 599, got ${statusCode}$`));
    });

    test.each([0, 10_241])('fails if sizeMb is %d', (sizeMb) => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { diskSpace: { enabled: true, sizeMb } }))
        .toThrow(new RegExp(`^diskSpace\\.sizeMb must be an integer between 1 and 10240, got ${sizeMb}$`));
    });

    test('fails if a percentage is a fraction: every number of the flags is a whole number', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { latency: { enabled: true, percentage: 12.5 } }))
        .toThrow(/^latency\.percentage must be an integer between 0 and 100, got 12\.5$/);
    });

    test('fails if a duration is not a whole number of milliseconds', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { timeout: { enabled: true, buffer: Duration.millis(1.5) } }))
        .toThrow(/^timeout\.buffer must be an integer between 0 and 900000 ms \(15 minutes, the Lambda maximum\), got 1\.5 ms$/);
    });

    test('fails if a number is a token: it is written into the hosted document at synth time', () => {
      // GIVEN
      const stack = newStack();
      const number = Token.asNumber({ Ref: 'Chaos' });
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'A', { statusCode: { percentage: number } }))
        .toThrow(/^statusCode\.percentage must be known at synth time, got a token$/);
      expect(() => new FailureInjection(stack, 'B', { diskSpace: { sizeMb: number } }))
        .toThrow(/^diskSpace\.sizeMb must be known at synth time, got a token$/);
    });

    test('fails if maxLatency is below minLatency', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', {
        latency: { enabled: true, minLatency: Duration.millis(300), maxLatency: Duration.millis(200) },
      })).toThrow(/^latency\.maxLatency must be at least latency\.minLatency \(300 ms\), got 200 ms$/);
    });

    test('fails if a host is not a regular expression', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { denylist: { enabled: true, hosts: ['ok\\.com', '('] } }))
        .toThrow(/^denylist\.hosts must be regular expressions, got '\(': Invalid regular expression: \/\(\/: Unterminated group$/);
    });

    test('fails if a latency is a token', () => {
      // GIVEN
      const stack = newStack();
      const millis = Token.asNumber({ Ref: 'LatencyMs' });
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { latency: { maxLatency: Duration.millis(millis) } }))
        .toThrow(/^latency\.maxLatency must be known at synth time, got a token$/);
    });

    // AppConfig refuses values outside their attribute's constraints (0-900,000 ms), and so does injectFailure().
    test('fails if maxLatency is above 15 minutes', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { latency: { enabled: true, maxLatency: Duration.minutes(20) } }))
        .toThrow(/latency\.maxLatency/);
    });

    test('fails if the timeout buffer is above 15 minutes', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { timeout: { enabled: true, buffer: Duration.minutes(16) } }))
        .toThrow(/timeout\.buffer/);
    });

    // AppConfig's schema limits a string attribute value to 1,024 characters.
    test('fails if the corruption body is longer than 1,024 characters', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { corruption: { enabled: true, body: 'x'.repeat(1025) } }))
        .toThrow(/corruption\.body/);
    });

    test('fails if the exception message is longer than 1,024 characters', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { exception: { enabled: true, message: 'x'.repeat(1025) } }))
        .toThrow(/exception\.message/);
    });

    // injectFailure() requires the denylist attribute of an enabled denylist flag, and
    // refuses the whole document (no mode is injected) when it is missing.
    test('fails if denylist is enabled without hosts', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => new FailureInjection(stack, 'Chaos', { denylist: { enabled: true } }))
        .toThrow(/denylist\.hosts/);
    });
  });

  test('snapshot', () => {
    // GIVEN
    const stack = regionalStack('S');
    const fn = new lambda.Function(stack, 'Fn', handlerProps);

    // WHEN
    new FailureInjection(stack, 'Chaos', EVERY_MODE).attachTo(fn);

    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
