/**
 * The ARROW:schema decoder (functions/adapters/arrow-schema-message.ts) against apache-arrow's reading of the
 * same messages: the schema every Parquet fixture of the repo stores (pyarrow writers, hostile mutations), as
 * stored and as parquet-dictionary-footer.ts patches it. Names, nullability and every primitive type agree;
 * a message that does not verify is refused.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageReader } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { rawTypeOf } from '../../functions/adapters/arrow-ipc-body.js';
import { rawTypeOfSchema, readSchemaMessage, schemaTypeName } from '../../functions/adapters/arrow-schema-message.js';
import { dictionaryFooter } from '../../functions/adapters/parquet-dictionary-footer.js';
import { readThriftStruct } from '../../functions/adapters/parquet-thrift.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');

function parquetFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return parquetFiles(path);
    return name.endsWith('.parquet') ? [path] : [];
  });
}

/** The ARROW:schema messages of a file's footer, as stored and as patched (when it is). */
function schemaMessages(path: string): Uint8Array[] {
  const bytes = new Uint8Array(readFileSync(path));
  if (bytes.length < 12) return [];
  const length = new DataView(bytes.buffer, bytes.length - 8).getUint32(0, true);
  if (length > bytes.length - 8) return [];
  const footer = bytes.subarray(bytes.length - 8 - length, bytes.length - 8);
  const out: Uint8Array[] = [];
  for (const candidate of [footer, dictionaryFooter(footer)]) {
    if (candidate === undefined) continue;
    try {
      const value = readThriftStruct(candidate, 0).structs(5)?.find((kv) => kv.string(1) === 'ARROW:schema')?.string(2);
      if (value !== undefined) out.push(new Uint8Array(Buffer.from(value, 'base64')));
    } catch {
      // a mutated footer: not a message to compare
    }
  }
  return out;
}

describe('Function: readSchemaMessage', () => {
  it('reads every stored and patched ARROW:schema of the Parquet fixtures as apache-arrow does', () => {
    // Prepare
    let compared = 0;

    // Act + Assess
    for (const path of parquetFiles(FIXTURES)) {
      for (const message of schemaMessages(path)) {
        const theirs = (() => {
          try {
            return new MessageReader(message).readSchema();
          } catch {
            return undefined;
          }
        })();
        if (theirs === undefined || theirs === null) continue;
        const ours = readSchemaMessage(message);
        const where = relative(ROOT, path);
        expect(ours.map((f) => f.name), where).toEqual(theirs.fields.map((f) => f.name));
        expect(ours.map((f) => f.nullable), where).toEqual(theirs.fields.map((f) => f.nullable));
        ours.forEach((field, i) => {
          const raw = rawTypeOfSchema(field.type);
          // Nested and other types: named by their type id only, and never derived.
          if (raw === undefined) return;
          expect(schemaTypeName(field.type), `${where} ${field.name}`).toBe(String(theirs.fields[i].type));
          expect(raw, `${where} ${field.name}`).toEqual(rawTypeOf(theirs.fields[i].type));
        });
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(80);
  });

  it('refuses a message that is not a verifiable Schema message', () => {
    // Prepare
    const [message] = schemaMessages(join(FIXTURES, 'parquet-schema', 'pyarrow-schema.parquet'));
    const truncated = message.subarray(0, message.length >> 1);
    const garbled = message.slice();
    for (let i = 12; i < 40; i++) garbled[i] ^= 0xff;

    // Act + Assess
    expect(readSchemaMessage(message).length).toBe(14);
    expect(() => readSchemaMessage(truncated)).toThrow();
    expect(() => readSchemaMessage(garbled)).toThrow();
    expect(() => readSchemaMessage(new Uint8Array(4))).toThrow(/too short/);
  });
});
