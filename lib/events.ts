import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DETAIL_TYPE, ENV, EVENT_SOURCE } from '../functions/core/constants.js';

/** The event types (keys of DETAIL_TYPE). */
type EventType = keyof typeof DETAIL_TYPE;

/**
 * Which lifecycle events each function emits: what its use cases write to the decision log (README "The
 * lifecycle events"). RetrainRequested only from the decision path (decide, and the gate that completes a
 * lapsed publish or an elapsed veto window), as for the retrain topic.
 */
export const EMITTED_EVENTS = {
  check: ['ProposalOpened', 'DataQualityIncidentOpened', 'DataQualityIncidentClosed'],
  gate: ['DecisionTaken', 'RetrainRequested'],
  decide: ['DecisionTaken', 'RetrainRequested'],
  adopt: ['ReferenceAdopted'],
} as const satisfies Record<string, readonly EventType[]>;

/** A function that emits lifecycle events. */
export type EmittingFunction = keyof typeof EMITTED_EVENTS;

/** Where the lifecycle events go. */
export interface DriftgateEventsProps {
  /**
   * `'default'`: the account's default bus; `'create'`: a new custom bus owned by the stack; or a bus of
   * yours (another stack's, or another account's through its resource policy).
   * @default 'default'
   */
  readonly eventBus?: 'default' | 'create' | events.IEventBus;
  /** The functions that emit, by role. */
  readonly functions: Readonly<Record<EmittingFunction, lambda.Function>>;
}

/**
 * The lifecycle events' bus, and the grants to put on it: each function may `events:PutEvents` only to that
 * bus, only with source `driftgate` and only the detail-types it emits (IAM's `events:source` and
 * `events:detail-type` condition keys), so no function but decide and gate can publish a RetrainRequested.
 * Each gets the bus name in `EVENT_BUS_NAME`.
 * @example
 * const bus = buildEvents(this, { eventBus: 'create', functions: { check, gate, decide, adopt } });
 */
export function buildEvents(scope: Construct, props: DriftgateEventsProps): events.IEventBus {
  const choice = props.eventBus ?? 'default';
  const bus =
    choice === 'default'
      ? events.EventBus.fromEventBusName(scope, 'DefaultEventBus', 'default')
      : choice === 'create'
        ? new events.EventBus(scope, 'EventBus', { description: 'driftgate lifecycle events (source "driftgate")' })
        : choice;
  for (const [role, fn] of Object.entries(props.functions) as [EmittingFunction, lambda.Function][]) grantLifecycleEvents(bus, fn, role);
  return bus;
}

/**
 * Let `fn` put on `bus` what the function of `role` emits (EMITTED_EVENTS), and name the bus in its
 * `EVENT_BUS_NAME`. Also for a function that does another's job (the scale-out Finish installs references as adopt does).
 */
export function grantLifecycleEvents(bus: events.IEventBus, fn: lambda.Function, role: EmittingFunction): void {
  fn.addEnvironment(ENV.eventBusName, bus.eventBusName);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: {
        StringEquals: { 'events:source': EVENT_SOURCE, 'events:detail-type': EMITTED_EVENTS[role].map((t) => DETAIL_TYPE[t]) },
      },
    }),
  );
}

/** A rule that starts a SageMaker Pipeline on a model's RetrainRequested. */
export interface RetrainPipelineRuleProps {
  /** The bus driftgate puts its events on (`Driftgate.eventBus`). */
  readonly eventBus: events.IEventBus;
  /** The model whose retrain requests start the pipeline. */
  readonly modelId: string;
  /** Name of the SageMaker Pipeline (in the stack's account and region). */
  readonly pipelineName: string;
  /**
   * Which requests start it: human approvals, and/or veto windows that elapsed.
   * @default ['approved', 'veto-window-elapsed']
   */
  readonly reasons?: readonly ('approved' | 'veto-window-elapsed')[];
  /**
   * Pipeline parameters set on every execution (static values: one rule per model).
   * @default { ModelId: modelId }
   */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** The event pattern of a model's retrain requests (what README "The lifecycle events" shows). */
export function retrainEventPattern(modelId: string, reasons: readonly string[] = ['approved', 'veto-window-elapsed']): Record<string, unknown> {
  return { source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPE.RetrainRequested], detail: { modelId: [modelId], reason: [...reasons] } };
}

/**
 * Start a SageMaker Pipeline when driftgate requests a model's retraining: an EventBridge rule on the
 * lifecycle bus with the pipeline as its target, and the role EventBridge assumes to start it (only
 * `sagemaker:StartPipelineExecution`, only on that pipeline).
 * @example
 * retrainPipelineRule(this, 'ChurnRetrain', { eventBus: driftgate.eventBus, modelId: 'churn-v3', pipelineName: 'churn-retrain' });
 */
export function retrainPipelineRule(scope: Construct, id: string, props: RetrainPipelineRuleProps): events.CfnRule {
  const stack = Stack.of(scope);
  const pipelineArn = stack.formatArn({ service: 'sagemaker', resource: 'pipeline', resourceName: props.pipelineName.toLowerCase() });
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['sagemaker:StartPipelineExecution'], resources: [pipelineArn] }));
  const parameters = props.parameters ?? { ModelId: props.modelId };
  return new events.CfnRule(scope, id, {
    description: `driftgate: a RetrainRequested of ${props.modelId} starts the SageMaker Pipeline ${props.pipelineName}`,
    eventBusName: props.eventBus.eventBusName,
    eventPattern: retrainEventPattern(props.modelId, props.reasons),
    targets: [
      {
        id: 'pipeline',
        arn: pipelineArn,
        roleArn: role.roleArn,
        sageMakerPipelineParameters: { pipelineParameterList: Object.entries(parameters).map(([name, value]) => ({ name, value })) },
      },
    ],
  });
}
