import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventFile } from '../../functions/adapters/file-event-sink.js';
import { type LearningLine, runLearningChapter } from '../../functions/cli/demo-learning.js';
import { recommendedTrainingRowsSchema } from '../../functions/core/learning/retrain-hint.js';
import { runCliProcess } from '../support/cli.js';

// The chapter's learning curve is AUC(n) = 0.92 − 2.9·n^(−0.5) plus a little noise; for ε = 0.002 the
// noiseless law's n* = (2.9·(1 − 2^(−0.5)) / 0.002)^2 ≈ 180,371 rows, and its plateau is 0.92.
const TRUE_ROWS = (2.9 * (1 - 2 ** -0.5) / 0.002) ** 2;
const TRUE_PLATEAU = 0.92;

let dir: string;
const lines: { line: LearningLine; text: string }[] = [];
let outcome: Awaited<ReturnType<typeof runLearningChapter>>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'driftgate-demo-learning-'));
  outcome = await runLearningChapter({ dir, startMs: Date.parse('2026-02-03T00:00:00Z'), seed: 7, emit: (line, text) => lines.push({ line, text }) });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rowsOf = (s: string): number => Number(s.replaceAll(',', ''));

describe('Function: runLearningChapter (the demo learns from a retrain and finds a slice-only drift)', () => {
  it('tells the story in order, on a clock that only moves forward', () => {
    // Assess
    expect(lines.map((l) => `${l.line.modelId}:${l.line.type}`)).toEqual([
      'ranker:adopt',
      'ranker:proposal',
      'ranker:decision',
      'ranker:outcome',
      'ranker:check',
      'ranker:proposal',
      'ranker:decision',
      'ranker:hint',
      'shop:adopt',
      'shop:slice-drift',
    ]);
    const times = lines.map((l) => Date.parse(l.line.at));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(true);
  });

  it('prints the retrain hint in plain words, with a recommendation whose interval holds the curve\'s known n* and plateau', () => {
    // Prepare
    const hint = lines.find((l) => l.line.type === 'hint');
    const m = /retrain on about ([\d,]+) rows \(90 % interval ([\d,]+)–([\d,]+)\); gains flatten at auc (0\.\d+) \(90 % interval (0\.\d+)–(0\.\d+)\)/.exec(hint?.text ?? '');

    // Assess
    expect(m, hint?.text).not.toBeNull();
    const [rows, lo, hi] = [m![1], m![2], m![3]].map(rowsOf);
    const [plateau, pLo, pHi] = [m![4], m![5], m![6]].map(Number);
    expect(lo).toBeLessThanOrEqual(rows);
    expect(rows).toBeLessThanOrEqual(hi);
    expect(lo).toBeLessThanOrEqual(TRUE_ROWS);
    expect(hi).toBeGreaterThanOrEqual(TRUE_ROWS);
    expect(pLo).toBeLessThanOrEqual(plateau);
    expect(plateau).toBeLessThanOrEqual(pHi);
    expect(pLo - 0.0005).toBeLessThanOrEqual(TRUE_PLATEAU);
    expect(pHi + 0.0005).toBeGreaterThanOrEqual(TRUE_PLATEAU);
    // The window: the drifted day's two batches, plus the three quiet days before the onset (1,500 rows each), still short.
    expect(hint?.text).toMatch(/less than 0\.002 per doubling beyond; training window: 2 batch\(es\) since the drift's onset \(3,000 rows\) plus 3 from before it \(4,500 rows\), still [\d,]+ rows short$/);
    expect(Math.abs(outcome.recommendedRows - rows) / rows).toBeLessThan(0.01);
  });

  it('prints what the published RetrainRequested event carries, not a number of its own', async () => {
    // Prepare
    const hint = lines.find((l) => l.line.type === 'hint')?.line;
    const events = await readEventFile(path.join(dir, 'events.jsonl'));

    // Act
    const event = events.find((e) => e.messageId === hint?.messageId)?.event;

    // Assess
    expect(events).toHaveLength(2);
    expect(events[0].event.recommendedTrainingRows?.status).toBe('omitted');
    const rec = recommendedTrainingRowsSchema.parse(event?.recommendedTrainingRows);
    expect(rec).toEqual(hint?.recommendedTrainingRows);
    expect(rec).toMatchObject({ status: 'recommended', metric: 'auc', fromVersion: 'v2', rows: outcome.recommendedRows });
    expect(event?.trainingWindow).toEqual(hint?.trainingWindow);
    expect(event?.trainingWindow?.batches.map((b) => b.key).sort()).toEqual(['batches/ranker/week-2-0.arrow', 'batches/ranker/week-2-1.arrow']);
    expect(event?.trainingWindow?.blend.map((b) => b.key)).toEqual([11, 10, 9].map((d) => `batches/ranker/quiet-${d}.arrow`));
  });

  it('reports the slice-only drift: the slice, its row share and what moved, while the population shows none, and opens a proposal', () => {
    // Prepare
    const slice = lines.find((l) => l.line.type === 'slice-drift');

    // Assess
    expect(slice?.text).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d {2}shop {3}slice-only drift: slice 'country' = 'DE' \(10% of rows, 400 of 4000\) moved: 'amount' \(Wasserstein \d+\.\d+ σ ≥ 0\.\d+ σ\); no feature of the whole population drifted\. Retrain proposal \S+ \(drift index \d+\.\d\d\); notice sent$/,
    );
    expect(outcome.slice).toEqual({ column: 'country', value: 'DE', share: 0.1 });
    expect(slice?.line).toMatchObject({ action: 'drift', column: 'country', value: 'DE', share: 0.1, aggregateDrifted: [], proposalId: expect.any(String) });
    const moved = (slice?.line.drifted as { name: string; score: number; threshold: number }[])[0];
    expect(moved.name).toBe('amount');
    expect(moved.score).toBeGreaterThan(moved.threshold);
  });
});

describe('CLI: driftgate demo --json (the real CLI in a child process)', () => {
  it('prints the chapter\'s hint and slice-drift lines among JSON lines that all parse', async () => {
    // Prepare
    const out = await mkdtemp(path.join(tmpdir(), 'driftgate-demo-learning-cli-'));

    // Act
    const run = await runCliProcess(['demo', '--json', '--days', '1', '--dir', path.join(out, 'demo')]);
    await rm(out, { recursive: true, force: true });

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const parsed = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const hint = parsed.find((l) => l.type === 'hint');
    expect(hint).toMatchObject({ modelId: 'ranker', recommendedTrainingRows: { status: 'recommended', metric: 'auc' } });
    expect(parsed.find((l) => l.type === 'slice-drift')).toMatchObject({ modelId: 'shop', column: 'country', value: 'DE', share: 0.1 });
    expect(parsed.at(-1)?.type).toBe('summary');
  }, 60_000);
});
