import { App, Stack } from 'aws-cdk-lib';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPE, ENV, GATE_SCHEDULE_SOURCE, KEY_PREFIX, SCHEDULE_SOURCE, SERVICE_NAME } from '../../functions/core/constants.js';
import { Driftgate, validateDriftgateProps } from '../../lib/driftgate.js';
import type { DriftgateStack } from '../../lib/driftgate-stack.js';
import { type Json, actionsOf, allowStatements, allows, logicalId, patternsFor, resourcesOf, statementsOf } from './iam.js';
import { synthDriftgate } from './synth.js';

type Role = 'ingest' | 'check' | 'gate' | 'decide' | 'adopt';

/**
 * What each function may do with the data bucket, written out by hand from the runtime (the keys each
 * one reads, writes and lists: `store.list(prefix)` is ListObjectsV2 with that Prefix), so a grant that
 * drifts from it fails here.
 */
const BUCKET_ACCESS: Record<Role, { get: string[]; put: string[]; list: string[] }> = {
  ingest: {
    get: ['batches', 'config', 'references', 'signatures', 'state'],
    put: ['signatures'],
    list: ['config'],
  },
  check: {
    get: ['config', 'decisions', 'proposals', 'references', 'reports', 'signatures', 'state'],
    put: ['decisions', 'proposals', 'reports', 'state'],
    list: ['config', 'proposals', 'signatures'],
  },
  gate: {
    get: ['config', 'decisions', 'proposals', 'reports', 'state'],
    put: ['decisions', 'proposals', 'state'],
    list: ['config', 'proposals'],
  },
  decide: {
    get: ['config', 'decisions', 'proposals', 'reports', 'state', 'tokens'],
    put: ['config', 'decisions', 'proposals', 'state', 'tokens'],
    list: [],
  },
  adopt: {
    get: ['adoptions', 'config', 'decisions', 'proposals', 'references', 'signatures', 'state', 'training'],
    put: ['decisions', 'proposals', 'references', 'state'],
    list: ['config', 'signatures'],
  },
};

const ROLES = Object.keys(BUCKET_ACCESS) as Role[];

