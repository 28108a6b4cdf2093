import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct, IConstruct } from 'constructs';
import { DEFAULTS } from './defaults';
import { acknowledgeGrantedWildcard } from './nag';

/**
 * The AWS FIS Lambda extension as a function sees it: the public SSM
 * parameters that hold its layer ARN per architecture (major version 1; the
 * parameter moves to each new 1.x release), and the variables it reads.
 *
 * @see https://docs.aws.amazon.com/fis/latest/userguide/actions-lambda-extension-arns.html
 * @see https://docs.aws.amazon.com/fis/latest/userguide/use-lambda-actions.html#fis-extension-environment-variables
 */
export const FIS_EXTENSION = {
  layerParameter: {
    x86_64: '/aws/service/fis/lambda-extension/AWS-FIS-extension-x86_64/1.x.x',
    arm64: '/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/1.x.x',
  },
  locationVariable: 'AWS_FIS_CONFIGURATION_LOCATION',
  wrapperVariable: 'AWS_LAMBDA_EXEC_WRAPPER',
  wrapper: '/opt/aws-fis/bootstrap',
} as const;

/** Where FIS writes the configurations of a function's faults, and the extension reads them. */
export interface ConfigurationLocation {
  readonly bucket: s3.IBucket;
  /** A folder: not empty, ends with `/`. */
  readonly prefix: string;
}

/** The S3 ARN of a location, as `AWS_FIS_CONFIGURATION_LOCATION` holds it: `arn:aws:s3:::bucket/prefix/`. */
export function locationArn(location: ConfigurationLocation): string {
  return location.bucket.arnForObjects(location.prefix);
}

/** The ARN of every object under a location. */
export function locationObjectsArn(location: ConfigurationLocation): string {
  return location.bucket.arnForObjects(`${location.prefix}*`);
}

const BUCKET_ID = 'FisConfigurationBucket';

/**
 * The configuration bucket of `scope`'s stack, created once: every
 * experiment of the stack that brings no bucket shares it, so that a function
 * targeted by several of them has one configuration location.
 */
export function defaultConfigurationBucket(scope: IConstruct): s3.Bucket {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(BUCKET_ID);
  if (existing instanceof s3.Bucket) return existing;
  if (existing) {
    throw new Error(`FisLambdaExperiment creates its stack's configuration bucket with the id '${BUCKET_ID}' at the stack's root, `
      + `but ${existing.node.path} already has that id: rename it, or give the experiments a configurationBucket`);
  }
  const bucket = new s3.Bucket(stack, BUCKET_ID, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    // Kept when the stack is deleted (aws-cdk-lib's default): a bucket that still holds an object would
    // fail the deletion. It is empty between experiments (FIS deletes what it wrote when an action ends,
    // and the lifecycle rule removes what is left after a day).
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [{
      expiration: DEFAULTS.fisConfigurationExpiration,
      abortIncompleteMultipartUploadAfter: DEFAULTS.fisConfigurationExpiration,
    }],
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'The bucket holds only the short-lived fault configurations that AWS FIS writes; the experiment log records every experiment, '
      + 'and the objects expire after a day.',
  });
  return bucket;
}

/**
 * Wires `fn` for the FIS Lambda actions, once per function: the extension
 * layer of its architecture (its ARN read from the public SSM parameter at
 * deploy time, so environment-agnostic stacks work), the two variables the
 * extension needs, and read access to the location only (list with an
 * `s3:prefix` condition, get under the prefix). A second experiment with the
 * same location reuses the wiring; a different location is an error, since a
 * function has one `AWS_FIS_CONFIGURATION_LOCATION`. Anything but a
 * `lambda.Function` of this app (an imported function, with or without its
 * role, an alias, a version) is refused: its layers and environment cannot be
 * set from here. `index` is its place in the `functions` prop.
 */
export function wireFunction(owner: IConstruct, fn: lambda.IFunction, index: number, location: ConfigurationLocation): lambda.Function {
  if (!(fn instanceof lambda.Function)) {
    throw new Error(`FisLambdaExperiment ${owner.node.path}: functions[${index}] must be a lambda.Function of this app (a NodejsFunction, ...), `
      + `got ${fn.node.path} (${describe(fn, fn.functionArn)}), ${notWireable(fn)}`);
  }
  const existing = fn.node.tryFindChild(FisExtensionWiring.ID);
  if (existing instanceof FisExtensionWiring) {
    existing.requireSameLocation(owner, location);
    return fn;
  }
  new FisExtensionWiring(fn, location);
  return fn;
}

