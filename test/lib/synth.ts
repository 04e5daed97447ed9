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
  /**
   * Run real esbuild bundling (slow: one test file does it, test/lib/bundle.test.ts).
   * @default false - bundling is skipped (`aws:cdk:bundling-stacks: []`)
   */
  readonly bundle?: boolean;
  /** Props passed to the construct, overriding context-derived ones. */
  readonly props?: DriftgateProps;
  /** Cloud assembly directory. */
  readonly outdir?: string;
}

/** The app and stack of one synthesis; `template` synthesizes on first access (the tree is final then). */
export interface Synthesized {
  readonly app: App;
  readonly stack: DriftgateStack;
  readonly template: Template;
}

/**
 * Builds the driftgate stack the way bin/app.ts does. The app is synthesized only when `template` is
 * first read, so a test may still add validation plugins or change the tree before that.
 */
export function synthDriftgate(options: SynthOptions = {}): Synthesized {
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
  let template: Template | undefined;
  return {
    app,
    stack,
    get template(): Template {
      template ??= Template.fromStack(stack);
      return template;
    },
  };
}
