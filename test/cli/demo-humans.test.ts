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

describe('Function: runHumansChapter (the demo earns one promotion)', () => {
  it('approves two proposals through their links, sends the earned offer, and the owner accepts it: manual -> veto', () => {
    // Assess
    expect(outcome).toEqual({ level: 'veto', approvals: 2 });
    expect(lines.map((l) => l.line.type)).toEqual(['adopt', 'proposal', 'decision', 'adopt', 'proposal', 'decision', 'adopt', 'autonomy', 'autonomy']);
    expect(lines.at(-2)?.text).toMatch(/offer sent to the owner: ".*pricing: offer: move up to veto - accept by .*"/);
    expect(lines.at(-1)?.text).toMatch(/^2026-01-17 09:00  pricing owner@example.com accepted through the signed link: level manual -> veto\. Next: 2 more approved/);
    for (const { line } of lines) expect(Number.isNaN(Date.parse(line.at))).toBe(false);
  });
});