/** The environment every function gets from the function builder (NODE_OPTIONS only with source maps on). */
const COMMON_ENV = [ENV.bucket, 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE'];

describe('Function: Driftgate (IAM that enforces the human gate)', () => {
  let stack: DriftgateStack;
  let template: Template;
  let dg: Driftgate;
  let roleIds: Record<Role, string>;
  let bucketArn: Json;

  beforeAll(() => {
    ({ stack, template } = synthDriftgate({ context: { notifyEmail: 'ml-owners@example.com', alarmEmail: 'ml-oncall@example.com' } }));
    dg = stack.driftgate;
    const fns = { ingest: dg.ingestFunction, check: dg.checkFunction, gate: dg.gateFunction, decide: dg.decideFunction, adopt: dg.adoption.function };
    roleIds = Object.fromEntries(ROLES.map((r) => [r, logicalId(stack, fns[r].role as IConstruct)])) as Record<Role, string>;
    bucketArn = { 'Fn::GetAtt': [logicalId(stack, dg.bucket), 'Arn'] };
  });

  /** The roles (by name) whose statements pass `match`. */
  const rolesWhere = (match: (statement: Json) => boolean): Role[] => {
    const ids = new Set(allowStatements(template).filter(({ statement }) => match(statement)).flatMap(({ roles }) => roles));
    return ROLES.filter((r) => ids.has(roleIds[r])).sort();
  };

  it.each(ROLES)('lets the %s function get, put and list exactly its prefixes, listing only with an s3:prefix condition', (role) => {
    // Prepare
    const expected = BUCKET_ACCESS[role];
    const statements = statementsOf(template, roleIds[role]);

    // Act
    const onBucket = statements.filter((s) => resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify(bucketArn)));
    const listed = onBucket.flatMap((s) => ((s.Condition as { StringLike?: { 's3:prefix'?: string[] } } | undefined)?.StringLike?.['s3:prefix'] ?? []));

    // Assess
    expect(patternsFor(statements, 's3:GetObject')).toEqual(expected.get.map((p) => `/${p}/*`));
    expect(patternsFor(statements, 's3:PutObject')).toEqual(expected.put.map((p) => `/${p}/*`));
    // On the bucket itself: one ListBucket statement with the prefix condition, or nothing.
    expect(onBucket).toEqual(
      expected.list.length === 0 && expected.get.length === 0
        ? []
        : [{ Action: 's3:ListBucket', Effect: 'Allow', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': expect.any(Array) } } }],
    );
    // Every prefix a function reads is listable too (lib/grants.ts: tells a missing key from a denied one).
    const listable = [...new Set([...expected.get, ...expected.list])].sort();
    expect([...listed].sort()).toEqual(listable.map((p) => `${p}/*`));
    expect(actionsOf(statements).filter((a) => /^s3:(List|GetBucket|Delete|\*)/.test(a) && a !== 's3:ListBucket')).toEqual([]);
    expect(actionsOf(statements)).not.toContain('s3:GetObject*');
  });

  it('grants no s3:List* or s3:GetBucket* anywhere in the stack without an s3:prefix condition', () => {
    // Act
    const bucketWide = allowStatements(template)
      .map(({ statement }) => statement)
      .filter((s) => actionsOf([s]).some((a) => /^s3:(List|GetBucket|\*)/.test(a)))
      .filter((s) => !(s.Action === 's3:ListBucket' && (s.Condition as Json | undefined)?.StringLike !== undefined));

    // Assess
    expect(bucketWide).toEqual([]);
  });

  it('lets only the decide and gate functions publish to the retrain topic', () => {
    // Prepare
    const retrain = JSON.stringify({ Ref: logicalId(stack, dg.retrainTopic) });

    // Act
    const publishers = rolesWhere((s) => (allows(s, 'sns:Publish') || allows(s, 'sns:*')) && JSON.stringify(resourcesOf(s)).includes(retrain));
    const anyPublish = allowStatements(template).filter(({ statement }) => actionsOf([statement]).some((a) => a.startsWith('sns:')));

    // Assess
    expect(publishers).toEqual(['decide', 'gate']);
    for (const { statement } of anyPublish) expect(resourcesOf(statement)).not.toContain('*');
  });

  it('lets only the decide and gate functions put a RetrainRequested on the lifecycle bus', () => {
    // Act: every PutEvents grant is conditioned on its detail-types; the retrain one is the decision path's.
    const putters = rolesWhere((s) => allows(s, 'events:PutEvents') || allows(s, 'events:*'));
    const retrainers = rolesWhere((s) => allows(s, 'events:PutEvents') && JSON.stringify(s.Condition ?? {}).includes(DETAIL_TYPE.RetrainRequested));
    const unconditioned = rolesWhere((s) => actionsOf([s]).some((a) => a.startsWith('events:')) && (s.Condition as Json | undefined)?.StringEquals === undefined);

    // Assess
    expect(putters).toEqual(['adopt', 'check', 'decide', 'gate']);
    expect(retrainers).toEqual(['decide', 'gate']);
    expect(unconditioned).toEqual([]);
  });

  it('lets only the gate publish notices and see the notices topic’s subscriptions', () => {
    // Prepare
    const notices = JSON.stringify({ Ref: logicalId(stack, dg.noticesTopic) });
    const onNotices = (s: Json): boolean => JSON.stringify(resourcesOf(s)).includes(notices);

    // Act
    const publishers = rolesWhere((s) => allows(s, 'sns:Publish') && onNotices(s));
    const listers = rolesWhere((s) => allows(s, 'sns:ListSubscriptionsByTopic'));
    const listStatements = statementsOf(template, roleIds.gate).filter((s) => allows(s, 'sns:ListSubscriptionsByTopic'));

    // Assess
    expect(publishers).toEqual(['gate']);
    expect(listers).toEqual(['gate']);
    expect(listStatements.flatMap(resourcesOf)).toEqual([{ Ref: logicalId(stack, dg.noticesTopic) }]);
  });

  it('lets only the decide and gate functions read the link-signing secret or use the topics key', () => {
    // Prepare
    const secret = { Ref: logicalId(stack, dg.secret) };

    // Act
    const readers = rolesWhere((s) => actionsOf([s]).some((a) => a.startsWith('secretsmanager:')));
    const keyUsers = rolesWhere((s) => actionsOf([s]).some((a) => a.startsWith('kms:')));
    const secretStatements = allowStatements(template).filter(({ statement }) => allows(statement, 'secretsmanager:GetSecretValue'));

    // Assess
    expect(readers).toEqual(['decide', 'gate']);
    expect(keyUsers).toEqual(['decide', 'gate']);
    for (const { statement } of secretStatements) expect(resourcesOf(statement)).toEqual([secret]);
  });

  it.each(['check', 'ingest', 'adopt'] as const)('gives the %s function no SNS, Secrets Manager or KMS action at all', (role) => {
    // Act
    const actions = actionsOf(statementsOf(template, roleIds[role]));

    // Assess
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => /^(sns|secretsmanager|kms):/.test(a))).toEqual([]);
  });

  it('gives the check function only the bucket in its environment, and the gate the topics, secret and URL', () => {
    // Prepare
    const envOf = (service: string): Json => {
      const fns = template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: service } } },
      });
      expect(Object.keys(fns)).toHaveLength(1);
      return (Object.values(fns)[0] as { Properties: { Environment: { Variables: Json } } }).Properties.Environment.Variables;
    };

    // Act
    const check = envOf(SERVICE_NAME.check);
    const gate = envOf(SERVICE_NAME.gate);

    // Assess
    // The bus of lifecycle events (test/lib/events.test.ts holds what each may put on it).
    expect(Object.keys(check).sort()).toEqual([...COMMON_ENV, ENV.eventBusName].sort());
    expect(Object.keys(gate).sort()).toEqual([...COMMON_ENV, ENV.noticesTopicArn, ENV.retrainTopicArn, ENV.secretId, ENV.decideUrl, ENV.eventBusName].sort());
    expect(gate).toMatchObject({
      [ENV.noticesTopicArn]: { Ref: logicalId(stack, dg.noticesTopic) },
      [ENV.retrainTopicArn]: { Ref: logicalId(stack, dg.retrainTopic) },
      [ENV.secretId]: { Ref: logicalId(stack, dg.secret) },
      [ENV.decideUrl]: { 'Fn::GetAtt': [logicalId(stack, dg.decideUrl), 'FunctionUrl'] },
    });
  });
});

