import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Driftgate, type DriftgateProps } from './driftgate.js';

/** Properties of the driftgate stack. */
export interface DriftgateStackProps extends StackProps {
  /**
   * Properties passed to the Driftgate construct.
   * @default - the construct's defaults
   */
  readonly driftgate?: DriftgateProps;
}

/** One stack holding the whole driftgate app. */
export class DriftgateStack extends Stack {
  public readonly driftgate: Driftgate;

  constructor(scope: Construct, id: string, props: DriftgateStackProps = {}) {
    super(scope, id, props);
    this.driftgate = new Driftgate(this, 'Driftgate', props.driftgate);
  }
}

/**
 * Reads the driftgate props from CDK context (`-c checkSchedule=...`, `-c decideReservedConcurrency=off`,
 * cdk.json), leaving unset keys to the construct's defaults.
 */
export function driftgatePropsFromContext(scope: Construct): DriftgateProps {
  const text = (key: string): string | undefined => {
    const value: unknown = scope.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const int = (key: string): number | undefined => {
    const value = text(key);
    return value === undefined ? undefined : Number(value);
  };
  const reserved = text('decideReservedConcurrency');
  return {
    checkSchedule: text('checkSchedule'),
    notifyEmail: text('notifyEmail'),
    alarmEmail: text('alarmEmail'),
    decideReservedConcurrency: reserved === undefined || reserved === 'off' ? reserved : Number(reserved),
    signatureRetentionDays: int('signatureRetentionDays'),
    reportRetentionDays: int('reportRetentionDays'),
    maxReceiveCount: int('maxReceiveCount'),
    scheduleRetryAttempts: int('scheduleRetryAttempts'),
  };
}
