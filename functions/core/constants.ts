/**
 * Constants shared by the runtime code and the CDK app: environment variable names, service names,
 * metric names and the store's key prefixes. Constants only: `lib/` imports this module and nothing
 * else from `functions/`, so `cdk synth` loads no runtime code (no Powertools, no SDK).
 */

/** Names of the environment variables the Lambda handlers read; the stack sets them from the same constants. */
export const ENV = {
  /** Name of the data bucket (batches, references, signatures, state, reports, configs). */
  bucket: 'BUCKET',
  /** ARN of the SNS topic for human notices. */
  noticesTopicArn: 'NOTICES_TOPIC_ARN',
  /** ARN of the SNS topic retraining systems subscribe to. */
  retrainTopicArn: 'RETRAIN_TOPIC_ARN',
  /** Secrets Manager id (name or ARN) of the HMAC key that signs decision links. */
  secretId: 'SECRET_ID',
  /** Base URL of the decision endpoint (the decision function's URL). */
  decideUrl: 'DECIDE_URL',
  /** ARN of the scale-out state machine (lib/scale-out.ts) the adopt and ingest functions hand large inputs to. */
  scaleOutStateMachineArn: 'SCALE_OUT_STATE_MACHINE_ARN',
  /** Bytes of input (an ingest batch, an adoption's training data) above which it is handed to the state machine. */
  scaleOutThresholdBytes: 'SCALE_OUT_THRESHOLD_BYTES',
  /** Stored bytes one scale-out work item may read (the plan function's time budget times the measured rate). */
  scaleOutItemBytes: 'SCALE_OUT_ITEM_BYTES',
  /** Decoded bytes one unit (row group) may hold in a sign-range function (half its memory). */
  scaleOutUnitBytes: 'SCALE_OUT_UNIT_BYTES',
  /** Partial signatures merged by one merge invocation (the fan-in of the tree merge). */
  scaleOutFanIn: 'SCALE_OUT_FAN_IN',
  /** Endpoint override for every AWS client (moto server in tests); unset in AWS. */
  awsEndpoint: 'DRIFTGATE_AWS_ENDPOINT',
  /** Name (or ARN) of the EventBridge bus lifecycle events go to; unset: no lifecycle events. */
  eventBusName: 'EVENT_BUS_NAME',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The `source` of the check schedule's input; the check handler accepts only this value. */
export const SCHEDULE_SOURCE = 'driftgate.schedule';

/** The `source` of the gate schedule's input (notices, veto windows, expiries, retries of a publish). */
export const GATE_SCHEDULE_SOURCE = 'driftgate.gate';

/** Powertools service name of each function: the `service` dimension of the metrics it emits. */
export const SERVICE_NAME = {
  ingest: 'driftgate-ingest',
  check: 'driftgate-check',
  gate: 'driftgate-gate',
  decide: 'driftgate-decide',
  adopt: 'driftgate-adopt',
  'scale-plan': 'driftgate-scale-plan',
  'sign-range': 'driftgate-sign-range',
  'merge-partials': 'driftgate-merge-partials',
  'scale-finish': 'driftgate-scale-finish',
} as const;

/** CloudWatch namespace of every driftgate metric. */
export const METRICS_NAMESPACE = 'Driftgate';

/**
 * Metric the decision function emits for each request it answers with a 500 page. Such a request does
 * not fail the invocation (the person gets a page), so Lambda's Errors metric never counts it; an alarm
 * on this metric does.
 */
export const DECISION_ERRORS_METRIC = 'DecisionErrors';

/**
 * Top-level key prefixes of the store (the same in S3 and in a local folder). The full layout, with the
 * keys under each prefix, is in `core/lifecycle/keys.ts`; IAM grants in `lib/` are written per prefix.
 */
export const KEY_PREFIX = {
  batches: 'batches/',
  config: 'config/',
  references: 'references/',
  signatures: 'signatures/',
  state: 'state/',
  reports: 'reports/',
  proposals: 'proposals/',
  decisions: 'decisions/',
  tokens: 'tokens/',
  adoptions: 'adoptions/',
  training: 'training/',
  /** Scale-out jobs: `scaleout/<jobId>/` holds the job, the manifest of work items and the partial signatures. */
  scaleout: 'scaleout/',
} as const;

/** The `source` of every driftgate lifecycle event on EventBridge. */
export const EVENT_SOURCE = 'driftgate';

/**
 * The versioned `detail-type` of each lifecycle event (functions/core/events/lifecycle.ts holds their
 * schemas; the stack's PutEvents grants name them). A new optional field keeps the version; a change that
 * breaks a consumer is a new `.v2` detail-type, published beside the old one.
 */
export const DETAIL_TYPE = {
  RetrainRequested: 'driftgate.RetrainRequested.v1',
  ProposalOpened: 'driftgate.ProposalOpened.v1',
  DecisionTaken: 'driftgate.DecisionTaken.v1',
  ReferenceAdopted: 'driftgate.ReferenceAdopted.v1',
  DataQualityIncidentOpened: 'driftgate.DataQualityIncidentOpened.v1',
  DataQualityIncidentClosed: 'driftgate.DataQualityIncidentClosed.v1',
} as const;
