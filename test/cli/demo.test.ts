import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventFile } from '../../functions/adapters/file-event-sink.js';
import { ConfigError } from '../../functions/core/errors.js';
import { type DemoSummary, runDemo } from '../../functions/cli/demo.js';

type Line = { type: string; modelId?: string; at: string; [k: string]: unknown };

let dir: string;
let lines: Line[];
let summary: DemoSummary;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'driftgate-demo-'));
  const raw: string[] = [];
  summary = await runDemo({ dir, json: true, emit: (l) => raw.push(l) });
  lines = raw.map((l) => JSON.parse(l) as Line);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: runDemo', () => {
  it('emits one JSON object a line with type, modelId and at', () => {
    // Assess
    const types = new Set(lines.map((l) => l.type));
    for (const t of ['check', 'cadence', 'proposal', 'notice', 'decision', 'retrain', 'adopt']) expect(types).toContain(t);
    for (const l of lines.filter((x) => x.type !== 'start' && x.type !== 'summary')) {
      expect(typeof l.modelId).toBe('string');
      expect(Number.isNaN(Date.parse(l.at))).toBe(false);
    }
    for (const l of lines.filter((x) => x.type === 'cadence')) expect(typeof l.checkIntervalSeconds).toBe('number');
    for (const l of lines.filter((x) => ['proposal', 'notice', 'decision', 'retrain'].includes(x.type))) expect(typeof l.proposalId).toBe('string');
    for (const l of lines.filter((x) => x.type === 'decision')) {
      expect(['approve', 'reject', 'snooze', 'expire', 'veto-window-elapsed']).toContain(l.action);
    }
  });

  it('the drifting model gets a proposal, an approval, a retrain and an adoption; the stable one does not', async () => {
    // Prepare
    const of = (modelId: string, type: string): Line[] => lines.filter((l) => l.modelId === modelId && l.type === type);

    // Assess
    expect(of('fraud', 'proposal').length).toBeGreaterThanOrEqual(1);
    expect(of('fraud', 'decision').map((l) => l.action)).toContain('approve');
    expect(of('fraud', 'retrain').length).toBeGreaterThanOrEqual(1);
    expect(of('fraud', 'adopt').filter((l) => !l.initial).length).toBeGreaterThanOrEqual(1);
    for (const t of ['proposal', 'notice', 'decision', 'retrain']) expect(of('churn', t)).toEqual([]);
    expect(of('churn', 'adopt').every((l) => l.initial === true)).toBe(true);
    const events = await readEventFile(summary.eventsFile);
    expect(events.map((e) => e.event.modelId)).toEqual(of('fraud', 'retrain').map(() => 'fraud'));
    expect((await readdir(summary.outboxDir)).length).toBe(of('fraud', 'notice').length);
  });

  it('the cadence moves both ways: the stable model relaxes, the drifting one tightens', () => {
    // Prepare
    const cadence = (modelId: string): Line[] => lines.filter((l) => l.modelId === modelId && l.type === 'cadence' && typeof l.previousIntervalSeconds === 'number');
    const up = (l: Line): boolean => (l.checkIntervalSeconds as number) > (l.previousIntervalSeconds as number);

    // Assess
    expect(cadence('churn').length).toBeGreaterThan(0);
    expect(cadence('churn').every(up)).toBe(true);
    expect(cadence('churn').at(-1)?.checkIntervalSeconds).toBe(7 * 86_400);
    expect(cadence('fraud').some((l) => !up(l))).toBe(true);
    const firstProposal = lines.findIndex((l) => l.type === 'proposal');
    const tightenedBefore = lines.slice(0, firstProposal).some((l) => l.modelId === 'fraud' && l.type === 'cadence' && typeof l.previousIntervalSeconds === 'number' && !up(l));
    expect(tightenedBefore).toBe(true);
  });

  it('hands the integer merchant codes configured as categorical to the signature builder', async () => {
    // Prepare
    const dirOf = path.join(dir, 'signatures', 'fraud');
    const first = (await readdir(dirOf))[0];

    // Act
    const signature = JSON.parse(await readFile(path.join(dirOf, first), 'utf8')) as { columns: Record<string, { kind: string }> };

    // Assess
    expect(signature.columns.merchant_code.kind).toBe('categorical');
    expect(signature.columns.age.kind).toBe('numeric');
  });

  it('refuses a folder it did not make', async () => {
    // Prepare
    const other = await mkdtemp(path.join(tmpdir(), 'driftgate-demo-other-'));
    await writeFile(path.join(other, 'precious.txt'), 'keep me');

    // Act / Assess
    await expect(runDemo({ dir: other, json: true, days: 1, emit: () => undefined })).rejects.toBeInstanceOf(ConfigError);
    expect(await readdir(other)).toEqual(['precious.txt']);
    await rm(other, { recursive: true, force: true });
  });
});