/**
 * Why FIS cannot be wired into `fn`, which is not a `lambda.Function`, and
 * what to target instead. The FIS Lambda actions act only on a function that
 * carries the extension layer and its two variables; the layers and the
 * environment of a function belong to the app that deploys it, and a version
 * or an alias carries those of the function it was published from.
 */
function notWireable(fn: lambda.IFunction): string {
  const needs = `the FIS Lambda actions act only on a function that carries the FIS extension layer, ${FIS_EXTENSION.locationVariable} `
    + `and ${FIS_EXTENSION.wrapperVariable}`;
  if (fn instanceof lambda.QualifiedFunctionBase) {
    // Imported aliases and versions are no lambda.Alias or lambda.Version, but have their attributes.
    const qualified = fn as Partial<lambda.IAlias> & { version?: unknown };
    const kind = typeof qualified.aliasName === 'string' ? `an alias (${describe(fn, qualified.aliasName)})`
      : typeof qualified.version === 'string' ? `a version (${describe(fn, qualified.version)})` : 'an alias or a version';
    const target = fn.lambda instanceof lambda.Function
      ? `target the function itself, ${fn.lambda.node.path}: its versions published after the wiring carry them`
      : `its function, ${fn.lambda.node.path}, is not a lambda.Function of this app either: create the experiment in the app that deploys that function, on the function itself`;
    return `${kind} of a function: ${needs}, which are set on the function, never on a version or an alias; ${target}`;
  }
  if (!fn.node.defaultChild && !(fn instanceof lambda.SingletonFunction)) {
    return 'a function imported with Function.fromFunctionArn, fromFunctionName or fromFunctionAttributes: '
      + `${needs}, and an imported function's layers and environment belong to the app that deploys it, whatever role it is imported with; `
      + 'create the experiment in that app, on the function itself';
  }
  return `a ${fn.constructor.name} whose layers and environment this construct cannot set: ${needs}; target a lambda.Function of this app`;
}

/** The wiring of one function, a child of the function: it marks the function as wired. */
class FisExtensionWiring extends Construct {
  public static readonly ID = 'FisLambdaExtension';

  private readonly location: string;

