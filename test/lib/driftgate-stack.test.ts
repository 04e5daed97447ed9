import { App, Stack } from 'aws-cdk-lib';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import type { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Driftgate, KEY_PREFIX, RETRAIN_MESSAGE_ATTRIBUTES, validateDriftgateProps } from '../../lib/driftgate.js';
import { addNagChecks, nagPacks } from '../../lib/nag.js';
import { DECISION_ERRORS_METRIC, ENV, SCHEDULE_SOURCE, SERVICE_NAME } from '../../functions/handlers/env.js';
import { METRICS_NAMESPACE } from '../../functions/service/logger.js';
import { SnsEventSink } from '../../functions/adapters/sns-event-sink.js';
import type { DriftgateStack } from '../../lib/driftgate-stack.js';
import { type Json, actionsOf, logicalId, patternsFor, statementsOf } from './iam.js';
import { synthDriftgate } from './synth.js';

describe('Function: Driftgate (template)', () => {
  let stack: DriftgateStack;
  let template: Template;
  let dg: Driftgate;
  /** Synthesized from `cdk -c` style context: custom schedule and receive count, no notify email. */
  let fromContext: Template;

  // Synthesized once for the whole file (each synthesis takes seconds on a loaded machine).
  beforeAll(() => {
    ({ stack, template } = synthDriftgate({ context: { notifyEmail: 'ml-oncall@example.com' } }));
    dg = stack.driftgate;
    fromContext = synthDriftgate({ context: { checkSchedule: 'rate(15 minutes)', maxReceiveCount: '5' } }).template;
  });

  it('keeps the data bucket private, versioned, encrypted, logged and expiring old signatures and reports', () => {
    // Prepare
    const logsBucket = logicalId(stack, dg.accessLogsBucket);

    // Act
    const bucket = template.findResources('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: { Status: 'Enabled' } },
    });

    // Assess
    expect(Object.keys(bucket)).toEqual([logicalId(stack, dg.bucket)]);
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: logsBucket }, LogFilePrefix: 'data/' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: KEY_PREFIX.signatures, ExpirationInDays: 400, Status: 'Enabled' }),
          Match.objectLike({ Prefix: KEY_PREFIX.reports, ExpirationInDays: 400, Status: 'Enabled' }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
        ]),
      },
    });
    for (const b of [dg.bucket, dg.accessLogsBucket]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(stack, b) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('sends ObjectCreated events under batches/ to the upload queue, which redrives to a DLQ after 3 receives', () => {
    // Prepare
    const queueId = logicalId(stack, dg.uploadQueue);
    const dlqId = logicalId(stack, dg.uploadDeadLetterQueue);

    // Act
    const notifications = template.findResources('Custom::S3BucketNotifications');

    // Assess
    expect(Object.values(notifications)).toHaveLength(1);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(stack, dg.bucket) },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: KEY_PREFIX.batches }] } },
            QueueArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 720,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stack, dg.bucket), 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('feeds the upload queue to the ingest function with partial batch responses', () => {
    // Act
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping');

    // Assess
    expect(Object.values(mappings)).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack, dg.ingestFunction) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, dg.uploadQueue), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it('runs every function on Node.js 24 / arm64 without X-Ray or source maps (both off by default), and its own log group with retention', () => {
    // Prepare
    const fns = [dg.ingestFunction, dg.checkFunction, dg.gateFunction, dg.decideFunction, dg.adoption.function];

    // Act
    const logGroups = template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 90 } });

    // Assess
    expect(Object.keys(logGroups)).toHaveLength(5);
    for (const fn of fns) {
      const id = logicalId(stack, fn);
      const props = (template.toJSON().Resources as Record<string, { Properties: Json }>)[id].Properties;
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: { Variables: { [ENV.bucket]: { Ref: logicalId(stack, dg.bucket) } } },
      });
      expect(props.TracingConfig).toBeUndefined();
      const logGroup = (props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(Object.keys(logGroups)).toContain(logGroup);
      expect(props.MemorySize).toBeGreaterThanOrEqual(512);
    }
  });

  it('invokes the check function from a scheduler with 2 retries and a dead-letter queue', () => {
    // Prepare
    const input = new Capture();

    // Act
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [logicalId(stack, dg.checkFunction), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, dg.checkDeadLetterQueue), 'Arn'] } },
        Input: input,
      },
    });

    // Assess
    expect(JSON.parse(input.asString())).toEqual({
      source: SCHEDULE_SOURCE,
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
    });
    // Failed asynchronous invocations of the check function land in the same queue.
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalId(stack, dg.checkDeadLetterQueue), 'Arn'] } },
    });
  });

  it('takes the schedule and the receive count from context (strings, as `cdk -c` passes them)', () => {
    // Act
    const schedules = fromContext.findResources('AWS::Scheduler::Schedule');

    // Assess: the check's schedule and the gate's, at the same rate.
    expect(Object.values(schedules).map((sc) => (sc as { Properties: Json }).Properties.ScheduleExpression)).toEqual(['rate(15 minutes)', 'rate(15 minutes)']);
    fromContext.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }) });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)' });
  });

  it('rejects a bad context value with the props message', () => {
    // Act
    const act = (): unknown => synthDriftgate({ context: { maxReceiveCount: 'three' } });

    // Assess
    expect(act).toThrow(/maxReceiveCount must be an integer from 1 to 1000, got NaN/);
  });

  it('serves decisions from a public function URL whose address reaches the gate function (which signs the links)', () => {
    // Prepare
    const urlId = logicalId(stack, dg.decideUrl);

    // Act
    const gateEnv = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: SERVICE_NAME.gate, [ENV.decideUrl]: gateEnv }) },
    });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalId(stack, dg.decideFunction), 'Arn'] },
    });
    expect(gateEnv.asObject()).toEqual({ 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
  });

  it('encrypts the three topics with a rotating customer key that CloudWatch alarms may use, and requires TLS', () => {
    // Prepare
    const keyId = logicalId(stack, dg.topicsKey);

    // Act
    const topics = template.findResources('AWS::SNS::Topic', {
      Properties: { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });

    // Assess
    expect(Object.keys(topics).sort()).toEqual([dg.noticesTopic, dg.retrainTopic, dg.alarmsTopic].map((t) => logicalId(stack, t)).sort());
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': Match.anyValue() } },
          }),
        ]),
      },
    });
    for (const topic of [dg.noticesTopic, dg.retrainTopic, dg.alarmsTopic]) {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: logicalId(stack, topic) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('subscribes the notify email (with a redrive queue) only when the context gives one', () => {
    // Act
    const without = fromContext;

    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ml-oncall@example.com',
      TopicArn: { Ref: logicalId(stack, dg.noticesTopic) },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, dg.subscriptionDeadLetterQueue), 'Arn'] } },
    });
    without.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('exposes the retrain topic and documents its filterable attributes', () => {
    // Act
    const outputs = template.findOutputs('*');
    const retrain = Object.values(outputs).find((o) => JSON.stringify(o.Value) === JSON.stringify({ Ref: logicalId(stack, dg.retrainTopic) }));

    // Assess
    expect(retrain).toBeDefined();
    expect(retrain?.Description).toContain(`attributes ${RETRAIN_MESSAGE_ATTRIBUTES.join(', ')}.`);
    expect(retrain?.Description).toContain('eventId');
    expect(JSON.parse(/Filter example: (\{.*\})/.exec(String(retrain?.Description))?.[1] ?? 'null')).toEqual({
      modelId: ['churn-v3'],
      reason: ['approved'],
    });
    expect(Object.values(outputs).some((o) => JSON.stringify(o.Value).includes('FunctionUrl'))).toBe(true);
  });

  it('generates the link-signing secret', () => {
    // Assess
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('alarms on every dead-letter queue and on function errors, notifying the ops alarms topic', () => {
    // Prepare
    const action = [{ Ref: logicalId(stack, dg.alarmsTopic) }];

    // Act
    const dlqAlarms = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'ApproximateNumberOfMessagesVisible', AlarmActions: action, Threshold: 1 },
    });
    const errorAlarms = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'Errors', Namespace: 'AWS/Lambda', AlarmActions: action, Threshold: 1 },
    });

    // Assess
    const queuesAlarmed = Object.values(dlqAlarms).map((a) => JSON.stringify((a as { Properties: Json }).Properties.Dimensions));
    for (const q of [dg.uploadDeadLetterQueue, dg.checkDeadLetterQueue, dg.gateFailureQueue, dg.subscriptionDeadLetterQueue, dg.adoption.failureQueue]) {
      expect(queuesAlarmed).toContain(JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, q), 'QueueName'] } }]));
    }
    const fnsAlarmed = Object.values(errorAlarms).map((a) => JSON.stringify((a as { Properties: Json }).Properties.Dimensions));
    for (const fn of [dg.ingestFunction, dg.checkFunction, dg.gateFunction, dg.decideFunction, dg.adoption.function]) {
      expect(fnsAlarmed).toContain(JSON.stringify([{ Name: 'FunctionName', Value: { Ref: logicalId(stack, fn) } }]));
    }
  });

  it('alarms on DecisionErrors, the 500 pages the decision function answers without failing', () => {
    // Prepare
    const alarmsTopic = logicalId(stack, dg.alarmsTopic);

    // Act
    const alarms = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: DECISION_ERRORS_METRIC },
    });

    // Assess
    expect(Object.values(alarms)).toHaveLength(1);
    const alarm = (Object.values(alarms)[0] as { Properties: Json }).Properties;
    expect(alarm).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME.decide }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: alarmsTopic }],
    });
    // The function's metrics carry the same namespace and service the alarm watches.
    const decide = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: SERVICE_NAME.decide } } },
    });
    expect(Object.keys(decide)).toEqual([logicalId(stack, dg.decideFunction)]);
    const env = (Object.values(decide)[0] as { Properties: { Environment: { Variables: Json } } }).Properties.Environment.Variables;
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
    expect(dg.alarms.map((a) => logicalId(stack, a))).toContain(Object.keys(alarms)[0]);
  });

  it('gives the ingest function no way to publish to any topic or read the secret', () => {
    // Prepare
    const statements = statementsOf(template, logicalId(stack, dg.ingestFunction.role as IConstruct));

    // Act
    const actions = actionsOf(statements);
    const resources = JSON.stringify(statements.map((s) => s.Resource));

    // Assess
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('secretsmanager:') || a.startsWith('kms:'))).toEqual([]);
    for (const forbidden of [dg.noticesTopic, dg.retrainTopic, dg.alarmsTopic, dg.secret, dg.topicsKey]) {
      expect(resources).not.toContain(logicalId(stack, forbidden));
    }
    expect(patternsFor(statements, 's3:GetObject')).toEqual(['/batches/*', '/config/*', '/references/*', '/signatures/*', '/state/*']);
    expect(patternsFor(statements, 's3:PutObject')).toEqual(['/signatures/*']);
    expect(actions).not.toContain('s3:DeleteObject*');
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('gives the check function no topic and no secret, and lets it write only its prefixes', () => {
    // Prepare
    const statements = statementsOf(template, logicalId(stack, dg.checkFunction.role as IConstruct));

    // Act
    const actions = actionsOf(statements);
    const resources = JSON.stringify(statements.map((s) => s.Resource));

    // Assess: it finds drift and opens proposals; only the gate may notify, only gate and decide retrain.
    expect(actions.filter((a) => /^(sns|secretsmanager|kms):/.test(a))).toEqual([]);
    for (const forbidden of [dg.noticesTopic, dg.retrainTopic, dg.alarmsTopic, dg.secret, dg.topicsKey]) {
      expect(resources).not.toContain(logicalId(stack, forbidden));
    }
    expect(patternsFor(statements, 's3:PutObject')).toEqual(['/decisions/*', '/proposals/*', '/reports/*', '/state/*']);
    expect(actions).not.toContain('s3:DeleteObject*');
    expect(patternsFor(statements, 's3:GetObject')).toEqual(
      ['/config/*', '/decisions/*', '/proposals/*', '/references/*', '/reports/*', '/signatures/*', '/state/*'].sort(),
    );
  });

  it('lets the decision function publish retrain requests, read the secret and write proposals, tokens, state, decisions and accepted config versions', () => {
    // Prepare
    const statements = statementsOf(template, logicalId(stack, dg.decideFunction.role as IConstruct));

    // Act
    const publish = statements.find((s) => s.Action === 'sns:Publish');

    // Assess
    expect(publish?.Resource).toEqual({ Ref: logicalId(stack, dg.retrainTopic) });
    expect(actionsOf(statements)).toContain('secretsmanager:GetSecretValue');
    expect(patternsFor(statements, 's3:GetObject')).toEqual(['/config/*', '/decisions/*', '/proposals/*', '/reports/*', '/state/*', '/tokens/*']);
    expect(patternsFor(statements, 's3:PutObject')).not.toContain('/reports/*');
    expect(patternsFor(statements, 's3:PutObject')).toEqual(['/config/*', '/decisions/*', '/proposals/*', '/state/*', '/tokens/*']);
    expect(actionsOf(statements)).not.toContain('s3:DeleteObject*');
  });

  it('has zero unacknowledged cdk-nag findings (AwsSolutions and Serverless), and synth passes with the packs', () => {
    // Prepare: a fresh app, not yet synthesized, so app.synth() below runs the packs as validation plugins.
    const { app } = synthDriftgate({ context: { notifyEmail: 'ml-owners@example.com', alarmEmail: 'ml-oncall@example.com' } });

    // Act
    const reports = nagPacks(app).map((pack) => ({ pack: pack.readPackName, report: pack.validateScope(app) }));
    addNagChecks(app);

    // Assess
    for (const { pack, report } of reports) {
      expect(pack).toMatch(/AwsSolutions|Serverless/);
      expect(report.violations.map((v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    }
    expect(() => app.synth()).not.toThrow();
  });

  it('makes cdk-nag fail on a finding that is not acknowledged', () => {
    // Prepare: the packs read the construct tree, so this app is never synthesized.
    const { app, stack: s } = synthDriftgate();

    // Act: the same stack, with an extra wildcard grant nobody acknowledged.
    s.driftgate.bucket.grantDelete(s.driftgate.ingestFunction);
    const violations = nagPacks(app).flatMap((pack) => pack.validateScope(app).violations);

    // Assess
    expect(violations.map((v) => v.ruleName)).toContain('AwsSolutions-IAM5[Action::s3:DeleteObject*]');
  });
});

describe('Constant: RETRAIN_MESSAGE_ATTRIBUTES', () => {
  it('names exactly the message attributes the SNS event sink publishes', async () => {
    // Prepare: a client that records the publish instead of sending it.
    const sent: PublishCommand[] = [];
    const client = { send: (command: PublishCommand) => (sent.push(command), Promise.resolve({ MessageId: 'm-1' })) };
    const sink = new SnsEventSink(client as unknown as SNSClient, 'arn:aws:sns:eu-west-1:123456789012:retrain');

    // Act
    await sink.publish({
      type: 'RetrainRequested',
      schemaVersion: 1,
      eventId: 'retrain-p1',
      modelId: 'churn-v3',
      proposalId: 'p1',
      reason: 'approved',
      at: '2026-11-26T15:00:00.000Z',
      decidedBy: 'alice@example.test',
      evidence: { driftedFeatures: [] },
    });

    // Assess
    expect(Object.keys(sent[0]?.input.MessageAttributes ?? {}).sort()).toEqual([...RETRAIN_MESSAGE_ATTRIBUTES].sort());
    expect(RETRAIN_MESSAGE_ATTRIBUTES).toContain('eventId');
  });
});

describe('Function: validateDriftgateProps', () => {
  it('accepts the defaults', () => {
    // Act
    const problems = validateDriftgateProps({});

    // Assess
    expect(problems).toEqual([]);
  });

  it('names every problem in one message', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Bad');

    // Act
    const act = (): Driftgate =>
      new Driftgate(stack, 'Driftgate', {
        checkSchedule: 'every hour',
        notifyEmail: 'not-an-email',
        maxReceiveCount: 0,
        scheduleRetryAttempts: -1,
        signatureRetentionDays: 1.5,
      });

    // Assess
    expect(act).toThrow(/checkSchedule.*\n.*notifyEmail.*\n.*signatureRetentionDays.*\n.*maxReceiveCount.*\n.*scheduleRetryAttempts/);
  });
});
