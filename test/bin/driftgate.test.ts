import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSignature } from '../../functions/core/signature/index.js';
import { awsTestClientConfig, repoRoot, startMoto, venvPython, type MotoServer } from '../support/moto.js';
import { type CliOutcome, runCliProcess } from '../support/cli.js';

/**
 * The real CLI, spawned as a user runs it (`node bin/driftgate.js …`, through the tsx shim), on Parquet/Arrow
 * files written by pyarrow (test/bin/make-batches.py) or apache-arrow. Each spawn costs ~1 s of start-up: 19 spawns in all.
 */

const run = promisify(execFile);

type Outcome = CliOutcome;

const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<Outcome> => runCliProcess(args, env);

let dir: string;
const at = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftgate-cli-'));
  await run(venvPython, [join(repoRoot, 'test', 'bin', 'make-batches.py'), dir]);
  await writeFile(
    at('model.json'),
    JSON.stringify({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/', cadence: { minCheckInterval: '1h', maxCheckInterval: '7d' } }),
  );
  await writeFile(
    at('items-categorical.json'),
    JSON.stringify({ schemaVersion: 1, modelId: 'shop', batchPrefix: 'batches/shop/', features: { overrides: { items: { kind: 'categorical' } } } }),
  );
  await writeFile(
    at('bad-model.json'),
    JSON.stringify({ schemaVersion: 1, modelId: 'Fraud Model', batchPrefix: 'batches/fraud', cadence: { minCheckInterval: '7d', maxCheckInterval: '1h' } }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: driftgate baseline', () => {
  it('writes a valid reference signature of the files', async () => {
    // Prepare
    const out = at('ref.json');

    // Act
    const outcome = await cli(['baseline', '--out', out, '--bins', '30', at('reference.parquet')]);

    // Assess
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('4000 rows');
    const signature = parseSignature(JSON.parse(await readFile(out, 'utf8')), out);
    expect(signature.rowCount).toBe(4000);
    expect(signature.columns.amount.kind).toBe('numeric');
    expect(signature.columns.city.kind).toBe('categorical');
    const amount = signature.columns.amount;
    if (amount.kind !== 'numeric') throw new Error('amount should be numeric');
    expect(amount.nulls).toBeGreaterThan(40);
    expect(amount.nulls).toBeLessThan(130);
    expect(amount.histogram?.edges.length).toBeGreaterThan(10);
    expect(amount.histogram?.edges.length).toBeLessThanOrEqual(31);
  });
});

describe('Function: driftgate check', () => {
  it('reports a column retyped from int to string under schema.retyped, with the same signing rule as the Lambdas (it used to exit 2)', async () => {
    // Prepare: apache-arrow writes a reference whose `code` is int32 and a batch where it became a string.
    const { tableFromArrays, tableToIPC } = await import('apache-arrow');
    const n = 400;
    const amount = Float64Array.from({ length: n }, (_, i) => 100 + (i % 37));
    await writeFile(at('retype-ref.arrow'), tableToIPC(tableFromArrays({ amount, code: Int32Array.from({ length: n }, (_, i) => i % 9) }), 'file'));
    await writeFile(at('retype-cur.arrow'), tableToIPC(tableFromArrays({ amount, code: Array.from({ length: n }, (_, i) => `C${i % 9}`) }), 'file'));
    await writeFile(at('retype-model.json'), JSON.stringify({ schemaVersion: 1, modelId: 'retype', batchPrefix: 'batches/retype/', features: { overrides: { code: { kind: 'numeric' } } } }));

    // Act
    const plain = await cli(['check', '--reference', at('retype-ref.arrow'), '--json', at('retype-cur.arrow')]);
    const configured = await cli(['check', '--reference', at('retype-ref.arrow'), '--config', at('retype-model.json'), '--json', at('retype-cur.arrow')]);

    // Assess
    for (const outcome of [plain, configured]) {
      expect(outcome.stderr).toBe('');
      expect(outcome.code).toBe(0);
      const result = JSON.parse(outcome.stdout) as { schema: { retyped: { name: string; reference: string; current: string }[] }; features: { name: string; severity: number }[] };
      expect(result.schema.retyped).toEqual([{ name: 'code', reference: 'int', current: 'string' }]);
      expect(result.features.map((f) => f.name)).toEqual(['amount']);
      expect(result.features[0].severity).toEqual(expect.any(Number));
    }
  });

  it('prints exactly one JSON document without drift for a batch from the same distribution', async () => {
    // Act
    const outcome = await cli(['check', '--reference', at('ref.json'), '--json', '--fail-on-drift', at('same.parquet')]);

    // Assess
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    const result = JSON.parse(outcome.stdout) as Record<string, unknown> & { features: Record<string, unknown>[] };
    expect(result.drift).toBe(false);
    expect(result.schema).toEqual({ missing: [], added: [], retyped: [] });
    expect(result.features.map((f) => f.name).sort()).toEqual(['amount', 'city', 'items', 'wait']);
    for (const feature of result.features) {
      expect(feature).toMatchObject({ drift: false, test: expect.any(String), score: expect.any(Number), threshold: expect.any(Number) });
      expect(feature.nullShare).toEqual({ reference: expect.any(Number), current: expect.any(Number) });
      const metricKeys = feature.kind === 'numeric' ? ['jsDistance', 'ksPValue', 'ksStat', 'psi', 'wassersteinNorm'] : ['chi2PValue', 'jsDistance', 'psi', 'unseenShare'];
      expect(['numeric', 'categorical']).toContain(feature.kind);
      expect(Object.keys(feature.metrics as object).sort()).toEqual(expect.arrayContaining(metricKeys));
    }
    const city = result.features.find((f) => f.name === 'city');
    expect(city?.kind).toBe('categorical');
  });

  it('finds drift on a shifted batch, exits 1 with --fail-on-drift and writes the HTML report', async () => {
    // Prepare
    const html = at('check.html');

    // Act
    const outcome = await cli(['check', '--reference', at('ref.json'), '--json', '--fail-on-drift', '--html', html, at('shifted.parquet')]);

    // Assess
    expect(outcome.code).toBe(1);
    const result = JSON.parse(outcome.stdout) as { drift: boolean; features: { name: string; drift: boolean }[] };
    expect(result.drift).toBe(true);
    const drifted = result.features.filter((f) => f.drift).map((f) => f.name);
    expect(drifted).toEqual(expect.arrayContaining(['amount', 'wait', 'city']));
    expect(drifted).not.toContain('items');
    // Ranked: drifted features come first.
    expect(result.features[0].drift).toBe(true);
    const page = await readFile(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/i);
    expect(page).toContain(result.features[0].name);
    await writeFile(at('check.json'), outcome.stdout);
  });

  it('takes a Parquet file as the reference, applies a model config and prints a readable table ranked by drift', async () => {
    // Act
    const outcome = await cli([
      'check',
      '--reference',
      at('reference.parquet'),
      '--config',
      at('items-categorical.json'),
      '--fail-on-drift',
      at('shifted.parquet'),
      at('same.arrow'),
    ]);

    // Assess
    expect(outcome.code).toBe(1);
    const lines = outcome.stdout.split('\n');
    const header = lines.findIndex((l) => /^#\s+feature/.test(l));
    expect(header).toBeGreaterThanOrEqual(0);
    expect(lines[header]).toMatch(/^#\s+feature\s+test\s+score\s+drift when\s+severity\s+result\s+nulls$/);
    // One row per feature (rank, name, …), each with its explanation wrapped under it.
    const rows = lines.slice(header + 2).filter((l) => /^\d+\s/.test(l));
    expect(rows.map((r) => r.split(/\s+/)[1]).sort()).toEqual(['amount', 'city', 'items', 'wait']);
    expect(lines.every((l) => [...l].length <= 100)).toBe(true);
    expect(rows[0]).toContain('DRIFT');
    expect(rows.at(-1)).not.toContain('DRIFT');
    // The config's kind override reaches both signatures: integer counts compared as categories.
    expect(rows.find((r) => /^\d+\s+items\s/.test(r))).toMatch(/^\d+\s+items\s+(jensenshannon|chi2)\s/);
    expect(outcome.stdout).toMatch(/Current: 8000 rows/);
    expect(outcome.stdout).toMatch(/^Action: DRIFT — /m);
    expect(outcome.stdout).toMatch(/^Distribution verdict: drift\. /m);
  });

  it.each([
    ['empty.parquet', /empty|0 bytes/i],
    ['random.parquet', /not a Parquet or Arrow/i],
    ['truncated.parquet', /truncat|footer|magic/i],
  ])('rejects the bad file %s with one line naming it and no stack trace', async (name, reason) => {
    // Act
    const outcome = await cli(['check', '--reference', at('ref.json'), '--json', at(name)]);

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    const lines = outcome.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`driftgate: ${at(name)}: `);
    expect(lines[0]).toMatch(reason);
    expect(outcome.stderr).not.toMatch(/^\s+at /m);
  });

  it('prints the stack of a bad file with DRIFTGATE_DEBUG=1', async () => {
    // Act
    const outcome = await cli(['check', '--reference', at('ref.json'), at('random.parquet')], { DRIFTGATE_DEBUG: '1' });

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.split('\n')[0]).toContain(at('random.parquet'));
    expect(outcome.stderr).toMatch(/^\s+at /m);
  });

  it('rejects an unknown flag with the usage and exit code 2', async () => {
    // Act
    const outcome = await cli(['check', '--reference', at('ref.json'), '--colour', at('same.parquet')]);

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toContain("unknown option '--colour'");
    expect(outcome.stderr).toContain('Usage: driftgate check');
  });
});

describe('Function: driftgate check (action classes)', () => {
  // The four cases of the issue: each used to print NO-DRIFT and exit 0 with --fail-on-drift.
  const ROWS = 2000;
  const CITIES = ['paris', 'lyon', 'nice', 'lille'];

  async function batch(file: string, seed: number, change: { amount?: number; nullWait?: number; unseenCity?: number; dropItems?: boolean } = {}): Promise<string> {
    const { tableFromArrays, tableToIPC } = await import('apache-arrow');
    const { seeded } = await import('../core/drift/random.js');
    const random = seeded(seed);
    const amount = random.normals(ROWS, 50 + (change.amount ?? 0), 10);
    const wait = Array.from({ length: ROWS }, (_, i) => (i / ROWS < (change.nullWait ?? 0) ? null : random.uniform() * 10));
    const city = random.choices(CITIES, [4, 3, 2, 1], ROWS).map((c, i) => (i / ROWS >= 1 - (change.unseenCity ?? 0) ? 'marseille' : c));
    const items = Int32Array.from(random.choices([1, 2, 3, 4, 5, 6, 7], [5, 15, 20, 20, 18, 12, 10], ROWS));
    const columns: Record<string, Float64Array | Int32Array | (number | null)[] | string[]> = { amount: Float64Array.from(amount), wait, city, items };
    if (change.dropItems) delete columns.items;
    await writeFile(at(file), tableToIPC(tableFromArrays(columns), 'file'));
    return at(file);
  }

  async function checked(file: string): Promise<{ outcome: Outcome; result: { action: string; actionReason: string; drift: boolean; incidents: { kind: string; feature?: string }[] } }> {
    const outcome = await cli(['check', '--reference', at('dq-ref.arrow'), '--json', '--fail-on-drift', file]);
    return { outcome, result: JSON.parse(outcome.stdout) as never };
  }

  beforeAll(async () => {
    await batch('dq-ref.arrow', 1);
  });

  it.each([
    ['one feature shifted 0.5σ', { amount: 5 }, 'drift', /^Drift: 'amount' moved 0\.\d\d σ/, []],
    ['a column going from 0% to 30% nulls', { nullWait: 0.3 }, 'data-quality', /^Data quality: 'wait' null share rose from 0% to 30%/, [['null-surge', 'wait']]],
    ['a 20% share of a never-seen category', { unseenCity: 0.2 }, 'drift', /^Drift: 20% of 'city' values are categories the reference never saw/, []],
  ] as const)('exits 1 with --fail-on-drift for %s, with the action and its reason at the top of the JSON', async (_case, change, action, reason, incidents) => {
    // Prepare
    const file = await batch(`dq-${action}-${Object.keys(change)[0]}.arrow`, 2, change);

    // Act
    const { outcome, result } = await checked(file);

    // Assess
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(1);
    expect(result.action).toBe(action);
    expect(result.drift).toBe(action === 'drift');
    expect(result.actionReason).toMatch(reason);
    expect(result.incidents.map((i) => [i.kind, i.feature])).toEqual(incidents);
  });

  it('exits 1 with --fail-on-drift for a missing column and prints the action line instead of a no-drift verdict', async () => {
    // Prepare
    const file = await batch('dq-missing.arrow', 3, { dropItems: true });

    // Act
    const table = await cli(['check', '--reference', at('dq-ref.arrow'), '--fail-on-drift', file], { COLUMNS: '200' });
    const { outcome, result } = await checked(file);

    // Assess
    expect(table.code).toBe(1);
    expect(table.stdout).toContain("\nAction: DATA-QUALITY — column 'items' is missing from the current batch; fix the pipeline before retraining.\n");
    expect(table.stdout).toMatch(/^Distribution verdict: no-drift\. /m);
    expect(table.stdout).not.toContain('Verdict: NO-DRIFT');
    expect(outcome.code).toBe(1);
    expect(result).toMatchObject({ action: 'data-quality', drift: false, incidents: [{ kind: 'missing-column', feature: 'items' }] });
  });
});

describe('Function: driftgate report', () => {
  it('renders a stored check result as an HTML page', async () => {
    // Prepare
    const stored = JSON.parse(await readFile(at('check.json'), 'utf8')) as { features: { name: string }[] };
    const out = at('report.html');

    // Act
    const outcome = await cli(['report', '--in', at('check.json'), '--out', out]);

    // Assess
    expect(outcome.code).toBe(0);
    const page = await readFile(out, 'utf8');
    expect(page).toMatch(/^<!doctype html>/i);
    for (const feature of stored.features) expect(page).toContain(feature.name);
  });
});

describe('Function: driftgate validate-config', () => {
  it('accepts a good config and names every bad field of a bad one', async () => {
    // Act
    const good = await cli(['validate-config', at('model.json')]);
    const bad = await cli(['validate-config', at('model.json'), at('bad-model.json')]);

    // Assess
    expect(good.code).toBe(0);
    expect(good.stdout.trim()).toBe(`ok: ${at('model.json')} (model fraud)`);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain(`ok: ${at('model.json')}`);
    expect(bad.stderr).toContain(at('bad-model.json'));
    for (const path of ['modelId', 'batchPrefix', 'cadence.minCheckInterval']) expect(bad.stderr).toContain(`at ${path}`);
  });
});

describe('Function: driftgate upload-config', () => {
  let moto: MotoServer;

  beforeAll(async () => {
    moto = await startMoto();
  });

  afterAll(async () => {
    await moto.stop();
  });

  it('validates the config and writes config/<modelId>.json to the bucket', async () => {
    // Prepare
    const s3 = new S3Client(awsTestClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: 'driftgate-test' }));
    const credentials = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

    // Act
    const outcome = await cli(['upload-config', '--bucket', 'driftgate-test', '--endpoint', moto.endpoint, at('model.json')], credentials);

    // Assess
    // stderr may carry the AWS SDK's own Node-version notice; no driftgate error.
    expect(outcome.stderr).not.toContain('driftgate:');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.trim()).toBe(`uploaded ${at('model.json')} to s3://driftgate-test/config/fraud.json (model fraud)`);
    const object = await s3.send(new GetObjectCommand({ Bucket: 'driftgate-test', Key: 'config/fraud.json' }));
    const stored = JSON.parse(await object.Body!.transformToString()) as { modelId: string; batchPrefix: string };
    expect(stored).toMatchObject({ modelId: 'fraud', batchPrefix: 'batches/fraud/' });
    s3.destroy();
  });

  it('adopt checks the training data and uploads the adoption manifest; a missing file exits 2 naming it', async () => {
    // Prepare
    const s3 = new S3Client(awsTestClientConfig(moto.endpoint));
    const bucket = 'driftgate-adopt';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'config/fraud.json', Body: await readFile(at('model.json')) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'training/fraud/v2/part-0.parquet', Body: await readFile(at('reference.parquet')) }));
    const credentials = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
    const base = ['adopt', '--bucket', bucket, '--endpoint', moto.endpoint, '--model', 'fraud'];

    // Act
    const ok = await cli([...base, '--version', 'v2', '--proposal', '20260101T000000Z-abc', 'training/fraud/v2/part-0.parquet'], credentials);
    const missing = await cli([...base, '--version', 'v3', 'training/fraud/v3/part-0.parquet'], credentials);

    // Assess
    expect(ok.stderr).not.toContain('driftgate:');
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe(
      `uploaded s3://${bucket}/adoptions/fraud/v2.json (model fraud, version v2, 1 training file); the adopt function installs the reference`,
    );
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'adoptions/fraud/v2.json' }));
    expect(JSON.parse(await object.Body!.transformToString())).toEqual({
      schemaVersion: 1,
      modelId: 'fraud',
      version: 'v2',
      trainingData: ['training/fraud/v2/part-0.parquet'],
      proposalId: '20260101T000000Z-abc',
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`driftgate: training/fraud/v3/part-0.parquet: training data not found in s3://${bucket}`);
    s3.destroy();
  });
});

