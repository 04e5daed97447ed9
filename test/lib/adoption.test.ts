import { type CfnElement, Duration, type Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADOPTIONS_PREFIX, TRAINING_PREFIX } from '../../functions/core/lifecycle/adoption.js';
import { ADOPTION_ACCESS, DriftgateAdoption, validateDriftgateAdoptionProps } from '../../lib/adoption.js';
import { KEY_PREFIX } from '../../lib/driftgate.js';
import { nagPacks } from '../../lib/nag.js';
import { adoptionTestStack } from './adoption-stack.js';
import { synthDriftgate } from './synth.js';

type Json = Record<string, unknown>;

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Every IAM statement attached to a role. */
function statementsOf(template: Template, roleLogicalId: string): Json[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) } });
  return Object.values(policies).flatMap((p) => ((p as Json).Properties as { PolicyDocument: { Statement: Json[] } }).PolicyDocument.Statement);
}

function actionsOf(statement: Json): string[] {
  return Array.isArray(statement.Action) ? (statement.Action as string[]) : [statement.Action as string];
}

/** The key patterns (after the bucket ARN) an S3 statement covers, e.g. `/training/*`. */
function patternsFor(statements: Json[], action: string): string[] {
  return statements
    .filter((s) => actionsOf(s).includes(action))
    .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
    .flatMap((r) => {
      const join = (r as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      return join ? [String(join[1][1])] : [];
    })
    .sort();
}

describe('Function: DriftgateAdoption (template)', () => {
  let stack: Stack;
  let template: Template;
  let adoption: DriftgateAdoption;
  let bucket: s3.Bucket;
  let topic: sns.Topic;

  beforeAll(() => {
    ({ stack, adoption, bucket, topic } = adoptionTestStack());
    template = Template.fromStack(stack);
  });

  it('runs the adopt handler on Node 24, arm64, untraced, with only the bucket in its environment', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: Match.absent(),
      MemorySize: 1024,
      Timeout: 600,
      Environment: {
        Variables: {
          BUCKET: { Ref: logicalId(stack, bucket) },
          POWERTOOLS_SERVICE_NAME: 'driftgate-adopt',
          POWERTOOLS_METRICS_NAMESPACE: 'Driftgate',
          NODE_OPTIONS: Match.absent(),
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('invokes the function for ObjectCreated under adoptions/ with a .json suffix', () => {
    // Prepare
    const filterRules = new Capture();

    // Assess
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(stack, bucket) },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: { FilterRules: filterRules },
            },
            LambdaFunctionArn: { 'Fn::GetAtt': [logicalId(stack, adoption.function), 'Arn'] },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 's3.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack, adoption.function), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [logicalId(stack, bucket), 'Arn'] },
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
    const rules = filterRules.asArray() as { Name: string; Value: string }[];
    expect([...rules].sort((a, b) => a.Name.localeCompare(b.Name))).toEqual([
      { Name: 'prefix', Value: ADOPTIONS_PREFIX },
      { Name: 'suffix', Value: '.json' },
    ]);
  });

  it('retries a failed event twice, then sends it to an encrypted, SSL-only failure queue', () => {
    // Prepare
    const queueId = logicalId(stack, adoption.failureQueue);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, adoption.function) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('reads only manifests, configs, training data and signatures, writes only references, state, proposals and decisions, and lists only configs and signatures', () => {
    // Prepare
    const role = adoption.function.role;
    if (role === undefined) throw new Error('the adopt function has no role');
    const statements = statementsOf(template, logicalId(stack, role));

    // Act
    const reads = patternsFor(statements, 's3:GetObject');
    const puts = patternsFor(statements, 's3:PutObject');
    const onBucket = statements.filter((st) => JSON.stringify(st.Resource) === JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, bucket), 'Arn'] }));

    // Assess
    expect(reads).toEqual(['/adoptions/*', '/config/*', '/decisions/*', '/proposals/*', '/references/*', '/signatures/*', '/state/*', '/training/*']);
    expect(puts).toEqual(['/decisions/*', '/proposals/*', '/references/*', '/state/*']);
    // Listing only under its prefixes; nothing else on the bucket itself.
    expect(onBucket).toEqual([
      { Action: 's3:ListBucket', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId(stack, bucket), 'Arn'] }, Condition: { StringLike: { 's3:prefix': expect.any(Array) } } },
    ]);
    // It lists what it reads (a missing key must read as absent, not denied: lib/grants.ts), and nothing else.
    const listed = (onBucket[0].Condition as { StringLike: { 's3:prefix': string[] } }).StringLike['s3:prefix'];
    expect([...listed].sort()).toEqual(reads.map((r) => r.slice(1)).sort());
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => /^s3:(List|GetBucket)/.test(a))).toEqual(['s3:ListBucket']);
    expect(actions.filter((a) => /^s3:Delete/.test(a))).toEqual([]);
    expect(actions.filter((a) => /^(sns|secretsmanager|kms):/.test(a))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['sqs:SendMessage']));
    expect(actions.filter((a) => a.startsWith('xray:'))).toEqual([]);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });

  it('alarms on function errors and on a non-empty failure queue, to the alarm topic it is given', () => {
    // Prepare
    const alarms = template.findResources('AWS::CloudWatch::Alarm');

    // Act
    const byMetric = Object.values(alarms).map((a) => (a as { Properties: Json }).Properties);

    // Assess
    expect(adoption.alarms).toHaveLength(2);
    expect(byMetric.map((p) => p.MetricName).sort()).toEqual(['ApproximateNumberOfMessagesVisible', 'Errors']);
    for (const p of byMetric) {
      expect(p.AlarmActions).toEqual([{ Ref: logicalId(stack, topic) }]);
      expect(p).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    }
  });

  it('has zero unacknowledged cdk-nag findings (AwsSolutions and Serverless)', () => {
    // Prepare
    const { app } = adoptionTestStack();

    // Act
    const violations = nagPacks(app).flatMap((pack) => pack.validateScope(app).violations);

    // Assess
    expect(violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });

  it('makes cdk-nag fail on a grant nobody acknowledged', () => {
    // Prepare
    const { app, bucket: data, adoption: added } = adoptionTestStack();

    // Act
    data.grantDelete(added.function);
    const violations = nagPacks(app).flatMap((pack) => pack.validateScope(app).violations);

    // Assess
    expect(violations.map((v) => v.ruleName)).toContain('AwsSolutions-IAM5[Action::s3:DeleteObject*]');
  });
});

