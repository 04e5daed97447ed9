import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { GATE_SCHEDULE_SOURCE, SCHEDULE_SOURCE } from '../functions/core/constants.js';

/** Properties of the check and gate schedules. */
export interface DriftgateSchedulesProps {
  /** The check function the check schedule invokes (with the `SCHEDULE_SOURCE` input). */
  readonly checkFunction: lambda.IFunction;
  /** Where check invocations that failed every retry go. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * The gate function, invoked by a second schedule at the same rate with the `GATE_SCHEDULE_SOURCE`
   * input, and where its invocations that failed every retry go.
   */
  readonly gate: { readonly function: lambda.IFunction; readonly deadLetterQueue: sqs.IQueue };
  /**
   * EventBridge Scheduler expression (`rate(...)` or `cron(...)`).
   * @default 'rate(1 hour)'
   */
  readonly schedule?: string;
  /**
   * Retries when invoking a scheduled function fails.
   * @default 2
   */
  readonly retryAttempts?: number;
}

/** The schedules and the role they assume. */
export interface DriftgateSchedules {
  readonly checkSchedule: scheduler.Schedule;
  readonly gateSchedule: scheduler.Schedule;
  /** The role the scheduler assumes: it may invoke the scheduled functions and send to their dead-letter queues. */
  readonly role: iam.Role;
}

/**
 * Adds the EventBridge schedule `CheckSchedule` that runs the drift check to `scope`, and `GateSchedule`
 * that runs the gate at the same rate, with one role `SchedulerRole` (assumable by the scheduler of this
 * account only), retries, a maximum event age of one hour and a dead-letter queue each. Created in the
 * caller's scope so the check schedule keeps the logical id of deployed stacks.
 *
 * @example
 * buildSchedules(this, { checkFunction, deadLetterQueue, gate: { function: gateFunction, deadLetterQueue: gateQueue } });
 */
export function buildSchedules(scope: Construct, props: DriftgateSchedulesProps): DriftgateSchedules {
  const role = new iam.Role(scope, 'SchedulerRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: 'driftgate: lets EventBridge Scheduler invoke the check and gate functions',
  });
  const expression = scheduler.ScheduleExpression.expression(props.schedule ?? 'rate(1 hour)');
  const target = (fn: lambda.IFunction, deadLetterQueue: sqs.IQueue, source: string): UnqualifiedLambdaInvoke =>
    new UnqualifiedLambdaInvoke(fn, {
      role,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: Duration.hours(1),
      deadLetterQueue,
      input: scheduler.ScheduleTargetInput.fromObject({
        source,
        scheduledTime: scheduler.ContextAttribute.scheduledTime,
        executionId: scheduler.ContextAttribute.executionId,
      }),
    });
  const checkSchedule = new scheduler.Schedule(scope, 'CheckSchedule', {
    description: 'driftgate: run the drift check for the models that are due',
    schedule: expression,
    target: target(props.checkFunction, props.deadLetterQueue, SCHEDULE_SOURCE),
  });
  const gateSchedule = new scheduler.Schedule(scope, 'GateSchedule', {
    description: 'driftgate: tend proposals (unsent notices, veto windows, expiries, failed retrain publishes)',
    schedule: expression,
    target: target(props.gate.function, props.gate.deadLetterQueue, GATE_SCHEDULE_SOURCE),
  });
  return { checkSchedule, gateSchedule, role };
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
