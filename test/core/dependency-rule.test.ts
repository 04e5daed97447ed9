import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Import specifiers and forbidden globals a pure core file must not use. */
const forbidden = [
  { pattern: /from\s+['"]@aws-sdk\//, what: 'an AWS SDK import' },
  { pattern: /from\s+['"](node:)?(fs|fs\/promises|child_process|net|http|https|os)['"]/, what: 'an I/O module' },
  { pattern: /\bprocess\.env\b/, what: 'process.env' },
  { pattern: /\bDate\.now\(|new Date\(\)/, what: 'the wall clock (time comes in as `now`)' },
  { pattern: /from\s+['"]\.\.?\/(\.\.\/)*(adapters|handlers|service)\//, what: 'an adapter, handler or service' },
];

describe('Rule: functions/core is pure', () => {
  const files = sourceFiles(join(root, 'functions/core'));

  it('has source files to check', () => {
    // Assess
    expect(files.length).toBeGreaterThan(3);
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s imports only core and uses no I/O, env or clock', (_name, file) => {
    // Prepare
    const text = readFileSync(file, 'utf8');

    // Act
    const found = forbidden.filter(({ pattern }) => pattern.test(text)).map(({ what }) => what);

    // Assess
    expect(found).toEqual([]);
  });
});

describe('Rule: adapters do not depend on handlers', () => {
  it.each(sourceFiles(join(root, 'functions/adapters')).map((f) => [relative(root, f), f]))('%s', (_name, file) => {
    // Assess
    expect(readFileSync(file, 'utf8')).not.toMatch(/from\s+['"]\.\.\/handlers\//);
  });
});

/** The layers of `functions/` and what each may import (relative imports, static or dynamic). */
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  core: ['core'],
  adapters: ['adapters', 'core'],
  service: ['service', 'core'],
  handlers: ['handlers', 'service', 'adapters', 'core'],
  cli: ['cli', 'handlers', 'service', 'adapters', 'core'],
};

/** The `functions/` layer each relative import of a file reaches. */
function importedLayers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\(\s*)['"](\.[^'"]+)['"]/g)].map((m) => m[1]);
  return specifiers.map((spec) => {
    const target = relative(join(root, 'functions'), join(file, '..', spec));
    return target.startsWith('..') ? `outside functions/ (${spec})` : target.split('/')[0];
  });
}

describe('Rule: handlers|cli -> service -> core, adapters -> core', () => {
  const files = Object.keys(LAYERS).flatMap((layer) => sourceFiles(join(root, 'functions', layer)).map((f) => [layer, relative(root, f), f] as const));

  it('finds every layer and a file in each', () => {
    // Assess
    expect(new Set(files.map(([layer]) => layer))).toEqual(new Set(Object.keys(LAYERS)));
    expect(readdirSync(join(root, 'functions')).filter((n) => statSync(join(root, 'functions', n)).isDirectory()).sort()).toEqual(Object.keys(LAYERS).sort());
  });

  it('catches a forbidden import (the rule can fail)', () => {
    // Prepare: a service file that would import an adapter.
    const file = join(root, 'functions/service/example.ts');
    const layer = relative(join(root, 'functions'), join(file, '..', '../adapters/s3-store.js')).split('/')[0];

    // Assess
    expect(LAYERS.service.includes(layer)).toBe(false);
  });

  it.each(files)('%s: %s imports only its allowed layers', (layer, _name, file) => {
    // Act
    const bad = importedLayers(file).filter((target) => !LAYERS[layer].includes(target));

    // Assess
    expect(bad).toEqual([]);
  });
});
