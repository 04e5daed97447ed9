import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV, KEY_PREFIX } from '../functions/core/constants.js';
import { ADOPTION_ACCESS } from './adoption.js';
import { driftgateAlarm } from './alarms.js';
import { buildDriftgateFunction, type DriftgateFunction, type DriftgateHandler } from './driftgate-function.js';
import { grantLifecycleEvents } from './events.js';
import { grantPrefixes, type PrefixGrants } from './grants.js';
import { acknowledgeExecutionDescribe, acknowledgeNoDeadLetterQueue, acknowledgeNoStateMachineTracing, acknowledgeStateMachineRole } from './nag.js';

const p = KEY_PREFIX;

/** Key prefixes each step's function reads, writes and lists, and why (least privilege per state). */
export const SCALE_OUT_ACCESS = {
  /**
   * Plan: the adoption manifest, the footers of the training files or of the batch, and the first unit of the
   * first file with the model's config (roles), for the shared centred frames; writes the job, frames and manifest.
   */
  plan: { read: [p.adoptions, p.training, p.batches, p.config], put: [p.scaleout] },
  /** Sign: its file's column chunks, the model's config (roles), state and reference (a batch's edges); its partial. */
  sign: { read: [p.training, p.batches, p.config, p.state, p.references], readWrite: [p.scaleout], list: [p.scaleout] },
  /** Merge: partials of one level into one of the next, with the model's config, state and reference (edges). */
  merge: { read: [p.config, p.state, p.references], readWrite: [p.scaleout], list: [p.scaleout] },
  /** Finish: what the adopt function touches to install a reference, plus the batch signature it stores. */
  finish: {
    read: [...ADOPTION_ACCESS.read.filter((x) => x !== p.signatures)],
    readWrite: [...ADOPTION_ACCESS.readWrite, p.signatures, p.scaleout],
    list: [...ADOPTION_ACCESS.list, p.scaleout],
  },
} as const satisfies Record<string, PrefixGrants>;

/** A DistributedMap whose definition states `ToleratedFailurePercentage: 0` (CDK omits a zero, AWS's default). */
class StrictDistributedMap extends sfn.DistributedMap {
  public override toStateJson(queryLanguage?: sfn.QueryLanguage): object {
    return { ...super.toStateJson(queryLanguage), ToleratedFailurePercentage: 0 };
  }
}

/**
 * A listObjectsV2 ItemReader that grants nothing itself: CDK's grants s3:ListBucket on `*` for a bucket given by
 * path; the state machine's role gets ListBucket on the data bucket for `training/*` only (below).
 */
class PrefixGrantedObjectsReader extends sfn.S3ObjectsItemReader {
  public override providePolicyStatements(): iam.PolicyStatement[] {
    return [];
  }
}

/** Options of the scale-out path (the Driftgate construct's `scaleOut` prop). */
export interface ScaleOutOptions {
  /**
   * Distributed Map children (sign-range invocations) running at once (1 to 10,000).
   * @default 100
   */
  readonly maxConcurrency?: number;
  /**
   * Retries of a step whose function failed transiently (throttled, timed out, an S3 error), 2 s then doubling.
   * A file that cannot be read is never retried: it fails the execution, naming the file.
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * Partial signatures merged by one merge invocation (the tree merge's fan-in, 2 to 1,000).
   * @default 64
   */
  readonly mergeFanIn?: number;
  /**
   * Memory of the sign-range function in MB: the reader holds two row groups' decoded columns.
   * @default 2048
   */
  readonly signMemorySize?: number;
  /**
   * Timeout of one sign-range invocation.
   * @default Duration.minutes(10)
   */
  readonly signTimeout?: Duration;
  /**
   * Stored bytes one work item reads: its time budget times the measured signing rate. The default is
   * 5 minutes at 10 MB/s, a quarter of what bench/README.md measured, so an item ends well inside `signTimeout`.
   * @default 3_000_000_000
   */
  readonly itemBytes?: number;
  /**
   * Training data (all files of one adoption) above this many bytes is signed by the state machine.
   * @default 2 GiB (2147483648)
   */
  readonly adoptThresholdBytes?: number;
  /**
   * An uploaded batch above this many bytes is signed by the state machine.
   * @default 1 GiB (1073741824)
   */
  readonly ingestThresholdBytes?: number;
}

