import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { nagPacks } from '../../lib/nag.js';
import { synthDriftgate } from './synth.js';

describe('Function: nagPacks (pattern acknowledgements of prefix grants)', () => {
  it('reports a resource wildcard on a prefix the role was not granted, and on the whole bucket', () => {
    // Prepare
    const { app, stack } = synthDriftgate();
    const dg = stack.driftgate;
    const ingestRole = dg.ingestFunction.role as IConstruct;

    // Act: ingest puts under signatures/ only; tokens/ and the whole bucket are nobody's grant to it.
    dg.bucket.grantPut(dg.ingestFunction, 'tokens/*');
    dg.bucket.grantRead(dg.ingestFunction);
    const violations = nagPacks(app).flatMap((pack) => pack.validateScope(app).violations);

    // Assess: grantRead's bucket-wide s3:List* and s3:GetBucket* are nobody's acknowledgement either.
    const findings = violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    const onIngestRole = findings.filter((f) => f.endsWith(` ${ingestRole.node.path}/DefaultPolicy/Resource`));
    expect(onIngestRole.map((f) => f.split(' ')[0]).sort()).toEqual([
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<[^>]+\.Arn>\/\*\]$/),
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<[^>]+\.Arn>\/tokens\/\*\]$/),
    ]);
    expect(findings).toEqual(onIngestRole);
  });

  it('lets the scheduler invoke only the unqualified check and gate functions (no `:*` wildcard to acknowledge)', () => {
    // Prepare
    const { stack, template } = synthDriftgate();
    const arnOf = (fn: IConstruct) => ({ 'Fn::GetAtt': [stack.getLogicalId(fn.node.defaultChild as CfnElement), 'Arn'] });

    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: [arnOf(stack.driftgate.checkFunction), arnOf(stack.driftgate.gateFunction)] },
        ]),
      },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('":*"');
  });
});
