import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { KEY_PREFIX } from '../functions/core/constants.js';
import { acknowledgeAccessLogsBucket } from './nag.js';

/** Properties of the driftgate storage. */
export interface DriftgateStorageProps {
  /**
   * Days to keep batch signatures before S3 expires them.
   * @default 400
   */
  readonly signatureRetentionDays?: number;
  /**
   * Days to keep rendered reports before S3 expires them.
   * @default 400
   */
  readonly reportRetentionDays?: number;
  /**
   * Days to keep noncurrent object versions.
   * @default 30
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * What happens to both buckets when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The two buckets of driftgate. */
export interface DriftgateStorage {
  /** Batches, references, signatures, state, reports, proposals, decisions, tokens and configs. */
  readonly bucket: s3.Bucket;
  /** Server access logs of the data bucket. */
  readonly accessLogsBucket: s3.Bucket;
}

/**
 * Adds the data bucket `Data` (private, versioned, SSE-S3, TLS only, old signatures and reports expiring)
 * and the bucket `AccessLogs` that receives its server access logs to `scope`. They are created in the
 * caller's scope, not in a construct of their own: a construct path is a logical id, and a bucket whose
 * logical id changes is replaced on update (test/lib/logical-ids.test.ts holds the paths).
 *
 * @example
 * const { bucket } = buildStorage(this, { reportRetentionDays: 90 });
 */
export function buildStorage(scope: Construct, props: DriftgateStorageProps = {}): DriftgateStorage {
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

  const accessLogsBucket = new s3.Bucket(scope, 'AccessLogs', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    removalPolicy,
    autoDeleteObjects: false,
  });
  acknowledgeAccessLogsBucket(accessLogsBucket);

  const bucket = new s3.Bucket(scope, 'Data', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    versioned: true,
    serverAccessLogsBucket: accessLogsBucket,
    serverAccessLogsPrefix: 'data/',
    lifecycleRules: [
      {
        id: 'expire-signatures',
        prefix: KEY_PREFIX.signatures,
        expiration: Duration.days(props.signatureRetentionDays ?? 400),
      },
      {
        id: 'expire-reports',
        prefix: KEY_PREFIX.reports,
        expiration: Duration.days(props.reportRetentionDays ?? 400),
      },
      {
        id: 'expire-noncurrent-versions',
        noncurrentVersionExpiration: Duration.days(props.noncurrentVersionRetentionDays ?? 30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ],
    removalPolicy,
  });
  return { bucket, accessLogsBucket };
}
