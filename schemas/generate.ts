/**
 * Writes the JSON Schema of every lifecycle event (schemas/<detail-type>.json), generated from the zod
 * schemas in functions/core/events/lifecycle.ts. Run after changing them:  npx tsx schemas/generate.ts
 * (test/core/events.test.ts fails while a committed file differs from what this writes).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIFECYCLE_SCHEMAS, type LifecycleEventType, lifecycleJsonSchema, lifecycleSchemaFile } from '../functions/core/events/lifecycle.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The text of one committed schema file. */
export function schemaFileText(type: LifecycleEventType): string {
  return `${JSON.stringify(lifecycleJsonSchema(type), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const type of Object.keys(LIFECYCLE_SCHEMAS) as LifecycleEventType[]) {
    const file = join(root, lifecycleSchemaFile(type));
    writeFileSync(file, schemaFileText(type));
    console.log(`wrote ${lifecycleSchemaFile(type)}`);
  }
}
