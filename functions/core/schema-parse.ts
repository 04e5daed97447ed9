import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Parse `input` with `schema` at a boundary; on failure throw a ConfigError whose message lists the path
 * of every bad field (z.prettifyError) and whose cause is the ZodError.
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(source, `invalid:\n${z.prettifyError(result.error)}`, { cause: result.error });
  }
  return result.data;
}