describe('Function: driftgate demo', () => {
  it('prints JSON lines of every lifecycle step', async () => {
    // Prepare
    const demoDir = at('demo');

    // Act
    const outcome = await cli(['demo', '--json', '--days', '21', '--dir', demoDir]);

    // Assess
    expect(outcome.code).toBe(0);
    const lines = outcome.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const types = new Set(lines.map((l) => l.type));
    for (const type of ['check', 'cadence', 'proposal', 'notice', 'decision', 'retrain', 'adopt']) expect(types).toContain(type);
    const steps = lines.filter((l) => ['check', 'cadence', 'proposal', 'notice', 'decision', 'retrain', 'adopt'].includes(String(l.type)));
    expect(steps.length).toBeGreaterThan(10);
    for (const line of steps) {
      expect(line.modelId).toEqual(expect.any(String));
      expect(Number.isNaN(Date.parse(String(line.at)))).toBe(false);
    }
    for (const line of lines.filter((l) => l.type === 'cadence')) expect(line.checkIntervalSeconds).toEqual(expect.any(Number));
    for (const line of lines.filter((l) => ['proposal', 'notice', 'decision', 'retrain'].includes(String(l.type)))) {
      expect(line.proposalId).toEqual(expect.any(String));
    }
    expect(lines.filter((l) => l.type === 'decision').map((l) => l.action)).toContain('approve');
    expect(outcome.stderr).toContain(`demo folder: ${demoDir}`);
  });
});
