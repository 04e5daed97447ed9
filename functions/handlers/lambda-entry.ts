/**
 * What every Lambda handler shares, written once: the Lambda context on the logger, the metrics flushed
 * after each invocation (whatever happened), a port built lazily per invocation, and the entry point wired
 * from the environment on first use.
 */
import type { Context } from 'aws-lambda';
import type { Telemetry } from '../service/logger.js';

/** A Lambda handler: the event, and the context when Lambda gives one. */
export type Handler<R> = (event: unknown, context?: Context) => Promise<R>;

/** A port given as is, or built per invocation (so a rotated secret is picked up without a cold start). */
export type PortOrFactory<P, A extends unknown[] = []> = P | ((...args: A) => Promise<P>);

/** The port itself, building it when a factory was given. */
export async function portOf<P, A extends unknown[]>(port: PortOrFactory<P, A>, ...args: A): Promise<P> {
  return typeof port === 'function' ? (port as (...a: A) => Promise<P>)(...args) : port;
}

/**
 * Wrap a handler body: the context goes on the logger first, and stored metrics are published after it,
 * on success and on failure.
 * @example
 * return withTelemetry(telemetry, async (event) => process(event));
 */
export function withTelemetry<R>(telemetry: Telemetry, body: (event: unknown) => Promise<R>): Handler<R> {
  const { logger, metrics } = telemetry;
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    try {
      return await body(event);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

/**
 * The Lambda entry point: `build` runs on the first invocation (reading the environment then, not at
 * import, so a bad variable fails the invocation with a clear error rather than the module load).
 * @example
 * export const handler = lambdaEntry(() => makeIngestHandler(wireIngest(process.env)));
 */
export function lambdaEntry<R>(build: () => Handler<R>): Handler<R> {
  let handler: Handler<R> | undefined;
  return (event, context) => {
    handler ??= build();
    return handler(event, context);
  };
}
