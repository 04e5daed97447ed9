import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPE, ENV, EVENT_SOURCE, SERVICE_NAME } from '../../functions/core/constants.js';
import type { Driftgate } from '../../lib/driftgate.js';
import type { DriftgateStack } from '../../lib/driftgate-stack.js';
import { EMITTED_EVENTS, retrainEventPattern, retrainPipelineRule } from '../../lib/events.js';
import { type Json, allowStatements, allows, logicalId, statementsOf } from './iam.js';
import { synthDriftgate } from './synth.js';

type Emitter = keyof typeof EMITTED_EVENTS;
const EMITTERS = Object.keys(EMITTED_EVENTS) as Emitter[];

function rolesOf(dg: Driftgate): Record<Emitter | 'ingest', IConstruct> {
  return { check: dg.checkFunction.role!, gate: dg.gateFunction.role!, decide: dg.decideFunction.role!, adopt: dg.adoption.function.role!, ingest: dg.ingestFunction.role! };
}

/** The PutEvents statements of the stack, with the role (by name) each belongs to. */
function putEventsByRole(stack: Stack, template: Template, dg: Driftgate): Map<string, Json[]> {
  const ids = Object.entries(rolesOf(dg)).map(([role, construct]) => [role, logicalId(stack, construct)] as const);
  const out = new Map<string, Json[]>();
  for (const { roles, statement } of allowStatements(template)) {
    if (!JSON.stringify(statement.Action).includes('events:')) continue;
    for (const id of roles) {
      const role = ids.find(([, logical]) => logical === id)?.[0] ?? id;
      out.set(role, [...(out.get(role) ?? []), statement]);
    }
  }
  return out;
}

describe('Function: buildEvents (the default bus)', () => {
  let stack: DriftgateStack;
  let template: Template;
  let dg: Driftgate;

  beforeAll(() => {
    ({ stack, template } = synthDriftgate());
    dg = stack.driftgate;
  });

  it('lets exactly check, gate, decide and adopt put events, each only on the bus, with source driftgate and its own detail-types', () => {
    // Act
    const byRole = putEventsByRole(stack, template, dg);

    // Assess
    expect([...byRole.keys()].sort()).toEqual([...EMITTERS].sort());
    for (const role of EMITTERS) {
      expect(byRole.get(role)).toEqual([
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] },
          Condition: { StringEquals: { 'events:source': EVENT_SOURCE, 'events:detail-type': EMITTED_EVENTS[role].map((t) => DETAIL_TYPE[t]) } },
        },
      ]);
    }
  });

  it('lets only decide and gate put a RetrainRequested on the bus (the decision path, as for the retrain topic)', () => {
    // Act
    const byRole = putEventsByRole(stack, template, dg);
    const retrainers = [...byRole].filter(([, statements]) => JSON.stringify(statements).includes(DETAIL_TYPE.RetrainRequested)).map(([role]) => role);
    const unconditioned = allowStatements(template).filter(({ statement }) => allows(statement, 'events:PutEvents') && !(statement.Condition as Json | undefined)?.StringEquals);

    // Assess
    expect(retrainers.sort()).toEqual(['decide', 'gate']);
    expect(unconditioned).toEqual([]);
    expect(statementsOf(template, logicalId(stack, rolesOf(dg).ingest)).filter((s) => JSON.stringify(s.Action).includes('events:'))).toEqual([]);
  });

  it('names the bus in EVENT_BUS_NAME of the four emitting functions, and not of ingest', () => {
    // Prepare
    const envOf = (service: string): Json => {
      const fns = template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: service } } } });
      return (Object.values(fns)[0] as { Properties: { Environment: { Variables: Json } } }).Properties.Environment.Variables;
    };

    // Act
    const values = Object.fromEntries((['ingest', 'check', 'gate', 'decide', 'adopt'] as const).map((r) => [r, envOf(SERVICE_NAME[r])[ENV.eventBusName]]));

    // Assess
    expect(values).toEqual({ ingest: undefined, check: 'default', gate: 'default', decide: 'default', adopt: 'default' });
    expect(template.findResources('AWS::Events::EventBus')).toEqual({});
  });
});

describe('Function: buildEvents (a custom bus)', () => {
  it("creates the stack's own bus with eventBus 'create' and scopes every grant to it", () => {
    // Act
    const { stack, template } = synthDriftgate({ props: { eventBus: 'create' } });
    const dg = stack.driftgate;
    const busId = logicalId(stack, dg.eventBus as events.EventBus);
    const byRole = putEventsByRole(stack, template, dg);

    // Assess
    template.resourceCountIs('AWS::Events::EventBus', 1);
    for (const role of EMITTERS) expect(byRole.get(role)?.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [busId, 'Arn'] }]);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { [ENV.eventBusName]: { Ref: busId } } } });
  });

  it('puts to a bus passed in (another stack’s), by its ARN', () => {
    // Prepare
    const app = new App();
    const shared = new Stack(app, 'Shared');
    const bus = events.EventBus.fromEventBusArn(shared, 'Bus', 'arn:aws:events:eu-west-1:111122223333:event-bus/ml-platform');

    // Act
    const { stack, template } = synthDriftgate({ props: { eventBus: bus } });
    const dg = stack.driftgate;
    const byRole = putEventsByRole(stack, template, dg);

    // Assess
    for (const role of EMITTERS) expect(byRole.get(role)?.map((s) => s.Resource)).toEqual(['arn:aws:events:eu-west-1:111122223333:event-bus/ml-platform']);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { [ENV.eventBusName]: 'ml-platform' } } });
  });
});

describe('Function: retrainPipelineRule (the README sample)', () => {
  it("starts a model's SageMaker Pipeline on its approved RetrainRequested, with a role that may start only that pipeline", () => {
    // Prepare
    const stack = new Stack(new App(), 'Consumer', { env: { account: '111122223333', region: 'eu-west-1' } });
    const bus = events.EventBus.fromEventBusName(stack, 'Bus', 'default');

    // Act
    retrainPipelineRule(stack, 'ChurnRetrain', { eventBus: bus, modelId: 'churn-v3', pipelineName: 'churn-retrain', reasons: ['approved'] });
    const template = Template.fromStack(stack);

    // Assess
    const pipelineArn = stack.resolve(stack.formatArn({ service: 'sagemaker', resource: 'pipeline', resourceName: 'churn-retrain' })) as unknown;
    expect(retrainEventPattern('churn-v3', ['approved'])).toEqual({ source: ['driftgate'], 'detail-type': ['driftgate.RetrainRequested.v1'], detail: { modelId: ['churn-v3'], reason: ['approved'] } });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: retrainEventPattern('churn-v3', ['approved']),
      Targets: [{ Id: 'pipeline', Arn: pipelineArn, RoleArn: Match.anyValue(), SageMakerPipelineParameters: { PipelineParameterList: [{ Name: 'ModelId', Value: 'churn-v3' }] } }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sagemaker:StartPipelineExecution', Resource: pipelineArn }] } });
    template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'events.amazonaws.com' } })] } });
  });
});
