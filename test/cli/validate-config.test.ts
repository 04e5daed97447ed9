import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configJson, GOOD_CONFIGS, HOSTILE_CONFIGS, readmeConfigs } from '../core/lifecycle/hostile-configs.js';
import { repoRoot } from '../support/moto.js';
import { type CliOutcome, runCliProcess } from '../support/cli.js';

/**
 * The real CLI (`node bin/driftgate.js …`, through the tsx shim, as test/bin/driftgate.test.ts spawns it)
 * against every hostile config of hostile-configs.ts. Each spawn costs ~1 s of start-up, so the table goes
 * through one `validate-config` of all its files (the command reports each file), plus a few single-file
 * runs of the configs the issue named and one `upload-config`: 7 spawns in all.
 */


type Outcome = CliOutcome;

const cli = (args: readonly string[]): Promise<Outcome> => runCliProcess(args, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' });

/** The stderr block the CLI printed for `file`: from "driftgate: <file>: " to the next "driftgate: " line. */
function blockOf(stderr: string, file: string): string {
  const start = stderr.indexOf(`driftgate: ${file}: `);
  if (start < 0) return '';
  const next = stderr.indexOf('\ndriftgate: ', start + 1);
  return stderr.slice(start, next < 0 ? undefined : next + 1);
}

let dir: string;
const badFile = (i: number): string => join(dir, `bad-${String(i).padStart(2, '0')}.json`);
const goodFile = (i: number): string => join(dir, `good-${String(i).padStart(2, '0')}.json`);
const named = (pattern: RegExp): number => {
  const index = HOSTILE_CONFIGS.findIndex((c) => pattern.test(c.name));
  if (index < 0) throw new Error(`no hostile config named ${pattern}`);
  return index;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftgate-validate-config-'));
  await Promise.all(HOSTILE_CONFIGS.map((c, i) => writeFile(badFile(i), configJson(c.config))));
  const goods = [...GOOD_CONFIGS.map((c) => c.config), ...readmeConfigs()];
  await Promise.all(goods.map((config, i) => writeFile(goodFile(i), JSON.stringify(config, null, 2))));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: driftgate validate-config (hostile configs)', () => {
  it('refuses every hostile config with exit 2, each file with its own lines naming the bad path', async () => {
    // Act
    const outcome = await cli(['validate-config', ...HOSTILE_CONFIGS.map((_, i) => badFile(i))]);

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).not.toMatch(/internal error|\n\s+at .*\.ts:\d+/);
    const missed = HOSTILE_CONFIGS.flatMap((c, i) => {
      const block = blockOf(outcome.stderr, badFile(i));
      const lines = block.split('\n');
      const at = lines.findIndex((line) => line.trim() === `→ at ${c.path}`);
      return at > 0 && c.reason.test(lines[at - 1]) ? [] : [`${c.name}: ${JSON.stringify(block)}`];
    });
    expect(missed).toEqual([]);
    // Hostile values are not echoed whole (the 10k-character prefix) nor raw (the NUL, the ESC).
    expect(outcome.stderr.length).toBeLessThan(HOSTILE_CONFIGS.length * 400);
    expect(outcome.stderr).not.toMatch(/[\u0000\u001b]/);
  });

  it.each([
    [/batchPrefix with a NUL/, 'batchPrefix'],
    [/proposalTtl 1e300/, 'proposalTtl'],
    [/unknown test in an override/, 'features.overrides.amount.test'],
    [/p-value threshold 5 on an override/, 'features.overrides.amount.threshold'],
  ])('refuses the single file %s with exit 2, naming %s', async (pattern, path) => {
    // Prepare
    const file = badFile(named(pattern));

    // Act
    const outcome = await cli(['validate-config', file]);

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(`driftgate: ${file}: invalid:`);
    expect(outcome.stderr).toContain(`→ at ${path}\n`);
  });

  it('accepts the good configs and every model config of README.md', async () => {
    // Prepare
    const files = [...GOOD_CONFIGS, ...readmeConfigs()].map((_, i) => goodFile(i));

    // Act
    const outcome = await cli(['validate-config', ...files]);

    // Assess
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.trim().split('\n')).toEqual(files.map((file) => expect.stringMatching(new RegExp(`^ok: ${file.replace(/[.\\]/g, '\\$&')} \\(model `))));
  });
});

describe('Function: driftgate upload-config (hostile configs)', () => {
  it('refuses a hostile config with exit 2 before any request (the endpoint is never reached)', async () => {
    // Prepare: a port nothing listens on; reaching it would be an AdapterError, exit 3
    const file = badFile(named(/batchPrefix walking up to config/));

    // Act
    const outcome = await cli(['upload-config', '--bucket', 'driftgate-test', '--endpoint', 'http://127.0.0.1:9', file]);

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(`driftgate: ${file}: invalid:`);
    expect(outcome.stderr).toContain('→ at batchPrefix\n');
  });
});
