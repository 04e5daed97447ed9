import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FUNCTIONS_DIR = join(REPO_ROOT, 'functions');
/** The one module of `functions/` the CDK app may load: constants, no runtime code. */
const CONSTANTS = 'functions/core/constants';

/** Every `.ts` file under a directory of the repo. */
function sourcesUnder(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)));
}

/** The modules under `functions/` a source imports (static, dynamic, re-exports), repo-relative, without extension. */
function functionsImportsOf(file: string, source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => resolve(REPO_ROOT, dirname(file), specifier))
    .filter((path) => path.startsWith(`${FUNCTIONS_DIR}/`))
    .map((path) => relative(REPO_ROOT, path).replace(/\.(js|ts)$/, ''));
}

describe('Function: imports of the CDK app', () => {
  it('imports nothing from functions/ but the constants module, in lib/ and bin/app.ts', () => {
    // Prepare
    const files = [...sourcesUnder('lib'), 'bin/app.ts'];

    // Act
    const offending = files.flatMap((file) =>
      functionsImportsOf(file, readFileSync(join(REPO_ROOT, file), 'utf8'))
        .filter((module) => module !== CONSTANTS)
        .map((module) => `${file} imports ${module}`),
    );

    // Assess
    expect(files).toContain('lib/driftgate.ts');
    expect(offending).toEqual([]);
  });

  it('loads no runtime code through the constants module (it imports nothing)', () => {
    // Act
    const imports = ts.preProcessFile(readFileSync(join(REPO_ROOT, `${CONSTANTS}.ts`), 'utf8'), true, true).importedFiles;

    // Assess
    expect(imports.map((i) => i.fileName)).toEqual([]);
  });

  it('catches static, dynamic and re-exported imports of other functions/ modules', () => {
    // Prepare
    const source = [
      "import { ENV } from '../functions/handlers/env.js';",
      "import { KEY_PREFIX } from '../functions/core/constants.js';",
      "export { METRICS_NAMESPACE } from '../functions/service/logger.js';",
      "const lazy = () => import('../functions/core/lifecycle/adoption.js');",
      "import { App } from 'aws-cdk-lib';",
    ].join('\n');

    // Act
    const modules = functionsImportsOf('lib/example.ts', source);

    // Assess
    expect(modules.filter((module) => module !== CONSTANTS)).toEqual([
      'functions/handlers/env',
      'functions/service/logger',
      'functions/core/lifecycle/adoption',
    ]);
  });
});
