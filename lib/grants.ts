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
   * `Prefix`): `s3:ListBucket` on the bucket with a `StringLike` `s3:prefix` condition. Every prefix it
   * reads is listable too (see grantPrefixes).
   * @default - none beyond the prefixes it reads
   */
  readonly list?: readonly string[];
}

/**
 * Grant a role access to key prefixes of the bucket, and acknowledge the wildcard findings those grants
 * produce (each one scoped to a prefix, never the whole bucket).
 *
 * Reads are granted as `s3:GetObject` on the prefix, not with `grantRead`: that method also grants
 * `s3:List*` and `s3:GetBucket*` on the bucket itself, so a function allowed to read `reports/` could list
 * every key of the bucket. Listing is granted only for the prefixes named, with an `s3:prefix` condition:
 * those in `list`, and every prefix the function reads. S3 answers 403, not 404, for a missing key to a
 * role that may not list it, and `S3Store.get` tells "absent" from "denied" by listing exactly that key;
 * without the list grant the first read of a not-yet-written document (a decision log, a roll-up, a state)
 * would fail as a denial on AWS (moto does not enforce IAM, so only this rule guards it).
 *
 * @example
 * grantPrefixes(bucket, role, { read: ['config/'], readWrite: ['state/'], list: ['config/'] });
 */
export function grantPrefixes(bucket: s3.IBucket, role: iam.IRole, grants: PrefixGrants): void {
  const read = [...(grants.read ?? []), ...(grants.readWrite ?? [])];
  const put = [...(grants.put ?? []), ...(grants.readWrite ?? [])];
  const list = [...new Set([...read, ...(grants.list ?? [])])];
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
