/**
 * The failure modes of `FailureInjection` (the construct) and `injectFailure`
 * (the runtime), each described once: its flag in the
 * AWS.AppConfig.FeatureFlags document, the construct prop that sets the
 * flag's initial value, and its attributes (the name in the flag, the field
 * of the prop, the range, whole numbers or not, the unit and the default).
 *
 * The construct renders the flag definitions and their constraints from this
 * description and validates its props against it; the runtime validates the
 * document it reads against it. Adding a mode is one entry here, its injector
 * in `failure-injection.ts`, and its jsii struct and prop in the construct.
 *
 * This module imports nothing: the construct loads it without any runtime
 * code, and handlers bundle it without aws-cdk-lib.
 */

/** Lambda's longest invocation, in ms: the range of every duration attribute. */
export const MAX_DURATION_MS = 900_000;
/** AppConfig's longest string attribute value (and array element), in characters. */
export const MAX_STRING_LENGTH = 1_024;
/** Why string attributes are limited. */
const APPCONFIG_LIMIT = 'AppConfig\'s limit for a flag attribute';
/** Why duration attributes are limited. */
const LAMBDA_LIMIT = '15 minutes, the Lambda maximum';

/**
 * A number attribute. Every number of the document is a whole number: AppConfig
 * cannot say so in a constraint, so the construct and the runtime check it.
 */
export interface NumberAttributeDescription {
  readonly type: 'number';
  /** The field of the construct prop that sets it: a `Duration` when `unit` is `ms`, else a number. */
  readonly field: string;
  /** Whether the flag definition requires a value (AppConfig's `required` constraint). */
  readonly required: boolean;
  /** The smallest value. */
  readonly min: number;
  /** The largest value. */
  readonly max: number;
  /** Whether fractions are refused, by the construct and the runtime alike. */
  readonly integer: boolean;
  /** The unit of the value in the flag (`ms`: the construct prop is a `Duration`). */
  readonly unit?: 'ms' | 'MB' | '%';
  /** Why the range is what it is, said by the construct's error. */
  readonly limit?: string;
  /** Another attribute of the flag that this one must be at least. */
  readonly atLeast?: string;
  /** The value when the construct prop leaves the field out. */
  readonly default: number;
}

/** A string attribute. */
export interface StringAttributeDescription {
  readonly type: 'string';
  /** The field of the construct prop that sets it. */
  readonly field: string;
  /** Whether the flag definition requires a value (AppConfig's `required` constraint). */
  readonly required: boolean;
  /** The longest value, in characters. */
  readonly maxLength: number;
  /** Why the length is limited, said by the errors. */
  readonly limit: string;
  /** The value when the construct prop leaves the field out. */
  readonly default: string;
}

/**
 * An array of regular expressions (an AppConfig string array). An empty array
 * matches both of AppConfig's array types, which its schema refuses: the
 * construct leaves an empty or missing list out of the flag's value.
 */
export interface PatternsAttributeDescription {
  readonly type: 'patterns';
  /** The field of the construct prop that sets it. */
  readonly field: string;
  /** Whether the flag definition requires a value (AppConfig's `required` constraint). */
  readonly required: boolean;
  /** The fewest expressions of an enabled flag. */
  readonly minItems: number;
  /** The longest expression, in characters. */
  readonly maxLength: number;
  /** Why the length is limited, said by the errors. */
  readonly limit: string;
}

/** One attribute of a flag. */
export type AttributeDescription = NumberAttributeDescription | StringAttributeDescription | PatternsAttributeDescription;

/** One failure mode. */
export interface FailureModeDescription {
  /** The prop of `FailureInjectionProps` that sets the flag's initial value. */
  readonly prop: string;
  /** The flag's description in the document. */
  readonly description: string;
  /**
   * The flag's attributes besides `percentage`, by their name in the flag, in
   * the document's order. The runtime requires each of them in an enabled flag.
   */
  readonly attributes: { readonly [name: string]: AttributeDescription };
}

/**
 * Every flag's first attribute, named `percentage` in the flag and in every
 * prop: the share of the invocations that get the failure, a whole number.
 * The runtime takes a missing one as the default.
 */
export const PERCENTAGE = {
  type: 'number', field: 'percentage', required: true, min: 0, max: 100, integer: true, unit: '%', default: 100,
} as const satisfies NumberAttributeDescription;

/**
 * The failure modes by flag name, in the order the runtime applies them (and
 * the document lists them).
 */