describe('Function: Driftgate (the gate function’s triggers)', () => {
  let stack: DriftgateStack;
  let template: Template;
  let dg: Driftgate;
  /** Synthesized with `-c checkSchedule=rate(15 minutes) -c decideReservedConcurrency=off`. */
  let fromContext: Template;

  beforeAll(() => {
    ({ stack, template } = synthDriftgate());
    dg = stack.driftgate;
    fromContext = synthDriftgate({ context: { checkSchedule: 'rate(15 minutes)', decideReservedConcurrency: 'off' } }).template;
  });

  it('invokes the gate asynchronously for every ObjectCreated under proposals/', () => {
    // Prepare
    const gateArn = { 'Fn::GetAtt': [logicalId(stack, dg.gateFunction), 'Arn'] };

    // Assess
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(stack, dg.bucket) },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: Match.arrayWith([
          { Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: KEY_PREFIX.proposals }] } }, LambdaFunctionArn: gateArn },
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 's3.amazonaws.com',
      FunctionName: gateArn,
      SourceArn: { 'Fn::GetAtt': [logicalId(stack, dg.bucket), 'Arn'] },
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  it('retries a failed gate event twice, then sends it to an on-failure queue whose depth alarms the ops topic', () => {
    // Prepare
    const queueId = logicalId(stack, dg.gateFailureQueue);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, dg.gateFunction) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      AlarmActions: [{ Ref: logicalId(stack, dg.alarmsTopic) }],
    });
  });

  it('runs the gate on its own schedule at the check schedule’s rate, with the gate source, retries and the failure queue', () => {
    // Prepare
    const input = new Capture();

    // Act
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [logicalId(stack, dg.gateFunction), 'Arn'] },
        RoleArn: Match.anyValue(),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, dg.gateFailureQueue), 'Arn'] } },
        Input: input,
      },
    });

    // Assess
    expect(JSON.parse(input.asString())).toEqual({
      source: GATE_SCHEDULE_SOURCE,
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
    });
    expect(GATE_SCHEDULE_SOURCE).not.toBe(SCHEDULE_SOURCE);
    const expressions = Object.values(fromContext.findResources('AWS::Scheduler::Schedule')).map((s) => (s as { Properties: Json }).Properties.ScheduleExpression);
    expect(expressions).toEqual(['rate(15 minutes)', 'rate(15 minutes)']);
  });

  it('lets the scheduler role invoke exactly the check and gate functions and send to their two queues', () => {
    // Prepare
    const role = logicalId(stack, dg.node.findChild('SchedulerRole'));

    // Act
    const statements = statementsOf(template, role);

    // Assess
    expect(statements).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [dg.checkFunction, dg.gateFunction].map((fn) => ({ 'Fn::GetAtt': [logicalId(stack, fn), 'Arn'] })),
      },
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: [dg.checkDeadLetterQueue, dg.gateFailureQueue].map((q) => ({ 'Fn::GetAtt': [logicalId(stack, q), 'Arn'] })),
      },
    ]);
  });

  it('reserves 10 concurrent executions for the public decision function by default, and none with `off`', () => {
    // Prepare
    const reservedOf = (t: Template): unknown[] =>
      Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: SERVICE_NAME.decide } } } })).map(
        (fn) => (fn as { Properties: Json }).Properties.ReservedConcurrentExecutions,
      );

    // Act
    const others = template.findResources('AWS::Lambda::Function', { Properties: { ReservedConcurrentExecutions: Match.anyValue() } });

    // Assess
    expect(reservedOf(template)).toEqual([10]);
    expect(Object.keys(others)).toEqual([logicalId(stack, dg.decideFunction)]);
    expect(reservedOf(fromContext)).toEqual([undefined]);
  });

  it('takes another reserved concurrency from the props', () => {
    // Act
    const synthesized = synthDriftgate({ props: { decideReservedConcurrency: 25 } });

    // Assess
    synthesized.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: SERVICE_NAME.decide }) },
      ReservedConcurrentExecutions: 25,
    });
  });
});

