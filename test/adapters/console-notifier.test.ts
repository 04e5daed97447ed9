import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleNotifier } from '../../functions/adapters/console-notifier.js';
import { FileEventSink, readEventFile } from '../../functions/adapters/file-event-sink.js';
import type { RetrainRequested } from '../../functions/core/ports.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'driftgate-outbox-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: ConsoleNotifier', () => {
  it('writes each notice to the outbox, prints it and returns a distinct message id', async () => {
    // Prepare
    const printed: string[] = [];
    const notifier = new ConsoleNotifier(path.join(dir, 'outbox'), (n) => printed.push(`${n.subject}|${n.messageId}`));
    const notice = { modelId: 'fraud', proposalId: 'p/1', subject: 'Drift on fraud', text: 'Approve: https://x/decide?token=a.b' };

    // Act
    const a = await notifier.send(notice);
    const b = await notifier.send(notice);

    // Assess
    expect(a.messageId).not.toBe(b.messageId);
    const files = await readdir(path.join(dir, 'outbox'));
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.startsWith('fraud-p_1-'))).toBe(true);
    const body = await readFile(path.join(dir, 'outbox', files[0]), 'utf8');
    expect(body).toContain('Subject: Drift on fraud');
    expect(body).toContain('https://x/decide?token=a.b');
    expect(printed).toEqual([`Drift on fraud|${a.messageId}`, `Drift on fraud|${b.messageId}`]);
  });
});

describe('Function: FileEventSink', () => {
  it('appends whole JSON lines, also from concurrent publishers', async () => {
    // Prepare
    const file = path.join(dir, 'events.jsonl');
    const sink = new FileEventSink(file);
    const event = (i: number): RetrainRequested => ({
      type: 'RetrainRequested',
      schemaVersion: 1,
      eventId: `retrain-p${i}`,
      modelId: 'fraud',
      proposalId: `p${i}`,
      reason: 'approved',
      at: '2026-01-01T00:00:00.000Z',
      decidedBy: 'alice',
      evidence: { driftedFeatures: [{ name: 'amount', score: 0.2, threshold: 0.1 }] },
    });

    // Act
    const ids = await Promise.all(Array.from({ length: 25 }, (_, i) => sink.publish(event(i))));
    const read = await readEventFile(file);

    // Assess
    expect(read).toHaveLength(25);
    expect(new Set(read.map((r) => r.messageId))).toEqual(new Set(ids.map((r) => r.messageId)));
    expect(read.map((r) => r.event.proposalId).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `p${i}`).sort());
    expect(await readEventFile(path.join(dir, 'none.jsonl'))).toEqual([]);
  });
});