describe('Function: DriftgateAdoption (wired into the driftgate stack)', () => {
  it('adds its bucket notification beside the upload queue and the gate’s, with zero cdk-nag findings', () => {
    // Prepare: the stack builds the adoption path itself.
    const synthesized = synthDriftgate({ context: { notifyEmail: 'ml-oncall@example.com' } });
    const { app, stack } = synthesized;
    const adoption = stack.driftgate.adoption;

    // Act
    const template = synthesized.template;
    const violations = nagPacks(app).flatMap((pack) => pack.validateScope(app).violations);

    // Assess
    expect(violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: KEY_PREFIX.batches }] } } })],
        // The gate's proposals/ notification sits beside it.
        LambdaFunctionConfigurations: Match.arrayWith([
          Match.objectLike({ LambdaFunctionArn: { 'Fn::GetAtt': [stack.getLogicalId(adoption.function.node.defaultChild as CfnElement), 'Arn'] } }),
        ]),
      },
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 1);
  });

  it('uses the stack’s key layout and keeps training data apart from batches', () => {
    // Act
    const known = new Set<string>(Object.values(KEY_PREFIX));

    // Assess
    for (const prefix of ADOPTION_ACCESS.readWrite) expect(known).toContain(prefix);
    expect(ADOPTION_ACCESS.read).not.toContain(KEY_PREFIX.batches);
    expect(TRAINING_PREFIX.startsWith(KEY_PREFIX.batches) || KEY_PREFIX.batches.startsWith(TRAINING_PREFIX)).toBe(false);
  });
});

describe('Function: validateDriftgateAdoptionProps', () => {
  it('names every problem in one message', () => {
    // Prepare
    const { stack, bucket, topic } = adoptionTestStack();

    // Act
    const act = (): DriftgateAdoption =>
      new DriftgateAdoption(stack, 'Bad', { bucket, alarmTopic: topic, retryAttempts: 3, memorySize: 64, maxEventAge: Duration.hours(7), timeout: Duration.minutes(20) });

    // Assess
    expect(act).toThrow(/retryAttempts.*\n.*memorySize.*\n.*maxEventAge.*\n.*timeout/);
    expect(validateDriftgateAdoptionProps({ bucket, alarmTopic: topic })).toEqual([]);
  });
});
