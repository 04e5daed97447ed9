import { type PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Every cdk-nag acknowledgement of driftgate, each with its reason, as functions that take the constructs
 * they apply to. The constructs call them; no acknowledgement is written anywhere else.
 */

/** The cdk-nag packs driftgate is held to (they also honour the pattern acknowledgements below). */
export function nagPacks(scope: IConstruct): NagPack[] {
  return [new DriftgateAwsSolutionsChecks(scope), new DriftgateServerlessChecks(scope)];
}

/** Registers the cdk-nag packs on an app: synthesis then fails on any unacknowledged finding. */
export function addNagChecks(app: IConstruct): NagPack[] {
  const packs = nagPacks(app);
  Validations.of(app).addPlugins(...packs);
  return packs;
}

// ---- storage and queues ------------------------------------------------------------------------

/** The bucket that receives the data bucket's server access logs. */
export function acknowledgeAccessLogsBucket(bucket: s3.IBucket): void {
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This is the access-log destination; logging it into itself would loop.',
  });
}

/** A queue that is itself a dead-letter (or on-failure) queue; its depth raises an alarm. */
export function acknowledgeDeadLetterQueue(queue: sqs.IQueue): void {
  Validations.of(queue).acknowledge(
    { id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter (or on-failure) queue.' },
    { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself a dead-letter queue; its depth raises an alarm instead.' },
  );
}

/** The HMAC key that signs decision links. */
export function acknowledgeLinkSigningSecret(secret: secretsmanager.ISecret): void {
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'Rotating the link-signing key invalidates every outstanding approval link; rotate by hand between proposals.',
  });
}

// ---- functions ---------------------------------------------------------------------------------

/** How a function without a dead-letter queue is invoked, and where its failures go instead. */
const NO_DEAD_LETTER_QUEUE_REASON = {
  sqsEventSource:
    'Invoked synchronously by the SQS event source; failed messages go to the upload queue dead-letter queue.',
  functionUrl: 'Invoked synchronously through its function URL; the caller sees the failure.',
  onFailureDestination:
    'Invoked asynchronously (S3 notifications, EventBridge Scheduler); failed events go to the on-failure destination (an SQS queue), which records the event, the error and the attempts, unlike a classic DLQ.',
  stepFunctions:
    'Invoked synchronously by the scale-out state machine, which retries transient failures and fails the execution (alarmed) otherwise.',
} as const;

/** A function that needs no dead-letter queue of its own, for the reason `invokedBy` names. */
export function acknowledgeNoDeadLetterQueue(
  fn: lambda.IFunction,
  invokedBy: keyof typeof NO_DEAD_LETTER_QUEUE_REASON,
): void {
  Validations.of(fn).acknowledge({ id: 'Serverless-LambdaDLQ', reason: NO_DEAD_LETTER_QUEUE_REASON[invokedBy] });
}

/** A function fed by an SQS event source mapping. */
export function acknowledgeSqsEventSource(fn: lambda.IFunction): void {
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaEventSourceMappingDestination',
    reason:
      'SQS event source mappings do not support on-failure destinations; the upload queue redrives to its dead-letter queue.',
  });
}

/**
 * The scale-out state machine's role: CloudWatch Logs delivery takes no resource-level permissions, and a
 * Distributed Map's children are executions of the machine itself, whose ARNs end in a wildcard.
 */
export function acknowledgeStateMachineRole(role: iam.IRole, distributedMapPolicy: IConstruct): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'CloudWatch Logs delivery (logs:*LogDelivery*, DescribeLogGroups) does not support resource-level permissions.',
  });
  acknowledgeFindings(distributedMapPolicy, {
    rule: 'AwsSolutions-IAM5',
    finding: '^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*/\\*$',
    reason: 'A Distributed Map describes and stops the child executions of this state machine only (execution:<name>/*); their names are generated.',
  });
}

/**
 * A function that starts scale-out executions also describes them (a job whose execution failed runs again
 * under the next name, adapters/sfn-starter.ts): execution names are hashes of the job, made at run time.
 */
export function acknowledgeExecutionDescribe(role: iam.IRole): void {
  acknowledgeFindings(role, {
    rule: 'AwsSolutions-IAM5',
    finding: '^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<[^<>]+\\.Name>:\\*$',
    reason: 'DescribeExecution on the executions of the scale-out state machine only; their names are hashes of the job, made at run time.',
  });
}

/**
 * A driftgate function runs without X-Ray. Powertools Tracer would add about 125 KB and 50 ms of CPU to
 * every cold start (bench/bundles.ts) to trace a handful of S3/SNS calls whose outcomes the structured
 * logs (Lambda context, request id, model, key) and metrics already record; active tracing without it
 * shows only Lambda's own segment, yet needs an `xray:*` on `*` grant in every role.
 */
export function acknowledgeNoTracing(fn: lambda.IFunction): void {
  Validations.of(fn).acknowledge({ id: 'Serverless-LambdaTracing', reason: NO_TRACING_REASON });
}

const NO_TRACING_REASON = 'X-Ray off by choice: logs and metrics cover the calls; Tracer would cost every cold start (see lib/nag.ts).';

/**
 * The scale-out state machine runs without X-Ray, as its functions do (`acknowledgeNoTracing`): a trace of
 * the machine alone would show its states without the functions' segments, and the execution history and
 * ALL-level logs already record every state's input, output and error.
 */
