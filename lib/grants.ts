import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** Key prefixes a function may read, put, or both (never delete: every write is a create or a conditional replace). */
export interface PrefixGrants {
  readonly read?: readonly string[];
  readonly put?: readonly string[];
  readonly readWrite?: readonly string[];
}

/**
 * Grant a role access to key prefixes of the bucket with its grant methods, and acknowledge the wildcard
 * findings those grants produce (each one scoped to a prefix, never the whole bucket).
 */
export function grantPrefixes(bucket: s3.Bucket, role: iam.IRole, grants: PrefixGrants): void {
  const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  const findings = new Set<string>();
  const read = (prefix: string): void => {
    bucket.grantRead(role, `${prefix}*`);
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) findings.add(`Action::${action}`);
    findings.add(`Resource::<${bucketId}.Arn>/${prefix}*`);
  };
  const put = (prefix: string): void => {
    bucket.grantPut(role, `${prefix}*`);
    findings.add('Action::s3:Abort*');
    findings.add(`Resource::<${bucketId}.Arn>/${prefix}*`);
  };
  for (const prefix of grants.read ?? []) read(prefix);
  for (const prefix of grants.put ?? []) put(prefix);
  for (const prefix of grants.readWrite ?? []) {
    read(prefix);
    put(prefix);
  }
  for (const finding of findings) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[${finding}]`,
      reason: 'S3 grant scoped to one driftgate key prefix of the data bucket (grant method wildcards).',
    });
  }
}
