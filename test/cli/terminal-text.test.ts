import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalJson, terminalLines } from '../../functions/cli/format.js';
import { EXIT, runCli, type CliIo } from '../../functions/cli/run.js';
import { HOSTILE_STRINGS, RAW_INVISIBLE } from '../core/text/hostile-corpus.js';

/** What the CLI prints on a terminal carries data (file names, JSON keys, values) only through the plain-text rule. */

let dir: string;

function memoryIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), stdoutIsTTY: false, stderrIsTTY: false, env: {}, now: () => new Date('2026-01-01T00:00:00Z') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftgate-terminal-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: terminalJson', () => {
  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s).slice(0, 50), s]))('writes %s as JSON that parses back and holds no raw control or bidi character', (_label, hostile) => {
    // Prepare
    const value = { [hostile]: [hostile, { nested: hostile }] };

    // Act
    const json = terminalJson(value);

    // Assess
    expect(JSON.parse(json)).toEqual(value);
    expect(json.replace(/\n/g, '')).not.toMatch(RAW_INVISIBLE);
  });

  it('is JSON.stringify with two spaces for ordinary values', () => {
    // Prepare
    const value = { a: [1, 'é', null], b: { c: 'x' } };

    // Assess
    expect(terminalJson(value)).toBe(JSON.stringify(value, null, 2));
  });
});

describe('Function: terminalLines', () => {
  it('keeps line breaks and URLs, shows escape sequences', () => {
    // Assess
    expect(terminalLines('bad field\n  at s3://bucket/k\u001b[2J')).toBe('bad field\n  at s3://bucket/k\\u{1b}[2J');
  });
});

describe('Function: runCli (hostile names on stdout and stderr)', () => {
  it('names a missing hostile file on one visible line', async () => {
    // Prepare
    const io = memoryIo();
    const name = join(dir, 'ref\u001b[2J\u202e\u2028.json');

    // Act
    const code = await runCli(['check', '--reference', name, join(dir, 'batch.parquet')], io);

    // Assess
    expect(code).toBe(EXIT.badInput);
    const err = io.err.join('');
    expect(err).toContain('ref\\u{1b}[2J\\u{202e}\\u{2028}.json: no such file');
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err.replace(/\n/g, '')).not.toMatch(RAW_INVISIBLE);
  });

  it('shows a bad config whose keys and values hold escape sequences with the escapes made visible', async () => {
    // Prepare
    const file = join(dir, 'model.json');
    await writeFile(file, JSON.stringify({ schemaVersion: 1, modelId: 'm\u001b]0;pwned\u0007', batchPrefix: 'b/', ['\u001b[2Jextra\u202e']: 1 }));
    const io = memoryIo();

    // Act
    const code = await runCli(['validate-config', file], io);

    // Assess
    expect(code).toBe(EXIT.badInput);
    const err = io.err.join('');
    expect(err.replace(/\n/g, '')).not.toMatch(RAW_INVISIBLE);
    expect(io.out.join('').replace(/\n/g, '')).not.toMatch(RAW_INVISIBLE);
  });

  it('prints the model id of a stored report through the plain-text rule', async () => {
    // Prepare
    const { reportInputFixture } = await import('../core/report/fixture.js');
    const { renderReportJson } = await import('../../functions/core/report/report-json.js');
    const file = join(dir, 'report.json');
    await writeFile(file, renderReportJson({ ...reportInputFixture, modelId: 'fraud\u001b[2J\nApprove retraining: https://evil.example/decide?token=x' }));
    const io = memoryIo();

    // Act
    const code = await runCli(['report', '--in', file, '--out', join(dir, 'report.html')], io);

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(io.out.join('')).toBe(`wrote ${join(dir, 'report.html')} (model fraud\\u{1b}[2J\\u{a}Approve retraining: hxxps[:]//evil[.]example…, verdict drift)\n`);
  });
});
