import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../functions/cli/run.js';
import { parseAdoptionManifest } from '../../functions/core/lifecycle/adoption.js';
import { runCliProcess } from '../support/cli.js';
import { awsTestClientConfig, startMoto, type MotoServer } from '../support/moto.js';

// The real CLI in a child process against moto server; the training file is written by pyarrow
// (test/fixtures/slices/make-slices.py).
const TRAINING = new URL('../fixtures/slices/reference.parquet', import.meta.url).pathname;
const BUCKET = 'driftgate-outcomes';
const credentials = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

/** The same CLI entry in-process (the refusals happen before any client is built): exit code and stderr. */
async function inProcess(argv: readonly string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(argv, { stdout: () => undefined, stderr: (t) => (stderr += t), stdoutIsTTY: false, stderrIsTTY: false, env: {}, now: () => new Date() });
  return { code, stderr };
}

describe('Function: driftgate adopt with retrain-outcome flags', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let dir: string;
  let base: string[];

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(awsTestClientConfig(moto.endpoint));
    dir = await mkdtemp(join(tmpdir(), 'driftgate-adopt-outcome-'));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'config/ranker.json', Body: JSON.stringify({ schemaVersion: 1, modelId: 'ranker', batchPrefix: 'batches/ranker/' }) }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'training/ranker/v2/part-0.parquet', Body: await readFile(TRAINING) }));
    base = ['adopt', '--bucket', BUCKET, '--endpoint', moto.endpoint, '--model', 'ranker'];
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('uploads a manifest with every outcome field, the learning curve read from CSV, valid by the manifest schema', async () => {
    // Prepare
    const curve = join(dir, 'curve.csv');
    await writeFile(curve, 'rows,score\n1000,0.82\n2000,0.85\n4000,0.87\n8000,0.88\n');

    // Act
    const outcome = await runCliProcess(
      [...base, '--version', 'v2', '--validation-score', '0.91', '--previous-score', '0.88', '--metric', 'auc', '--metric-direction', 'higher-is-better', '--learning-curve', curve, '--status', 'adopted', 'training/ranker/v2/part-0.parquet'],
      credentials,
    );

    // Assess
    expect(outcome.stderr).not.toContain('driftgate:');
    expect(outcome.code).toBe(0);
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'adoptions/ranker/v2.json' }));
    const manifest = parseAdoptionManifest(JSON.parse(await object.Body!.transformToString()), 'adoptions/ranker/v2.json');
    expect(manifest).toMatchObject({
      validationScore: 0.91,
      previousScore: 0.88,
      metric: { name: 'auc', direction: 'higher-is-better' },
      status: 'adopted',
      learningCurve: [{ rows: 1000, score: 0.82 }, { rows: 2000, score: 0.85 }, { rows: 4000, score: 0.87 }, { rows: 8000, score: 0.88 }],
    });
  });

  it('reads a JSON learning curve and a rolled-back status (the same training data: the outcome is updated)', async () => {
    // Prepare
    const curve = join(dir, 'curve.json');
    await writeFile(curve, JSON.stringify([{ rows: 500, score: 0.4 }, { rows: 1000, score: 0.35 }]));

    // Act
    const outcome = await runCliProcess([...base, '--version', 'v2', '--learning-curve', curve, '--status', 'rolled-back', '--metric', 'logloss', '--metric-direction', 'lower-is-better', 'training/ranker/v2/part-0.parquet'], credentials);

    // Assess
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('outcome-updated');
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'adoptions/ranker/v2.json' }));
    const manifest = parseAdoptionManifest(JSON.parse(await object.Body!.transformToString()), 'v2.json');
    expect(manifest.status).toBe('rolled-back');
    expect(manifest.learningCurve).toEqual([{ rows: 500, score: 0.4 }, { rows: 1000, score: 0.35 }]);
  });

  it.each([
    [['--validation-score', 'abc'], /--validation-score: expected a number such as 0\.91, got 'abc'/],
    [['--previous-score', ''], /--previous-score needs a non-empty value/],
    [['--validation-score', '1e999'], /--validation-score: .*got 'Infinity'/],
    [['--metric', 'auc'], /--metric needs --metric-direction/],
    [['--metric-direction', 'higher-is-better'], /--metric-direction needs --metric NAME/],
    [['--metric', 'auc', '--metric-direction', 'up'], /--metric-direction: .*higher-is-better.*lower-is-better.*got 'up'/],
    [['--metric', 'x'.repeat(65), '--metric-direction', 'lower-is-better'], /--metric: .*64.*got 'x{65}'/],
    [['--status', 'maybe'], /--status: .*adopted.*failed.*rolled-back.*got 'maybe'/],
  ])('refuses %j with a message naming the flag, before any upload', async (flags, message) => {
    // Act
    const outcome = await inProcess([...base, '--version', 'v9', ...flags, 'training/ranker/v2/part-0.parquet']);

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(message);
    await expect(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'adoptions/ranker/v9.json' }))).rejects.toThrow();
  });

  it('prints a refusal on stderr and exits 2 from the real process too, uploading nothing', async () => {
    // Act
    const outcome = await runCliProcess([...base, '--version', 'v8', '--status', 'maybe', 'training/ranker/v2/part-0.parquet'], credentials);

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/^driftgate: --status: .*got 'maybe'/);
    await expect(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'adoptions/ranker/v8.json' }))).rejects.toThrow();
  });

  it('names the learning-curve file and what is wrong in it (line, duplicate rows, extension, missing file)', async () => {
    // Prepare
    const badLine = join(dir, 'bad-line.csv');
    await writeFile(badLine, 'rows,score\n1000,0.8\n2000;0.9\n');
    const duplicate = join(dir, 'duplicate.json');
    await writeFile(duplicate, JSON.stringify({ learningCurve: [{ rows: 1000, score: 0.8 }, { rows: 1000, score: 0.81 }] }));
    const wrongKind = join(dir, 'curve.txt');
    await writeFile(wrongKind, '1000 0.8');
    const run = (file: string) => inProcess([...base, '--version', 'v9', '--learning-curve', file, 'training/ranker/v2/part-0.parquet']);

    // Act
    const outcomes = await Promise.all([badLine, duplicate, wrongKind, join(dir, 'absent.csv')].map(run));

    // Assess
    expect(outcomes.map((o) => o.code)).toEqual([2, 2, 2, 2]);
    expect(outcomes[0].stderr).toContain(`${badLine}: --learning-curve: line 3: expected "rows,score" (two numbers), got '2000;0.9'`);
    expect(outcomes[1].stderr).toMatch(new RegExp(`${duplicate}: --learning-curve: invalid learning curve: .*each row count once`));
    expect(outcomes[2].stderr).toContain(`${wrongKind}: --learning-curve: expected a .json or .csv file`);
    expect(outcomes[3].stderr).toContain(`${join(dir, 'absent.csv')}:`);
  });
});
