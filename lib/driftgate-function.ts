import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemovalPolicy, type Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../functions/core/constants.js';
import { driftgateAlarm, functionErrors } from './alarms.js';
import { BATCH_READING_HANDLERS, SOURCE_MAPS_CONTEXT, functionBundling, sourceMapsFromContext } from './bundling.js';
import { acknowledgeNoTracing } from './nag.js';

/**
 * The package's root: the nearest directory above this file with a package.json. It is the repository
 * (lib/*.ts run by tsx) or the installed package (its compiled dist/lib/*.js); either way the handlers'
 * TypeScript sources are under `functions/handlers/` there (the package ships them for esbuild).
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`driftgate: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

const PACKAGE_ROOT = packageRoot();
/**
 * Where NodejsFunction runs esbuild (`npx --no-install esbuild` in this directory): the repository, or for
 * an installed package the app that installed it (the directory above its outermost node_modules), whose
 * node_modules/.bin holds esbuild (a peer dependency). The package's own directory has none.
 */
const PROJECT_ROOT = PACKAGE_ROOT.includes(`${sep}node_modules${sep}`) ? PACKAGE_ROOT.slice(0, PACKAGE_ROOT.indexOf(`${sep}node_modules${sep}`)) : PACKAGE_ROOT;
/**
 * The lock file NodejsFunction asks for: the repository's, or in the installed package (npm never packs a
 * root package-lock.json) the copy `npm run build` puts in dist/.
 */
const LOCK_FILE = [join(PACKAGE_ROOT, 'package-lock.json'), join(PACKAGE_ROOT, 'dist', 'package-lock.json')].find((f) => existsSync(f)) ?? join(PACKAGE_ROOT, 'package-lock.json');

/** A driftgate handler: `functions/handlers/<name>.ts` exports `handler`; its Powertools service is `SERVICE_NAME[name]`. */
export type DriftgateHandler = keyof typeof SERVICE_NAME;

/** Properties of one driftgate function. */
export interface DriftgateFunctionProps {
  /** The handler the function runs. */
  readonly handler: DriftgateHandler;
  /** The data bucket; its name is the function's `BUCKET` variable (grants are the caller's). */
  readonly bucket: s3.IBucket;
  /** Where the errors alarm notifies (the ops alarms topic). */
  readonly alarmTopic: sns.ITopic;
  /** Memory in MB. */
  readonly memorySize: number;
  /** Timeout of one invocation. */
  readonly timeout: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Variables beside the common ones (bucket, Powertools service and namespace, `NODE_OPTIONS` when source maps are on).
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Queue for asynchronous invocations that failed every attempt.
   * @default - none; say why with an acknowledgement in lib/nag.ts
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Destination of asynchronous invocations that failed every attempt.
   * @default - none
   */
  readonly onFailure?: lambda.IDestination;
  /**
   * Retries of a failed asynchronous invocation.
   * @default 2 (Lambda's default)
   */
  readonly retryAttempts?: number;
  /**
   * How long Lambda keeps trying an asynchronous event.
   * @default Duration.hours(6) (Lambda's default)
   */
  readonly maxEventAge?: Duration;
  /**
   * Concurrent executions reserved for the function (and its cap).
   * @default - none: the function uses the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Ship parquet-wasm beside the bundle: the function reads batch files.
   * @default - true for the handlers in BATCH_READING_HANDLERS (lib/bundling.ts), false for the others
   */
  readonly readsBatches?: boolean;
  /**
   * Description of the errors alarm.
   * @default 'driftgate: the <handler> function failed'
   */
  readonly errorsAlarmDescription?: string;
}

/** One driftgate function and what comes with it. */
export interface DriftgateFunction {
  readonly function: NodejsFunction;
  /** The function's role: it may write to its log group; every other grant is the caller's. */
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Fires when an invocation fails. */
  readonly errorsAlarm: cloudwatch.Alarm;
}

/**
 * Adds one driftgate Lambda function to `scope`: the handler bundled locally with esbuild (never Docker),
 * Node.js 24 on arm64, untraced (see acknowledgeNoTracing in lib/nag.ts), with its own role, its own log group with retention, the common
 * environment, and an alarm on its errors. Their ids are `<idPrefix>Function`, `<idPrefix>Role`,
 * `<idPrefix>Logs` and `<idPrefix>Errors`, side by side in `scope` rather than in a construct of their own,
 * so the log group and the function (and its URL) keep the logical ids of deployed stacks; an empty
 * `idPrefix` suits a scope that holds one function (the adoption path's `Adoption/Function`).
 *
 * @example
 * const ingest = buildDriftgateFunction(this, 'Ingest', { handler: 'ingest', bucket, alarmTopic, memorySize: 1024, timeout: Duration.minutes(2) });
 */
export function buildDriftgateFunction(scope: Construct, idPrefix: string, props: DriftgateFunctionProps): DriftgateFunction {
  const { handler } = props;
  const logGroup = new logs.LogGroup(scope, `${idPrefix}Logs`, {
    retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // An own role instead of the AWSLambdaBasicExecutionRole managed policy: logs only to its group.
  const role = new iam.Role(scope, `${idPrefix}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `driftgate ${handler} function`,
  });
  logGroup.grantWrite(role);

  const sourceMap = sourceMapsFromContext(scope.node.tryGetContext(SOURCE_MAPS_CONTEXT));
  const readsBatches = props.readsBatches ?? BATCH_READING_HANDLERS.has(handler);
  const fn = new NodejsFunction(scope, `${idPrefix}Function`, {
    entry: join(PACKAGE_ROOT, 'functions', 'handlers', `${handler}.ts`),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: LOCK_FILE,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    tracing: lambda.Tracing.DISABLED,
    deadLetterQueue: props.deadLetterQueue,
    onFailure: props.onFailure,
    retryAttempts: props.retryAttempts,
    maxEventAge: props.maxEventAge,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    environment: {
      [ENV.bucket]: props.bucket.bucketName,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME[handler],
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      ...(sourceMap ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      ...props.environment,
    },
    bundling: functionBundling({ readsBatches, sourceMap }),
  });
  acknowledgeNoTracing(fn);

  const errorsAlarm = driftgateAlarm(scope, `${idPrefix}Errors`, {
    metric: functionErrors(fn),
    description: props.errorsAlarmDescription ?? `driftgate: the ${handler} function failed`,
    topic: props.alarmTopic,
  });
  return { function: fn, role, logGroup, errorsAlarm };
}