  constructor(private readonly fn: lambda.Function, configuration: ConfigurationLocation) {
    super(fn, FisExtensionWiring.ID);
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    if (cfn.packageType === 'Image') {
      throw new Error(`function ${fn.node.path} is a container image: the FIS extension layer cannot be attached to it; `
        + 'package the extension into the image instead (see "Using AWS FIS with container runtimes" in the FIS user guide) and write the experiment template yourself');
    }
    this.location = locationArn(configuration);
    const variables = environmentOf(fn);
    const wrapper = variables[FIS_EXTENSION.wrapperVariable];
    if (wrapper !== undefined && wrapper !== FIS_EXTENSION.wrapper) {
      throw new Error(`function ${fn.node.path} already sets ${FIS_EXTENSION.wrapperVariable}=${String(wrapper)}: the FIS extension needs `
        + `${FIS_EXTENSION.wrapper} there; to run both, chain them as AWS documents ("Configuring multiple extensions using Lambda Runtime API proxy", `
        + 'AWS_FIS_PROXY_RUNTIME_API_ENDPOINT and AWS_FIS_PROXY_LISTENER_PORT) and wire the function yourself');
    }
    const given = variables[FIS_EXTENSION.locationVariable];
    if (given !== undefined && !sameValue(fn, given, this.location)) {
      throw new Error(`function ${fn.node.path} already sets ${FIS_EXTENSION.locationVariable}=${describe(fn, given)}; `
        + `a function has one configuration location, so its experiments must all use ${describe(fn, given)}: pass that bucket and prefix`);
    }

    const arm64 = fn.architecture.name === lambda.Architecture.ARM_64.name;
    const parameter = arm64 ? FIS_EXTENSION.layerParameter.arm64 : FIS_EXTENSION.layerParameter.x86_64;
    fn.addLayers(lambda.LayerVersion.fromLayerVersionArn(this, 'Layer', ssm.StringParameter.valueForStringParameter(this, parameter)));
    fn.addEnvironment(FIS_EXTENSION.locationVariable, this.location);
    fn.addEnvironment(FIS_EXTENSION.wrapperVariable, FIS_EXTENSION.wrapper);

    const { bucket, prefix } = configuration;
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [locationObjectsArn(configuration)] }));
    bucket.encryptionKey?.grantDecrypt(fn);
    acknowledgeGrantedWildcard(fn, nagResource(fn, locationObjectsArn(configuration)),
      'The FIS extension reads the fault configurations that FIS writes under its configuration prefix, and nothing else of the bucket.');

    // What is added to the function after this construct is checked at synth.
    this.node.addValidation({ validate: () => this.validateFunction() });
  }

  /** Throws unless `location` is the one this function is wired with. */
  public requireSameLocation(owner: IConstruct, location: ConfigurationLocation): void {
    const wanted = locationArn(location);
    if (!sameValue(this.fn, wanted, this.location)) {
      throw new Error(`function ${this.fn.node.path} already reads its FIS configuration from ${describe(this.fn, this.location)}; `
        + `${owner.node.path} cannot give it a second one (${describe(this.fn, wanted)}): a function has one ${FIS_EXTENSION.locationVariable}, `
        + 'so experiments on it must share one configurationBucket and configurationPrefix');
    }
  }

  private validateFunction(): string[] {
    const errors: string[] = [];
    const variables = environmentOf(this.fn);
    if (variables[FIS_EXTENSION.wrapperVariable] !== FIS_EXTENSION.wrapper) {
      errors.push(`${FIS_EXTENSION.wrapperVariable} of ${this.fn.node.path} was changed to ${String(variables[FIS_EXTENSION.wrapperVariable])} after a `
        + `FisLambdaExperiment wired it: the FIS extension needs ${FIS_EXTENSION.wrapper} (AWS documents how to chain Runtime API proxies)`);
    }
    if (!sameValue(this.fn, variables[FIS_EXTENSION.locationVariable], this.location)) {
      errors.push(`${FIS_EXTENSION.locationVariable} of ${this.fn.node.path} was changed after a FisLambdaExperiment wired it`);
    }
    for (const url of streamingUrlsOf(this.fn)) {
      errors.push(`function ${this.fn.node.path} streams its responses (function URL ${url.node.path} with InvokeMode RESPONSE_STREAM): `
        + 'the FIS Lambda extension does not support response streaming and suppresses it even when no fault runs');
    }
    return errors;
  }
}

/** The function URLs of this app that stream the responses of `fn` (or of an alias of it). */
function streamingUrlsOf(fn: lambda.Function): lambda.CfnUrl[] {
  const stack = Stack.of(fn);
  const arn = JSON.stringify(stack.resolve(fn.functionArn));
  return fn.node.root.node.findAll()
    .filter((c): c is lambda.CfnUrl => c instanceof lambda.CfnUrl)
    .filter(url => Stack.of(url) === stack && url.invokeMode === lambda.InvokeMode.RESPONSE_STREAM
      && JSON.stringify(stack.resolve(url.targetFunctionArn)) === arn);
}

/** The environment variables of `fn` as its template renders them now. */
function environmentOf(fn: lambda.Function): Record<string, unknown> {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const environment = Stack.of(fn).resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
  return environment?.variables ?? {};
}

function sameValue(scope: IConstruct, a: unknown, b: unknown): boolean {
  const stack = Stack.of(scope);
  return JSON.stringify(stack.resolve(a)) === JSON.stringify(stack.resolve(b));
}

/** A value for an error message: itself, or how the template renders it when it is a token. */
function describe(scope: IConstruct, value: unknown): string {
  return typeof value === 'string' && !Token.isUnresolved(value) ? value : nagResource(scope, value);
}

/**
 * A resource as cdk-nag names it in a finding id: `Ref` as `<Id>`,
 * `Fn::GetAtt` as `<Id.Attribute>`, pseudo parameters as `<AWS::Name>`, joins
 * concatenated.
 */
export function nagResource(scope: IConstruct, value: unknown): string {
  return render(Stack.of(scope).resolve(value));
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const v = value as Record<string, any>;
    if ('Ref' in v) return `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(render).join(v['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}