export function acknowledgeNoStateMachineTracing(machine: IConstruct): void {
  Validations.of(machine).acknowledge({ id: 'AwsSolutions-SF2', reason: NO_TRACING_REASON });
  Validations.of(machine).acknowledge({ id: 'Serverless-StepFunctionStateMachineXray', reason: NO_TRACING_REASON });
}

/** The role of a function that publishes to a KMS-encrypted topic. */
export function acknowledgeEncryptedTopicPublish(role: iam.IRole): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason: 'Publishing to a KMS-encrypted topic needs GenerateDataKey* on the topics key only.',
  });
}

/**
 * The wildcards of a role's S3 grants on key prefixes: each resource wildcard covers the objects of one
 * prefix, never the whole bucket, and the only action wildcard is `grantPut`'s `s3:Abort*` (aborting a
 * multipart upload under the same prefixes). Reads are the exact `s3:GetObject` and listing the exact
 * `s3:ListBucket` with an `s3:prefix` condition, so neither needs a reason. A resource finding names the
 * bucket by its generated logical id (`Resource::<DataBucket1A2B3C4D.Arn>/config/*`), so it is
 * acknowledged by a pattern over the granted prefixes instead of by id.
 */
export function acknowledgePrefixGrants(
  role: iam.IRole,
  grants: { readonly read: readonly string[]; readonly put: readonly string[] },
): void {
  const reason = 'S3 grant scoped to one driftgate key prefix of the data bucket (grant method wildcards).';
  if (grants.put.length > 0) {
    Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason });
  }
  const prefixes = [...new Set([...grants.read, ...grants.put])];
  if (prefixes.length === 0) return;
  const alternatives = prefixes.map((prefix) => escapeRegExp(`${prefix}*`)).join('|');
  acknowledgeFindings(role, { rule: 'AwsSolutions-IAM5', finding: `^Resource::<[^<>]+\\.Arn>/(?:${alternatives})$`, reason });
}

// ---- resources CDK itself adds -----------------------------------------------------------------

/**
 * The notification handler (a custom resource) CDK adds to a stack for the first bucket notification.
 * Its s3:PutBucketNotification grant is scoped to each bucket (a policy beside the bucket), so only the
 * managed policy of its role needs a reason.
 */
export function acknowledgeBucketNotificationsHandler(handler: IConstruct): void {
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'CDK-managed custom resource that configures the bucket notification (not our code).',
  });
}

// ---- pattern acknowledgements ------------------------------------------------------------------

/**
 * Construct metadata holding pattern acknowledgements. cdk-nag 3 matches `Validations.acknowledge` ids
 * exactly (its v2 `appliesTo` regex is gone), and some findings embed a generated logical id.
 */
const FINDING_PATTERNS_METADATA = 'driftgate:acknowledged-finding-patterns';

/** Acknowledges the findings of one rule whose detail (inside the brackets) matches a regular expression. */
interface FindingPattern {
  /** Rule id without the finding, e.g. `AwsSolutions-IAM5`. */
  readonly rule: string;
  /** Regular expression source tested against the finding, e.g. `^Resource::<[^<>]+\.Arn>/config/\*$`. */
  readonly finding: string;
  readonly reason: string;
}

function acknowledgeFindings(scope: IConstruct, pattern: FindingPattern): void {
  scope.node.addMetadata(FINDING_PATTERNS_METADATA, pattern);
}

/** Whether a pattern on the construct or one of its scopes acknowledges `ruleName` (`Rule[finding]`). */
function acknowledgedByPattern(construct: IConstruct, ruleName: string): boolean {
  const match = /^(?<rule>[^[\]]+)\[(?<finding>.*)\]$/s.exec(ruleName);
  const { rule, finding } = match?.groups ?? {};
  if (rule === undefined || finding === undefined) return false;
  for (let scope: IConstruct | undefined = construct; scope !== undefined; scope = scope.node.scope) {
    for (const entry of scope.node.metadata) {
      if (entry.type !== FINDING_PATTERNS_METADATA) continue;
      const pattern = entry.data as FindingPattern;
      if (pattern.rule === rule && new RegExp(pattern.finding).test(finding)) return true;
    }
  }
  return false;
}

/** A pack's report without the violating resources a pattern acknowledges. */
function withoutPatternAcknowledged(scope: IConstruct, report: PolicyValidationPluginReport): PolicyValidationPluginReport {
  const byPath = new Map(scope.node.findAll().map((c) => [c.node.path, c]));
  const violations = report.violations
    .map((violation) => ({
      ...violation,
      violatingResources: violation.violatingResources.filter((resource) => {
        const construct = resource.constructPath === undefined ? undefined : byPath.get(resource.constructPath);
        return construct === undefined || !acknowledgedByPattern(construct, violation.ruleName);
      }),
    }))
    .filter((violation) => violation.violatingResources.length > 0);
  return { ...report, success: violations.length === 0, violations };
}

class DriftgateAwsSolutionsChecks extends AwsSolutionsChecks {
  public override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    return withoutPatternAcknowledged(scope, super.validateScope(scope));
  }
}

class DriftgateServerlessChecks extends ServerlessChecks {
  public override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    return withoutPatternAcknowledged(scope, super.validateScope(scope));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