export const FAILURE_MODES = {
  /** Waits a random time before the handler (the construct's `latency` prop). */
  latency: {
    prop: 'latency',
    description: 'Waits a random time between minLatency and maxLatency (ms) before the handler',
    attributes: {
      /** The shortest latency, in whole ms (0-900,000). */
      minLatency: { type: 'number', field: 'minLatency', required: true, min: 0, max: MAX_DURATION_MS, integer: true, unit: 'ms', limit: LAMBDA_LIMIT, default: 100 },
      /** The longest latency, in whole ms (`minLatency`-900,000). */
      maxLatency: {
        type: 'number',
        field: 'maxLatency',
        required: true,
        min: 0,
        max: MAX_DURATION_MS,
        integer: true,
        unit: 'ms',
        limit: LAMBDA_LIMIT,
        default: 400,
        atLeast: 'minLatency',
      },
    },
  },
  /** Holds the invocation until it times out (`timeout` prop). */
  timeout: {
    prop: 'timeout',
    description: 'Holds the invocation until timeoutBuffer (ms) before the function times out',
    attributes: {
      /** What is left of the invocation when the handler starts, in whole ms (0-900,000). */
      timeoutBuffer: { type: 'number', field: 'buffer', required: true, min: 0, max: MAX_DURATION_MS, integer: true, unit: 'ms', limit: LAMBDA_LIMIT, default: 0 },
    },
  },
  /** Fills `/tmp` for the invocation (`diskSpace` prop). */
  diskspace: {
    prop: 'diskSpace',
    description: 'Writes diskSpace MB to /tmp before the handler, removed after it',
    attributes: {
      /** The file's size, in MB (MiB, as Lambda's ephemeral storage counts them): a whole number 1-10,240. */
      diskSpace: { type: 'number', field: 'sizeMb', required: true, min: 1, max: 10_240, integer: true, unit: 'MB', default: 100 },
    },
  },
  /** Fails DNS lookups of matching hosts (`denylist` prop). */
  denylist: {
    prop: 'denylist',
    description: 'Fails DNS lookups of the hosts that match any regular expression of denylist',
    attributes: {
      /**
       * Regular expressions (JavaScript syntax, unanchored unless you anchor
       * them) tested against host names, case-insensitively (host names are):
       * `^api\.example\.com$` also denies `API.Example.com`. IP addresses are
       * never denied. At least one.
       */
      denylist: { type: 'patterns', field: 'hosts', required: false, minItems: 1, maxLength: MAX_STRING_LENGTH, limit: APPCONFIG_LIMIT },
    },
  },
  /** Returns `{ statusCode }` instead of running the handler (`statusCode` prop). */
  statuscode: {
    prop: 'statusCode',
    description: 'Returns { statusCode } instead of running the handler',
    attributes: {
      /** An HTTP status code, a whole number 100-599. */
      statusCode: { type: 'number', field: 'statusCode', required: true, min: 100, max: 599, integer: true, default: 500 },
    },
  },
  /** Throws instead of running the handler (`exception` prop). */
  exception: {
    prop: 'exception',
    description: 'Throws an Error with exceptionMessage instead of running the handler',
    attributes: {
      /** The message of the `Error` thrown. */
      exceptionMessage: { type: 'string', field: 'message', required: true, maxLength: MAX_STRING_LENGTH, limit: APPCONFIG_LIMIT, default: 'Injected failure' },
    },
  },
  /** Replaces the body of the handler's result (`corruption` prop). */
  corruption: {
    prop: 'corruption',
    description: 'Replaces the body of the handler\'s response with body',
    attributes: {
      /** What replaces the `body` of the handler's result (or the result). */
      body: { type: 'string', field: 'body', required: false, maxLength: MAX_STRING_LENGTH, limit: APPCONFIG_LIMIT, default: '' },
    },
  },
} as const satisfies { readonly [flag: string]: FailureModeDescription };

/**
 * A failure mode: the name of its flag.
 *
 * @useDeclaredType
 */
export type FailureMode = keyof typeof FAILURE_MODES;

/** The failure modes, in the order the runtime applies them. */
export const FAILURE_MODE_NAMES = /* @__PURE__ */ Object.keys(FAILURE_MODES) as readonly FailureMode[];

/**
 * The attributes of mode `M` as an enabled flag carries them (besides
 * `percentage`), typed from its description: a number, a string, or an array
 * of regular expressions.
 *
 * @inline
 */
export type FailureModeAttributes<M extends FailureMode> = {
  readonly [K in keyof (typeof FAILURE_MODES)[M]['attributes']]:
  (typeof FAILURE_MODES)[M]['attributes'][K] extends { readonly type: 'number' } ? number
    : (typeof FAILURE_MODES)[M]['attributes'][K] extends { readonly type: 'string' } ? string
      : readonly string[];
};
