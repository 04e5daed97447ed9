import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** What one driftgate alarm watches and whom it notifies. */
export interface DriftgateAlarmProps {
  /** The metric; the alarm fires when one period's value is at least 1. */
  readonly metric: cloudwatch.IMetric;
  /** Alarm description, starting with `driftgate: `. */
  readonly description: string;
  /** Topic the alarm action publishes to (the ops alarms topic, never the notices topic). */
  readonly topic: sns.ITopic;
}

/**
 * Every alarm of driftgate: fires on the first occurrence (at least 1 in one period), treats missing
 * data as fine (no failures, no messages), and notifies the topic.
 *
 * @example
 * driftgateAlarm(this, 'Errors', { metric: functionErrors(fn), description: 'driftgate: the check function failed', topic });
 */
export function driftgateAlarm(scope: Construct, id: string, props: DriftgateAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    metric: props.metric,
    alarmDescription: props.description,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new SnsAction(props.topic));
  return alarm;
}

/** Failed invocations of a function, summed over 5 minutes. */
export function functionErrors(fn: lambda.IFunction): cloudwatch.Metric {
  return fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' });
}

/** Messages waiting in a queue, the highest count within a minute. */
export function queueDepth(queue: sqs.IQueue): cloudwatch.Metric {
  return queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
}
