import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SCHEDULE_SOURCE } from '../functions/core/constants.js';

/** Properties of the check schedule. */
export interface DriftgateCheckScheduleProps {
  /** The check function the schedule invokes. */
  readonly checkFunction: lambda.IFunction;
  /** Where invocations that failed every retry go. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * EventBridge Scheduler expression (`rate(...)` or `cron(...)`).
   * @default 'rate(1 hour)'
   */
  readonly schedule?: string;
  /**
   * Retries when invoking the check function fails.
   * @default 2
   */
  readonly retryAttempts?: number;
}

/** The check schedule and the role it assumes. */
export interface DriftgateCheckSchedule {
  readonly schedule: scheduler.Schedule;
  /** The role the scheduler assumes: it may invoke the check function and send to the dead-letter queue. */
  readonly role: iam.Role;
}

/**
 * Adds the EventBridge schedule `CheckSchedule` that runs the drift check to `scope`, with its own role
 * `SchedulerRole` (assumable by the scheduler of this account only), retries, a maximum event age of one
 * hour and a dead-letter queue. Created in the caller's scope so the schedule keeps the logical id of
 * deployed stacks.
 *
 * @example
 * buildCheckSchedule(this, { checkFunction, deadLetterQueue, schedule: 'rate(30 minutes)' });
 */
export function buildCheckSchedule(scope: Construct, props: DriftgateCheckScheduleProps): DriftgateCheckSchedule {
  const role = new iam.Role(scope, 'SchedulerRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: 'driftgate: lets EventBridge Scheduler invoke the check function',
  });
  const schedule = new scheduler.Schedule(scope, 'CheckSchedule', {
    description: 'driftgate: run the drift check for the models that are due',
    schedule: scheduler.ScheduleExpression.expression(props.schedule ?? 'rate(1 hour)'),
    target: new UnqualifiedLambdaInvoke(props.checkFunction, {
      role,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: Duration.hours(1),
      deadLetterQueue: props.deadLetterQueue,
      input: scheduler.ScheduleTargetInput.fromObject({
        source: SCHEDULE_SOURCE,
        scheduledTime: scheduler.ContextAttribute.scheduledTime,
        executionId: scheduler.ContextAttribute.executionId,
      }),
    }),
  });
  return { schedule, role };
}

/**
 * A Lambda target whose role may invoke only the unqualified function, the ARN the schedule calls:
 * `LambdaInvoke` grants every version too (`<arn>:*`), a wildcard nobody uses.
 */
class UnqualifiedLambdaInvoke extends LambdaInvoke {
  protected override addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.targetArn] }));
  }
}
