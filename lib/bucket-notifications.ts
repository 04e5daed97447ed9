import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeBucketNotificationsHandler } from './nag.js';

/**
 * Sends the bucket's ObjectCreated events under the filter to the destination. The first notification
 * in a stack makes CDK add its notification handler (a custom resource) at the stack's top level; that
 * handler, found as what the call added there rather than by its internal id, gets its acknowledgements.
 */
export function notifyObjectCreated(
  bucket: s3.Bucket,
  destination: s3.IBucketNotificationDestination,
  filter: s3.NotificationKeyFilter,
): void {
  const stack = Stack.of(bucket);
  const before = new Set(stack.node.children);
  bucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, filter);
  for (const added of stack.node.children.filter((child) => !before.has(child))) {
    acknowledgeBucketNotificationsHandler(added);
  }
}