describe('Function: Driftgate (the ops alarms topic)', () => {
  let stack: DriftgateStack;
  let template: Template;
  let dg: Driftgate;

  beforeAll(() => {
    ({ stack, template } = synthDriftgate({ context: { notifyEmail: 'ml-owners@example.com', alarmEmail: 'ml-oncall@example.com' } }));
    dg = stack.driftgate;
  });

  it('sends every alarm of the stack to the ops topic, none to the notices topic', () => {
    // Prepare
    const ops = [{ Ref: logicalId(stack, dg.alarmsTopic) }];

    // Act
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'));

    // Assess
    expect(alarms.length).toBe(dg.alarms.length);
    expect(alarms.map(([id]) => id).sort()).toEqual(dg.alarms.map((a) => logicalId(stack, a)).sort());
    for (const [, alarm] of alarms) {
      const props = (alarm as { Properties: Json }).Properties;
      expect(props.AlarmActions).toEqual(ops);
      expect(JSON.stringify(props)).not.toContain(logicalId(stack, dg.noticesTopic));
    }
  });

  it('encrypts the ops topic with the topics key and requires TLS', () => {
    // Prepare
    const topicId = logicalId(stack, dg.alarmsTopic);

    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'driftgate alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, dg.topicsKey), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    expect(Object.keys(template.findOutputs('*', { Value: { Ref: topicId } }))).toHaveLength(1);
  });

  it('subscribes the alarm email to the ops topic and the notify email to the notices topic only', () => {
    // Act
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).map((s) => (s as { Properties: Json }).Properties);

    // Assess
    expect(subscriptions.map((s) => [s.Endpoint, s.TopicArn]).sort()).toEqual(
      [
        ['ml-oncall@example.com', { Ref: logicalId(stack, dg.alarmsTopic) }],
        ['ml-owners@example.com', { Ref: logicalId(stack, dg.noticesTopic) }],
      ].sort(),
    );
    for (const s of subscriptions) {
      expect(s.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, dg.subscriptionDeadLetterQueue), 'Arn'] } });
    }
  });
});

describe('Function: validateDriftgateProps (gate props)', () => {
  it.each([0, -1, 1.5, 1001, 'on'])('rejects decideReservedConcurrency %j', (value) => {
    // Act
    const problems = validateDriftgateProps({ decideReservedConcurrency: value as number });

    // Assess
    expect(problems).toEqual([`decideReservedConcurrency must be an integer from 1 to 1000 or "off", got ${JSON.stringify(value)}`]);
  });

  it('accepts 1, 1000 and "off"', () => {
    // Act
    const problems = [1, 1000, 'off' as const].flatMap((v) => validateDriftgateProps({ decideReservedConcurrency: v }));

    // Assess
    expect(problems).toEqual([]);
  });

  it('names a bad alarm email and a bad reserved concurrency in the one props message', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bad');

    // Act
    const act = (): Driftgate => new Driftgate(stack, 'Driftgate', { alarmEmail: 'oncall', decideReservedConcurrency: 0 });

    // Assess
    expect(act).toThrow(/invalid props:\n- alarmEmail must be an email address, got "oncall"\n- decideReservedConcurrency must be/);
  });
});
