import { App, CfnOutput, CfnResource, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DriftgateStack } from '../../lib/driftgate-stack.js';
import { synthDriftgate } from './synth.js';

/** The email the stack is synthesized with, so the subscription exists (its id is the address). */
const NOTIFY_EMAIL = 'ml-oncall@example.com';
/** The ops email, so the alarms topic's subscription exists too. */
const ALARM_EMAIL = 'ml-ops@example.com';

/**
 * Where each stateful or externally referenced resource lives, as construct paths below the Driftgate
 * construct. CloudFormation's logical id is derived from that path, and an update that changes a logical
 * id replaces the resource: the buckets' and queues' data is orphaned or lost, the topics get new ARNs
 * and the email subscription must be confirmed again, the decision URL in notices already sent stops
 * working. These are the paths of the stacks deployed before the constructs were split (dc39afb); a
 * change here is a breaking change for every deployed stack.
 */
const KEPT_PATHS = {
  'AWS::S3::Bucket': ['Data', 'AccessLogs'],
  'AWS::KMS::Key': ['TopicsKey'],
  'AWS::SecretsManager::Secret': ['LinkSigningSecret'],
  // AlarmsTopic, the gate's queue, logs, schedule, function and role: added with the gate (kept from then on).
  'AWS::SNS::Topic': ['NoticesTopic', 'RetrainTopic', 'AlarmsTopic'],
  'AWS::SNS::Subscription': [`NoticesTopic/${NOTIFY_EMAIL}`, `AlarmsTopic/${ALARM_EMAIL}`],
  'AWS::SQS::Queue': ['UploadQueue', 'UploadDeadLetterQueue', 'CheckDeadLetterQueue', 'SubscriptionDeadLetterQueue', 'Adoption/FailureQueue', 'GateFailureQueue'],
  'AWS::Logs::LogGroup': ['IngestLogs', 'CheckLogs', 'DecideLogs', 'Adoption/Logs', 'GateLogs'],
  'AWS::Lambda::Url': ['DecideFunction/FunctionUrl'],
  'AWS::Scheduler::Schedule': ['CheckSchedule', 'GateSchedule'],
  // Not stateful, but a replaced function or role breaks whatever refers to its name or ARN outside the stack.
  'AWS::Lambda::Function': ['IngestFunction', 'CheckFunction', 'DecideFunction', 'Adoption/Function', 'GateFunction'],
  'AWS::IAM::Role': ['IngestRole', 'CheckRole', 'DecideRole', 'SchedulerRole', 'Adoption/Role', 'GateRole'],
} as const satisfies Record<string, readonly string[]>;

/** Stack outputs scripts read by their key (the key is the output's logical id). */
const KEPT_OUTPUTS = ['BucketName', 'DecideUrl', 'NoticesTopicArn', 'RetrainTopicArn', 'AlarmsTopicArn'] as const;

type ResourceType = keyof typeof KEPT_PATHS;

/**
 * The logical id CDK derives for an L1 at `Driftgate/<path>/Resource` (the L2's default child) of a stack,
 * computed in a scratch tree of plain constructs: it depends on the path only, never on the code under test.
 */
function logicalIdAt(path: string, type: string): string {
  const stack = new Stack(new App(), 'Scratch');
  let scope: Construct = new Construct(stack, 'Driftgate');
  for (const id of path.split('/')) scope = new Construct(scope, id);
  return stack.getLogicalId(new CfnResource(scope, 'Resource', { type }));
}

/** The logical id CDK derives for an output `Driftgate/<id>`. */
function outputIdAt(id: string): string {
  const stack = new Stack(new App(), 'Scratch');
  return stack.getLogicalId(new CfnOutput(new Construct(stack, 'Driftgate'), id, { value: 'x' }));
}

const ROWS = Object.entries(KEPT_PATHS).flatMap(([type, paths]) => paths.map((path): [string, string] => [type, path]));

describe('Function: Driftgate (logical ids of deployed resources)', () => {
  let template: Template;
  let stack: DriftgateStack;

  beforeAll(() => {
    ({ template, stack } = synthDriftgate({ context: { notifyEmail: NOTIFY_EMAIL, alarmEmail: ALARM_EMAIL } }));
  });

  it.each(ROWS)('keeps the %s at Driftgate/%s', (type, path) => {
    // Act
    const resources = template.findResources(type);

    // Assess
    expect(Object.keys(resources)).toContain(logicalIdAt(path, type));
  });

  it.each(Object.keys(KEPT_PATHS) as ResourceType[])('has no %s beyond the kept paths (a new one is listed here deliberately)', (type) => {
    // Prepare
    const expected = KEPT_PATHS[type].map((path) => logicalIdAt(path, type)).sort();

    // Act: what the Driftgate construct creates (CDK's own bucket-notification handler sits beside it).
    const actual = stack.driftgate.node
      .findAll()
      .filter((c): c is CfnResource => c instanceof CfnResource && c.cfnResourceType === type)
      .map((resource) => stack.getLogicalId(resource))
      .sort();

    // Assess
    expect(actual).toEqual(expected);
  });

  it('keeps the output keys', () => {
    // Act
    const outputs = Object.keys(template.findOutputs('*')).sort();

    // Assess
    expect(outputs).toEqual(KEPT_OUTPUTS.map(outputIdAt).sort());
  });

  it('derives a different id for a resource one construct deeper (the guard sees a move)', () => {
    // Assess: the regression this file guards against, `Driftgate/Storage/Data` instead of `Driftgate/Data`.
    expect(logicalIdAt('Storage/Data', 'AWS::S3::Bucket')).not.toBe(logicalIdAt('Data', 'AWS::S3::Bucket'));
    expect(Object.keys(template.findResources('AWS::S3::Bucket'))).not.toContain(logicalIdAt('Storage/Data', 'AWS::S3::Bucket'));
  });
});
