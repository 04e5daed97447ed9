import { describe, expect, it } from 'vitest';
import { BATCH_READING_HANDLERS, functionBundling, sourceMapsFromContext } from '../../lib/bundling.js';
import { synthDriftgate } from './synth.js';

/** NODE_OPTIONS of every driftgate function (those with a Powertools service) in a template (undefined where it is not set). */
function nodeOptionsOf(resources: Record<string, { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }>): unknown[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME !== undefined)
    .map((r) => r.Properties.Environment?.Variables?.NODE_OPTIONS);
}

describe('Function: functionBundling', () => {
  it('leaves source maps off and copies parquet-wasm and the zstd decoder only when the function reads batches', () => {
    // Act
    const plain = functionBundling();
    const reader = functionBundling({ readsBatches: true });

    // Assess
    expect(plain.sourceMap).toBe(false);
    expect(plain.externalModules).toEqual(['parquet-wasm', '@foxglove/wasm-zstd']);
    expect(plain.commandHooks?.afterBundling('/in', '/out')).toEqual([]);
    const copies = reader.commandHooks?.afterBundling('/in', '/out').join('\n') ?? '';
    expect(copies).toContain('/out/node_modules/parquet-wasm/node/parquet_wasm_bg.wasm');
    expect(copies).toContain('mkdir -p "/out/node_modules/@foxglove/wasm-zstd/dist"');
    expect(copies).toContain('/out/node_modules/@foxglove/wasm-zstd/dist/wasm-zstd.wasm');
    expect([...BATCH_READING_HANDLERS]).toEqual(expect.arrayContaining(['ingest', 'adopt']));
    expect(BATCH_READING_HANDLERS.has('decide')).toBe(false);
  });

  it('reads the sourceMaps context flag as true/false (cdk.json or -c) and refuses anything else', () => {
    // Assess
    expect(sourceMapsFromContext(undefined)).toBe(false);
    expect(sourceMapsFromContext('false')).toBe(false);
    expect(sourceMapsFromContext(true)).toBe(true);
    expect(sourceMapsFromContext('true')).toBe(true);
    expect(() => sourceMapsFromContext('yes')).toThrow(/context sourceMaps: expected true or false, got "yes"/);
  });

  // Without the flag no function has NODE_OPTIONS (test/lib/gate.test.ts holds every function's exact environment).
  it('runs every function with --enable-source-maps when -c sourceMaps=true', () => {
    // Act
    const on = synthDriftgate({ context: { sourceMaps: 'true' } }).template.toJSON().Resources;

    // Assess
    expect(nodeOptionsOf(on)).toEqual(Array(5).fill('--enable-source-maps'));
  }, 180_000);
});
