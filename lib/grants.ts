import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgePrefixGrants } from './nag.js';

/**
 * Key prefixes a function may read, put, or both, and list (never delete: every write is a create or a
 * conditional replace).
 */
export interface PrefixGrants {
  /** Prefixes whose objects it reads (`s3:GetObject`, which also covers HeadObject and ranged reads). */
  readonly read?: readonly string[];
  /** Prefixes it writes (the bucket's `grantPut`). */
  readonly put?: readonly string[];
  /** Prefixes it reads and writes (a read–modify–write is a get, then a conditional put). */
  readonly readWrite?: readonly string[];
  /**
   * Prefixes it lists (ListObjectsV2 with one of them, or a longer key prefix under one of them, as
   * `Prefix`): `s3:ListBucket` on the bucket with a `StringLike` `s3:prefix` condition.
   * @default - none: the function may list nothing
   */
  readonly list?: readonly string[];
}

/**
 * Grant a role access to key prefixes of the bucket, and acknowledge the wildcard findings those grants
 * produce (each one scoped to a prefix, never the whole bucket).
 *
 * Reads are granted as `s3:GetObject` on the prefix, not with `grantRead`: that method also grants
 * `s3:List*` and `s3:GetBucket*` on the bucket itself, so a function allowed to read `reports/` could list
 * every key of the bucket. Listing is granted only where `list` names a prefix, and only for it.
 *
 * @example
 * grantPrefixes(bucket, role, { read: ['config/'], readWrite: ['state/'], list: ['config/'] });
 */
export function grantPrefixes(bucket: s3.IBucket, role: iam.IRole, grants: PrefixGrants): void {
  const read = [...(grants.read ?? []), ...(grants.readWrite ?? [])];
  const put = [...(grants.put ?? []), ...(grants.readWrite ?? [])];
  const list = grants.list ?? [];
  if (read.length > 0) {
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['s3:GetObject'],
      resourceArns: read.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
    });
  }
  for (const prefix of put) bucket.grantPut(role, `${prefix}*`);
  if (list.length > 0) {
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['s3:ListBucket'],
      resourceArns: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': list.map((prefix) => `${prefix}*`) } },
    });
  }
  acknowledgePrefixGrants(role, { read, put });
}
