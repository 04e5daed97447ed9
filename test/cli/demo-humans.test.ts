import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HumansLine, runHumansChapter } from '../../functions/cli/demo-humans.js';

let dir: string;
const lines: { line: HumansLine; text: string }[] = [];
let outcome: { level: string; approvals: number };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'driftgate-demo-humans-'));
  outcome = await runHumansChapter({ dir, startMs: Date.parse('2026-01-01T00:00:00Z'), seed: 7, emit: (line, text) => lines.push({ line, text }) });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: runHumansChapter (the demo earns one promotion, then runs one review round)', () => {
  it('approves two proposals through their links, sends the earned offer, and the owner accepts it: manual -> veto', () => {
    // Assess
    expect(outcome).toEqual({ level: 'veto', approvals: 2 });
    const promotion = lines.slice(0, 9);
    expect(promotion.map((l) => l.line.type)).toEqual(['adopt', 'proposal', 'decision', 'adopt', 'proposal', 'decision', 'adopt', 'autonomy', 'autonomy']);
    expect(promotion.at(-2)?.text).toMatch(/offer sent to the owner: ".*pricing: offer: move up to veto - accept by .*"/);
    expect(promotion.at(-1)?.text).toMatch(/^2026-01-17 09:00  pricing owner@example.com accepted through the signed link: level manual -> veto\. Next: 2 more approved/);
    for (const { line } of lines) expect(Number.isNaN(Date.parse(line.at))).toBe(false);
  });

  it('runs one review round in readable text: the request, each row with why it was picked, the verdicts, the human-review proposal and its notice', () => {
    // Prepare
    const review = lines.slice(9);
    const rows = review.filter((l) => l.line.kind === 'row');

    // Assess
    expect(review.map((l) => (l.line.kind === 'row' ? 'row' : l.line.type))).toEqual(['review', 'row', 'row', 'row', 'row', 'row', 'row', 'review', 'proposal']);
    expect(review[0].text).toMatch(/^2026-01-18 08:00  pricing week 3 checked \(no-drift\); review request sent: "\[driftgate\] pricing: review 6 rows - by .*"$/);
    for (const r of rows) expect(r.text).toMatch(/^2026-01-18 10:00  pricing   row \d \(amount=\d+(\.\d+)?, country=(US|DE)\): (amount|country) .*|typical: .*/);
    expect(rows.filter((r) => r.line.pick === 'typical')).toHaveLength(1);
    expect(review.at(-2)?.text).toMatch(/reviewer@example\.com: 1 looks right, 5 looks wrong, 0 not sure; above the 30% level, so proposal \S+ opened \(reason human-review, decided by a person\)$/);
    expect(review.at(-1)?.text).toMatch(/the gate sent its notice: "\[driftgate\] pricing: reviewers: rows look wrong - decide by .*"$/);
  });
});