/** Properties of the scale-out builder. */
export interface ScaleOutProps extends ScaleOutOptions {
  readonly bucket: s3.IBucket;
  /** Where the errors alarms notify (the ops alarms topic). */
  readonly alarmTopic: sns.ITopic;
  /**
   * Retention of the functions' and the state machine's log groups.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /** The adopt function: it starts an execution for training data above `adoptThresholdBytes`. */
  readonly adoptFunction: lambda.Function;
  /** The ingest function: it starts an execution for a batch above `ingestThresholdBytes`. */
  readonly ingestFunction: lambda.Function;
  /**
   * The lifecycle events' bus: Finish puts ReferenceAdopted on it, as the adopt function does.
   * @default none (Finish emits no events)
   */
  readonly eventBus?: events.IEventBus;
}

/** Validates the options and returns every problem found (empty when usable). */
export function validateScaleOutOptions(options: ScaleOutOptions): string[] {
  const problems: string[] = [];
  const ints: [keyof ScaleOutOptions, number | undefined, number, number][] = [
    ['maxConcurrency', options.maxConcurrency, 1, 10_000],
    ['retryAttempts', options.retryAttempts, 0, 10],
    ['mergeFanIn', options.mergeFanIn, 2, 1000],
    ['signMemorySize', options.signMemorySize, 128, 10_240],
    ['itemBytes', options.itemBytes, 1, Number.MAX_SAFE_INTEGER],
    ['adoptThresholdBytes', options.adoptThresholdBytes, 1, Number.MAX_SAFE_INTEGER],
    ['ingestThresholdBytes', options.ingestThresholdBytes, 1, Number.MAX_SAFE_INTEGER],
  ];
  for (const [name, value, min, max] of ints) {
    if (value !== undefined && !Token.isUnresolved(value) && !(Number.isInteger(value) && value >= min && value <= max)) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
  }
  const timeout = options.signTimeout;
  if (timeout !== undefined && !timeout.isUnresolved() && (timeout.toSeconds() < 1 || timeout.toSeconds() > 900)) {
    problems.push(`signTimeout must be from 1 second to 15 minutes, got ${timeout.toHumanString()}`);
  }
  return problems;
}

/** The scale-out path and what the stack reads from it. */
export interface ScaleOut {
  readonly stateMachine: sfn.StateMachine;
  readonly planFunction: lambda.Function;
  readonly signRangeFunction: lambda.Function;
  readonly mergeFunction: lambda.Function;
  readonly finishFunction: lambda.Function;
  readonly alarms: cloudwatch.Alarm[];
}

/** Errors of a step that a retry may cure (Lambda's own, and driftgate's AdapterError for an S3 failure). */
const TRANSIENT_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'AdapterError', 'States.Timeout'];

/**
 * The Step Functions scale-out of signing (issue 14): Plan (footers → a manifest of file × row-group-range
 * items under `scaleout/<jobId>/`) → Sign (a Distributed Map whose ItemReader reads that manifest; one
 * sign-range child per item, `maxConcurrency` at once, `ToleratedFailurePercentage` 0) → Merge (a tree
 * merge, level by level, `mergeFanIn` partials per invocation) → Finish (install the reference, or store the
 * batch signature). Each step runs as its own function with its own role: only Finish may write references,
 * state or signatures; no step may publish or read the secret. The adopt and ingest functions get the
 * machine's ARN and threshold and may start executions of it, nothing more.
 *
 * @example
 * const scaleOut = buildScaleOut(this, { bucket, alarmTopic, adoptFunction, ingestFunction, maxConcurrency: 200 });
 */
