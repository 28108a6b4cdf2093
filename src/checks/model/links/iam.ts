import { CFN_TYPE, CfnModel, ModelResource } from '../cfn-model';
import { readFunction, readPolicies, readRoleManagedPolicies } from '../cfn-properties';
import { eventsAllowedBy } from '../event-patterns';
import { Linker, LinkSource, RECEIVED } from './linker';

const { QUEUE, FUNCTION, TOPIC, BUS, STATE_MACHINE } = CFN_TYPE;

/**
 * IAM: a function to what its role may send to, invoke or start (a statement that names the resource), and, as a
 * `possible` link, to what its environment names when its role may reach every resource of that kind.
 */
export const IAM_LINKS: LinkSource = {
  name: 'IAM grants',
  find: graph => linkGrants(graph),
};

/** What a grant lets a function do to a resource of each type: send to a queue, publish to a topic, ... */
const GRANTS: ReadonlyArray<[string, string]> = [
  [QUEUE, 'sqs:SendMessage'], [TOPIC, 'sns:Publish'], [BUS, 'events:PutEvents'], [FUNCTION, 'lambda:InvokeFunction'],
  [STATE_MACHINE, 'states:StartExecution'],
];

/**
 * The actions that AWS managed policies allow on every resource, for the
 * services whose sends the retry budget follows.
 * @see https://docs.aws.amazon.com/aws-managed-policy/latest/reference/policy-list.html
 */
const AWS_MANAGED_POLICY_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  AdministratorAccess: ['*'],
  PowerUserAccess: ['*'],
  AWSStepFunctionsFullAccess: ['states:*'],
  AWSStepFunctionsConsoleFullAccess: ['states:*'],
  AmazonSQSFullAccess: ['sqs:*'],
  AmazonSNSFullAccess: ['sns:*'],
  AmazonEventBridgeFullAccess: ['events:*'],
  CloudWatchEventsFullAccess: ['events:*'],
  AWSLambda_FullAccess: ['lambda:*'],
  AWSLambdaRole: ['lambda:InvokeFunction'],
};

/**
 * A function whose role may send to a queue, publish to a topic, put events on a bus, invoke a function or start
 * a state machine. What a grant on a bus lets the function put, its conditions say (`eventsAllowedBy`).
 */
function linkGrants(graph: Linker): void {
  // The functions of each role, once: a policy names roles, and each role's functions are looked up, not searched for.
  const functionsOfRole = new Map<ModelResource, ModelResource[]>();
  const allFunctions = graph.model.ofType(FUNCTION);
  const order = new Map(allFunctions.map((fn, i) => [fn, i]));
  for (const fn of allFunctions) {
    for (const role of graph.model.referencedBy(readFunction(fn).role)) functionsOfRole.set(role, [...functionsOfRole.get(role) ?? [], fn]);
  }
  const all = policies(graph.model);
  for (const { roles, statements } of all) {
    const functions = [...new Set(roles.flatMap(role => functionsOfRole.get(role) ?? []))].sort((a, b) => order.get(a)! - order.get(b)!);
    if (functions.length === 0) continue;
    for (const statement of statements) {
      if (statement.effect !== 'Allow') continue;
      for (const [type, action] of GRANTS) {
        if (!allows(statement.actions, action)) continue;
        for (const to of graph.model.referencedBy(statement.resources, type)) {
          const events = type === BUS ? eventsAllowedBy(statement) : undefined;
          for (const fn of functions) graph.link(fn, to, 'grant', RECEIVED, events, functions.length > 1);
        }
      }
    }
  }
  linkWildcardGrants(graph, functionsOfRole, all);
}

/**
 * A function whose role may send to every resource of a kind (a statement on `*`, an AWS managed policy such as
 * `AWSStepFunctionsFullAccess`), to the resources of that kind its environment names: a `possible` link.
 */
function linkWildcardGrants(graph: Linker, functionsOfRole: ReadonlyMap<ModelResource, readonly ModelResource[]>,
  all: ReturnType<typeof policies>): void {
  const wildcard = new Map<ModelResource, string[]>();
  const add = (role: ModelResource, actions: readonly unknown[]) => {
    for (const fn of functionsOfRole.get(role) ?? []) wildcard.set(fn, [...wildcard.get(fn) ?? [], ...actions.filter((a): a is string => typeof a === 'string')]);
  };
  for (const { roles, statements } of all) {
    for (const statement of statements) {
      const resources = Array.isArray(statement.resources) ? statement.resources : [statement.resources];
      if (statement.effect === 'Allow' && resources.includes('*')) roles.forEach(role => add(role, statement.actions));
    }
  }
  for (const role of graph.model.ofType(CFN_TYPE.ROLE)) {
    for (const policy of readRoleManagedPolicies(role)) add(role, AWS_MANAGED_POLICY_ACTIONS[policy] ?? []);
  }
  for (const [fn, actions] of wildcard) {
    const environment = readFunction(fn).environment;
    for (const [type, action] of GRANTS) {
      if (!allows(actions, action)) continue;
      for (const to of graph.model.referencedBy(environment, type)) {
        if (to !== fn) graph.link(fn, to, 'grant', RECEIVED, undefined, (functionsOfRole.get(roleOf(graph.model, fn)!) ?? []).length > 1, true);
      }
    }
  }
}

/** The role of a function, if the model has it. */
function roleOf(model: CfnModel, fn: ModelResource): ModelResource | undefined {
  return model.referencedOne(readFunction(fn).role, CFN_TYPE.ROLE);
}

/** Every IAM policy of the stack, with the roles it applies to. */
function policies(model: CfnModel) {
  const attached = model.ofType(CFN_TYPE.POLICY, CFN_TYPE.MANAGED_POLICY).flatMap(policy => readPolicies(policy)
    .map(({ roles, statements }) => ({ roles: model.referencedBy(roles, CFN_TYPE.ROLE), statements })));
  const inline = model.ofType(CFN_TYPE.ROLE).flatMap(role => readPolicies(role)
    .map(({ statements }) => ({ roles: [role], statements })));
  return [...attached, ...inline];
}

/** Whether an IAM `Action` list (with wildcards) allows `action`. */
function allows(actions: readonly unknown[], action: string): boolean {
  return actions.some(pattern => typeof pattern === 'string'
    && new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i').test(action));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
