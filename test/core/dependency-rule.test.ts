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
