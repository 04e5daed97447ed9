import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgePrefixGrants } from './nag.js';

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
export function grantPrefixes(bucket: s3.IBucket, role: iam.IRole, grants: PrefixGrants): void {
  const read = [...(grants.read ?? []), ...(grants.readWrite ?? [])];
  const put = [...(grants.put ?? []), ...(grants.readWrite ?? [])];
  for (const prefix of grants.read ?? []) bucket.grantRead(role, `${prefix}*`);
  for (const prefix of grants.put ?? []) bucket.grantPut(role, `${prefix}*`);
  for (const prefix of grants.readWrite ?? []) {
    bucket.grantRead(role, `${prefix}*`);
    bucket.grantPut(role, `${prefix}*`);
  }
  acknowledgePrefixGrants(role, { read, put });
}
