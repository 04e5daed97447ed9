import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DriftgateStack, driftgatePropsFromContext } from '../../lib/driftgate-stack.js';
import type { DriftgateProps } from '../../lib/driftgate.js';

const CDK_JSON = fileURLToPath(new URL('../../cdk.json', import.meta.url));

/** The context cdk.json gives the app (feature flags and defaults), so tests see what `cdk synth` sees. */
export function cdkJsonContext(): Record<string, unknown> {
  const parsed = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context?: Record<string, unknown> };
  return parsed.context ?? {};
}

export interface SynthOptions {
  /** Extra context (e.g. notifyEmail); merged over cdk.json's. */
  readonly context?: Record<string, unknown>;
  /** Run real esbuild bundling (slow); by default bundling is skipped. */
  readonly bundle?: boolean;
  /** Props passed to the construct, overriding context-derived ones. */
  readonly props?: DriftgateProps;
  /** Cloud assembly directory. */
  readonly outdir?: string;
}

/** Builds the driftgate stack the way bin/app.ts does and returns the app, stack and template. */
export function synthDriftgate(options: SynthOptions = {}): {
  app: App;
  stack: DriftgateStack;
  template: Template;
} {
  const app = new App({
    outdir: options.outdir,
    context: {
      ...cdkJsonContext(),
      ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  const stack = new DriftgateStack(app, 'Driftgate', {
    driftgate: { ...driftgatePropsFromContext(app), ...options.props },
  });
  return { app, stack, template: Template.fromStack(stack) };
}
