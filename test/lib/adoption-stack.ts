import { App, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DriftgateAdoption } from '../../lib/adoption.js';

/** A stack with just a nag-clean data bucket, an encrypted topic and the construct under test (bundling stubbed unless `bundle`). */
export function adoptionTestStack(
  options: { readonly bundle?: boolean; readonly outdir?: string } = {},
): { app: App; stack: Stack; bucket: s3.Bucket; topic: sns.Topic; adoption: DriftgateAdoption } {
  // Bundling is skipped unless asked for (real esbuild runs while the function is built).
  const app = new App({ outdir: options.outdir, context: options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'AdoptionTest');
  const logsBucket = new s3.Bucket(stack, 'AccessLogs', { enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  Validations.of(logsBucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'The access-log destination of the test bucket.' });
  const bucket = new s3.Bucket(stack, 'Data', {
    enforceSSL: true,
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    serverAccessLogsBucket: logsBucket,
  });
  const topic = new sns.Topic(stack, 'Notices', { masterKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }), enforceSSL: true });
  const adoption = new DriftgateAdoption(stack, 'Adoption', { bucket, alarmTopic: topic, logRetention: logs.RetentionDays.ONE_MONTH });
  return { app, stack, bucket, topic, adoption };
}