export function buildScaleOut(scope: Construct, props: ScaleOutProps): ScaleOut {
  const problems = validateScaleOutOptions(props);
  if (problems.length > 0) throw new Error(`ScaleOut: invalid options:\n- ${problems.join('\n- ')}`);
  const construct = new Construct(scope, 'ScaleOut');
  const { bucket } = props;
  const retryAttempts = props.retryAttempts ?? 3;

  const fn = (id: string, handler: DriftgateHandler, grants: PrefixGrants, extra: { memorySize?: number; timeout?: Duration; environment?: Record<string, string> } = {}): DriftgateFunction => {
    const built = buildDriftgateFunction(construct, id, {
      handler,
      bucket,
      alarmTopic: props.alarmTopic,
      memorySize: extra.memorySize ?? 1024,
      timeout: extra.timeout ?? Duration.minutes(5),
      logRetention: props.logRetention,
      environment: extra.environment,
    });
    grantPrefixes(bucket, built.role, grants);
    acknowledgeNoDeadLetterQueue(built.function, 'stepFunctions');
    return built;
  };
  const itemBytes = props.itemBytes ?? 3_000_000_000;
  const signMemory = props.signMemorySize ?? 2048;
  // The plan signs one unit (the first pass of the shared centred frames): the sign function's memory.
  const plan = fn('Plan', 'scale-plan', SCALE_OUT_ACCESS.plan, {
    memorySize: signMemory,
    environment: {
      [ENV.scaleOutItemBytes]: String(itemBytes),
      // A quarter of the sign function's memory per decoded row group: the reader holds two (one signed, one
      // read ahead), and the other half is the process, the wasm heap and the converted columns.
      [ENV.scaleOutUnitBytes]: String(Math.floor((signMemory * 1024 * 1024) / 4)),
      [ENV.scaleOutFanIn]: String(props.mergeFanIn ?? 64),
    },
  });
  const sign = fn('SignRange', 'sign-range', SCALE_OUT_ACCESS.sign, { memorySize: signMemory, timeout: props.signTimeout ?? Duration.minutes(10) });
  const merge = fn('Merge', 'merge-partials', SCALE_OUT_ACCESS.merge, { memorySize: 1024 });
  const finish = fn('Finish', 'scale-finish', SCALE_OUT_ACCESS.finish, { memorySize: 1024 });
  // Finish installs the reference as the adopt function does, so it emits (and may emit) what adopt emits.
  if (props.eventBus !== undefined) grantLifecycleEvents(props.eventBus, finish.function, 'adopt');

  const task = (id: string, target: DriftgateFunction, extra: Record<string, unknown> = {}): sfn.CustomState =>
    new sfn.CustomState(construct, id, {
      // The plain function-ARN form: the state's input is the event, the function's result the output, and
      // the role needs lambda:InvokeFunction on the function itself only (LambdaInvoke also grants `:*`).
      stateJson: {
        Type: 'Task',
        Resource: target.function.functionArn,
        Retry: [{ ErrorEquals: TRANSIENT_ERRORS, IntervalSeconds: 2, MaxAttempts: retryAttempts, BackoffRate: 2 }],
        ...extra,
      },
    });

  // bucketNamePath (the plan returns the bucket) rather than `bucket`: CDK would grant s3:GetObject on every
  // key of the bucket; the role reads scaleout/ only (below).
  const signMap = new StrictDistributedMap(construct, 'Sign', {
    itemReader: new sfn.S3JsonItemReader({ bucketNamePath: sfn.JsonPath.stringAt('$.bucket'), key: sfn.JsonPath.stringAt('$.manifestKey') }),
    maxConcurrency: props.maxConcurrency ?? 100,
    mapExecutionType: sfn.StateMachineType.STANDARD,
    resultPath: sfn.JsonPath.DISCARD,
  });
  // Each child's output is `{}` (OutputPath null): the map's collected output stays at 3 bytes an item, far
  // below Step Functions' 256 KiB for the plan's at most MAX_ITEMS items, so no ResultWriter is needed.
  signMap.itemProcessor(task('SignRangeTask', sign, { OutputPath: null }));

  // A training set that is exactly one folder (the plan returns `prefix`): the map lists it itself
  // (listObjectsV2), one whole file per child, and each child checks its object against the plan's listing.
  const listedMap = new StrictDistributedMap(construct, 'SignListed', {
    itemReader: new PrefixGrantedObjectsReader({ bucketNamePath: sfn.JsonPath.stringAt('$.bucket'), prefix: sfn.JsonPath.stringAt('$.prefix') }),
    itemSelector: {
      jobId: sfn.JsonPath.stringAt('$.jobId'),
      modelId: sfn.JsonPath.stringAt('$.modelId'),
      kind: 'adopt',
      index: sfn.JsonPath.numberAt('$$.Map.Item.Index'),
      key: sfn.JsonPath.stringAt('$$.Map.Item.Value.Key'),
      etag: sfn.JsonPath.stringAt('$$.Map.Item.Value.Etag'),
      listed: true,
    },
    maxConcurrency: props.maxConcurrency ?? 100,
    mapExecutionType: sfn.StateMachineType.STANDARD,
    resultPath: sfn.JsonPath.DISCARD,
  });
  listedMap.itemProcessor(task('SignListedTask', sign, { OutputPath: null }));

  // The tree merge: levels one after another (each reads the one before), a level's groups in parallel.
  const levels = new sfn.Map(construct, 'Merge', { itemsPath: '$.levels', maxConcurrency: 1, resultPath: sfn.JsonPath.DISCARD });
  const groups = new sfn.Map(construct, 'MergeLevel', { itemsPath: '$', maxConcurrency: 40 });
  groups.itemProcessor(task('MergeGroup', merge));
  levels.itemProcessor(groups);

  const readItems = new sfn.Choice(construct, 'ListedOrManifest').when(sfn.Condition.isPresent('$.prefix'), listedMap).otherwise(signMap).afterwards();
  const definition = task('Plan', plan)
    .next(readItems)
    .next(levels)
    .next(task('Finish', finish, { Parameters: { 'jobId.$': '$.jobId', 'finalLevel.$': '$.finalLevel' } }));

  const logGroup = new logs.LogGroup(construct, 'StateMachineLogs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
  const role = new iam.Role(construct, 'StateMachineRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com'), description: 'driftgate scale-out state machine' });
  const stateMachine = new sfn.StateMachine(construct, 'StateMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    stateMachineType: sfn.StateMachineType.STANDARD,
    role,
    // No X-Ray, as for the functions (lib/nag.ts acknowledgeNoTracing): the execution history and the logs
    // record every state.
    tracingEnabled: false,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [plan, sign, merge, finish].map((f) => f.function.functionArn) }),
  );
  // The Sign map's ItemReader reads the manifest, under scaleout/ only; the SignListed map's lists training/ only
  // (s3:ListBucket with an s3:prefix condition), and reads no object.
  grantPrefixes(bucket, role, { read: [p.scaleout], list: [p.training] });
  // The Distributed Map's own policy, without CDK's `execution:<name>:*` (the parent's executions need no
  // grant): its children are `execution:<name>/<mapRunLabel>:<id>`, and it starts them as executions of itself.
  stateMachine.node.tryRemoveChild('DistributedMapPolicy');
  const name = stateMachine.stateMachineName;
  const mapPolicy = new iam.Policy(construct, 'DistributedMapPolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] }),
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [Stack.of(construct).formatArn({ service: 'states', resource: 'execution', resourceName: `${name}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    ],
  });
  acknowledgeStateMachineRole(role, mapPolicy);
  acknowledgeNoStateMachineTracing(stateMachine);

  // The hand-over: the adopt and ingest functions may start executions, and know when to.
  for (const [starter, threshold] of [
    [props.adoptFunction, props.adoptThresholdBytes ?? 2 * 1024 ** 3],
    [props.ingestFunction, props.ingestThresholdBytes ?? 1024 ** 3],
  ] as const) {
    stateMachine.grantStartExecution(starter);
    // A job whose execution failed runs again under the next name: the starter describes the one that exists.
    starter.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution'],
        resources: [Stack.of(construct).formatArn({ service: 'states', resource: 'execution', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    acknowledgeExecutionDescribe(starter.role!);
    starter.addEnvironment(ENV.scaleOutStateMachineArn, stateMachine.stateMachineArn);
    starter.addEnvironment(ENV.scaleOutThresholdBytes, String(threshold));
  }

  const failed = driftgateAlarm(construct, 'ExecutionsFailed', {
    metric: stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
    description: 'driftgate: a scale-out execution failed (an unreadable training file or batch, named in the Finish error)',
    topic: props.alarmTopic,
  });
  return {
    stateMachine,
    planFunction: plan.function,
    signRangeFunction: sign.function,
    mergeFunction: merge.function,
    finishFunction: finish.function,
    alarms: [plan.errorsAlarm, sign.errorsAlarm, merge.errorsAlarm, finish.errorsAlarm, failed],
  };
}
