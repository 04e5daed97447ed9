import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleNotifier } from '../../functions/adapters/console-notifier.js';
import { FileEventSink } from '../../functions/adapters/file-event-sink.js';
import { LocalStore } from '../../functions/adapters/local-store.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { parseReportJson } from '../../functions/core/report/report-json.js';
import type { Notice } from '../../functions/core/ports.js';
import { Lifecycle } from '../../functions/service/lifecycle.js';

// Fixtures made by test/fixtures/slices/make-slices.py (pyarrow).
const FIXTURES = new URL('../fixtures/slices/', import.meta.url).pathname;
const at = (hours: number): Date => new Date(Date.parse('2026-02-02T00:00:00Z') + hours * 3_600_000);

let dir: string;
let root: string;
let lifecycle: Lifecycle;
let sent: Notice[];

async function place(fixture: string, key: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, key)), { recursive: true });
  await copyFile(path.join(FIXTURES, fixture), path.join(root, key));
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'driftgate-slices-'));
  root = path.join(dir, 'store');
  sent = [];
  lifecycle = new Lifecycle({
    store: new LocalStore(root),
    notifier: new ConsoleNotifier(path.join(dir, 'outbox'), (n) => sent.push(n)),
    events: new FileEventSink(path.join(dir, 'events.jsonl')),
    sign: signSources,
    secret: 'slice-test-secret',
    decideBaseUrl: 'https://decide.test/prod/',
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: Lifecycle.check with slices', () => {
  it('a shift confined to one country opens a proposal whose report names the slice, its share and what moved', async () => {
    // Prepare
    await lifecycle.putConfig({ schemaVersion: 1, modelId: 'shop', batchPrefix: 'batches/shop/', slices: ['country'], cadence: { minCheckInterval: '1h' } });
    await place('reference.parquet', 'training/shop/v1.parquet');
    await lifecycle.setReference('shop', ['training/shop/v1.parquet'], at(0), 'v1');
    await place('one-slice-drift.parquet', 'batches/shop/day-1.parquet');
    await lifecycle.ingest('batches/shop/day-1.parquet', at(1));

    // Act
    const check = await lifecycle.check('shop', at(2));

    // Assess
    if (check.status !== 'checked') throw new Error(`expected a check, got ${check.status}`);
    expect(check.action).toBe('drift');
    expect(check.actionReason).toMatch(/'country' = 'DE' \(10% of rows\) drifted: 'amount'/);
    expect(check.driftedFeatureNames).toEqual([]);
    expect(check.proposal).not.toBeNull();
    const proposal = await lifecycle.proposal('shop', check.proposal!.proposalId);
    expect(proposal?.reasons.driftedFeatures.map((f) => f.name)).toEqual(['country=DE/amount']);
    expect(proposal?.fingerprint).toBe('country=DE/amount');
    const report = parseReportJson(Buffer.from((await lifecycle.repo.store.get(check.reportKeys.json))!.body).toString('utf8'), check.reportKeys.json);
    const alarmed = report.result.slices?.filter((s) => s.alarm) ?? [];
    expect(alarmed.map((s) => [s.column, s.value])).toEqual([['country', 'DE']]);
    expect(sent).toHaveLength(1);
  });
});
