/**
 * Upload a model configuration to the state store (the CLI's `config put`, or an operator script), after
 * validating it with the same schema the engine uses when it reads the file back.
 */
import { ConfigError } from '../core/errors.js';
import { parseModelConfig, type ModelConfig } from '../core/lifecycle/config.js';
import { configKey } from '../core/lifecycle/keys.js';
import type { ObjectStore } from '../core/ports.js';

/** What was written. */
export interface UploadedModelConfig {
  /** The key written, `config/<modelId>.json`. */
  readonly key: string;
  readonly modelId: string;
  /** The configuration as the engine will see it (defaults applied, durations in seconds). */
  readonly config: ModelConfig;
}

/**
 * Validate a model configuration (an object, or its JSON text) and write it to `config/<modelId>.json`.
 * The document is stored as given, not with defaults filled in, so later default changes still apply.
 * @example
 * await uploadModelConfig(store, JSON.parse(await readFile('fraud.json', 'utf8')), 'fraud.json');
 */
export async function uploadModelConfig(store: ObjectStore, config: unknown, source: string): Promise<UploadedModelConfig> {
  const document = typeof config === 'string' ? parseJson(config, source) : config;
  const parsed = parseModelConfig(document, source);
  const key = configKey(parsed.modelId);
  await store.put(key, `${JSON.stringify(document, null, 2)}\n`, 'application/json');
  return { key, modelId: parsed.modelId, config: parsed };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(source, `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
