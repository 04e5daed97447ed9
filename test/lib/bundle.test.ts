import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { GATE_SCHEDULE_SOURCE } from '../../functions/core/constants.js';
import { ENV } from '../../functions/handlers/env.js';
import type { DriftgateStack } from '../../lib/driftgate-stack.js';
import { awsTestClientConfig, startMoto, venvPython, type MotoServer } from '../support/moto.js';
import { bundleRuntimes } from '../support/node24.js';
import { synthDriftgate } from './synth.js';

const run = promisify(execFile);
const BATCH_FIXTURES = fileURLToPath(new URL('../fixtures/batches/', import.meta.url));

/** Node 20 (this Node) and Node 24 (the Lambda runtime's, from scripts/ensure-node24.sh). */
const RUNTIMES = bundleRuntimes();

/**
 * Invoke `handler` of a bundled function in a fresh process of `node`, the way the Lambda runtime imports
 * `index.mjs`, once per event in order (one warm instance), and return what each resolved to.
 */
async function invokeBundleWarm(node: string, assetDir: string, events: readonly unknown[], env: Record<string, string>): Promise<unknown[]> {
  const entry = pathToFileURL(join(assetDir, 'index.mjs')).href;
  const script = [
    `const m = await import(${JSON.stringify(entry)});`,
    'for (const event of JSON.parse(process.env.EVENTS)) {',
    "  const r = await m.handler(event); process.stdout.write('\\nRESULT ' + JSON.stringify(r) + '\\n');",
    '}',
  ].join('\n');
  const { stdout } = await run(node, ['--input-type=module', '-e', script], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', ...env, EVENTS: JSON.stringify(events), POWERTOOLS_METRICS_DISABLED: 'true' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const results = stdout
    .split('\n')
    .filter((l) => l.startsWith('RESULT '))
    .map((l) => JSON.parse(l.slice('RESULT '.length)) as unknown);
  if (results.length !== events.length) throw new Error(`expected ${events.length} results from the bundle:\n${stdout}`);
  return results;
}

/** One cold invocation of a bundled handler (see invokeBundleWarm). */
async function invokeBundle(node: string, assetDir: string, event: unknown, env: Record<string, string>): Promise<unknown> {
  const [result] = await invokeBundleWarm(node, assetDir, [event], env);
  return result;
}

/** `node24` for the label `Node 24`: keeps the models and secrets of the two runtimes apart. */
const tagOf = (label: string): string => label.toLowerCase().replace(/\s+/g, '');

/** The SQS message S3 sends for one upload (keys URL-encoded, spaces as '+'). */
function uploadMessage(messageId: string, bucket: string, key: string): { messageId: string; body: string } {
  const notification = {
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+') } },
      },
    ],
  };
  return { messageId, body: JSON.stringify(notification) };
}

describe('Function: Driftgate bundles (real esbuild bundling)', () => {
  let outdir: string;
  let dataDir: string;
  let stack: DriftgateStack;
  let moto: MotoServer;
  let baseEnv: Record<string, string>;

  /** The staged bundle of a function (its code asset), read from the construct: no synthesis needed. */
  const assetDir = (fn: NodejsFunction): string => join(outdir, (fn.node.findChild('Code') as Asset).assetPath);

  beforeAll(async () => {
    const motoStarting = startMoto();
    dataDir = mkdtempSync(join(tmpdir(), 'driftgate-bundle-'));
    const script = fileURLToPath(new URL('../e2e/make-batches.py', import.meta.url));
    const making = run(venvPython, [script, dataDir]);
    outdir = mkdtempSync(join(tmpdir(), 'driftgate-cdkout-'));
    // The only test file that bundles for real: esbuild runs while the stack is built (staging), so
    // the bundles are on disk without synthesizing the template.
    stack = synthDriftgate({ bundle: true, outdir }).stack;
    await making;
    moto = await motoStarting;
    const config = awsTestClientConfig(moto.endpoint);
    await new S3Client(config).send(new CreateBucketCommand({ Bucket: 'bundle-data' }));
    baseEnv = {
      [ENV.awsEndpoint]: moto.endpoint,
      [ENV.bucket]: 'bundle-data',
      AWS_REGION: config.region,
      AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
  });

  afterAll(async () => {
    await moto?.stop();
    for (const dir of [outdir, dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('bundles each function as one minified ESM file without a source map; parquet-wasm ships as a node module beside the bundle only for the functions that read batches', () => {
    // Prepare
    const dg = stack.driftgate;
    const wasm = readFileSync(fileURLToPath(new URL('../../node_modules/parquet-wasm/node/parquet_wasm_bg.wasm', import.meta.url)));
    const zstdWasm = readFileSync(fileURLToPath(new URL('../../node_modules/@foxglove/wasm-zstd/dist/wasm-zstd.wasm', import.meta.url)));

    // Act
    const readers = [dg.ingestFunction, dg.adoption.function].map(assetDir);
    const others = [dg.checkFunction, dg.gateFunction, dg.decideFunction].map(assetDir);

    // Assess
    for (const dir of [...readers, ...others]) {
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(false);
      expect(code).toContain('createRequire');
      // Never imported at module load (a cold start that reads no Parquet does not compile the wasm), never inlined.
      expect(code).not.toMatch(/from\s*"parquet-wasm"/);
      expect(code).not.toContain('parquet_wasm_bg.wasm');
    }
    for (const dir of others) expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    for (const dir of readers) {
      const module = join(dir, 'node_modules', 'parquet-wasm');
      const manifest = JSON.parse(readFileSync(join(module, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
      expect(manifest.name).toBe('parquet-wasm');
      expect(readFileSync(join(module, 'node', 'parquet_wasm_bg.wasm')).equals(wasm)).toBe(true);
      expect(existsSync(join(module, 'node', 'parquet_wasm.js'))).toBe(true);
      // Only the Node build ships: the browser builds would double the asset.
      expect(readdirSync(module).sort()).toEqual(['LICENSE_APACHE', 'LICENSE_MIT', 'node', 'package.json']);
      // The zstd decoder's .wasm, resolved from the bundle as functions/adapters/wasm-zstd.ts resolves it.
      const zstd = createRequire(join(dir, 'index.mjs')).resolve('@foxglove/wasm-zstd/dist/wasm-zstd.wasm');
      expect(zstd).toBe(join(dir, 'node_modules', '@foxglove', 'wasm-zstd', 'dist', 'wasm-zstd.wasm'));
      expect(readFileSync(zstd).equals(zstdWasm)).toBe(true);
      expect(readdirSync(join(dir, 'node_modules', '@foxglove', 'wasm-zstd')).sort()).toEqual(['LICENSE', 'dist', 'package.json']);
    }
  });

  it.each(RUNTIMES)('runs the bundled ingest handler in %s: reads a Parquet upload from S3 and stores its signature', async (label, node) => {
    // Prepare
    const s3 = new S3Client(awsTestClientConfig(moto.endpoint));
    const store = new S3Store(s3, 'bundle-data');
    const model = `bundled-${tagOf(label)}`;
    await store.put(`config/${model}.json`, JSON.stringify({ schemaVersion: 1, modelId: model, batchPrefix: `batches/${model}/` }));
    const key = `batches/${model}/part 1.parquet`;
    await s3.send(new PutObjectCommand({ Bucket: 'bundle-data', Key: key, Body: readFileSync(join(dataDir, 'drift-1.parquet')) }));
    const event = {
      Records: [
        { messageId: 'm-test', body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'bundle-data' }) },
        uploadMessage('m-good', 'bundle-data', key),
        { messageId: 'm-bad', body: '{"Records": "nope"}' },
      ],
    };

    // Act
    const result = await invokeBundle(node, assetDir(stack.driftgate.ingestFunction), event, baseEnv);

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] });
    const signatures = await store.list(`signatures/${model}/`);
    expect(signatures).toHaveLength(1);
    const signature = JSON.parse(Buffer.from((await store.get(signatures[0]))!.body).toString()) as { rowCount: number };
    expect(signature.rowCount).toBe(1500);
  });

  it.each(RUNTIMES)('keeps reading Parquet in a warm bundled ingest function in %s after a corrupt page made parquet-wasm panic', async (label, node) => {
    // Prepare: the damaged-page fixture panics the wasm decoder (see test/adapters/columnar-reader.test.ts).
    const s3 = new S3Client(awsTestClientConfig(moto.endpoint));
    const store = new S3Store(s3, 'bundle-data');
    const model = `warm-${tagOf(label)}`;
    await store.put(`config/${model}.json`, JSON.stringify({ schemaVersion: 1, modelId: model, batchPrefix: `batches/${model}/` }));
    const corrupt = `batches/${model}/corrupt.parquet`;
    const goods = [`batches/${model}/good-1.parquet`, `batches/${model}/good-2.parquet`];
    await s3.send(new PutObjectCommand({ Bucket: 'bundle-data', Key: corrupt, Body: readFileSync(join(BATCH_FIXTURES, 'bad-page-data.parquet')) }));
    for (const [i, key] of goods.entries()) {
      await s3.send(new PutObjectCommand({ Bucket: 'bundle-data', Key: key, Body: readFileSync(join(dataDir, `drift-${i + 1}.parquet`)) }));
    }
    const events = [
      { Records: [uploadMessage('m-corrupt', 'bundle-data', corrupt), uploadMessage('m-good-1', 'bundle-data', goods[0])] },
      { Records: [uploadMessage('m-good-2', 'bundle-data', goods[1])] },
    ];

    // Act: both invocations in one process, as in one warm Lambda instance.
    const results = await invokeBundleWarm(node, assetDir(stack.driftgate.ingestFunction), events, baseEnv);

    // Assess
    expect(results).toEqual([{ batchItemFailures: [{ itemIdentifier: 'm-corrupt' }] }, { batchItemFailures: [] }]);
    const signatures = await store.list(`signatures/${model}/`);
    expect(signatures).toHaveLength(2);
    for (const sigKey of signatures) {
      const signature = JSON.parse(Buffer.from((await store.get(sigKey))!.body).toString()) as { rowCount: number };
      expect(signature.rowCount).toBe(1500);
    }
  });

  it.each(RUNTIMES)('runs the bundled check and decision handlers in %s', async (label, node) => {
    // Prepare
    const config = awsTestClientConfig(moto.endpoint);
    const secretName = `bundle-secret-${tagOf(label)}`;
    await new SecretsManagerClient(config).send(new CreateSecretCommand({ Name: secretName, SecretString: 'k'.repeat(64) }));
    const topic = String((await new SNSClient(config).send(new CreateTopicCommand({ Name: 'bundle-topic' }))).TopicArn);
    const env = { ...baseEnv, [ENV.secretId]: secretName, [ENV.noticesTopicArn]: topic, [ENV.retrainTopicArn]: topic, [ENV.decideUrl]: 'https://example.lambda-url.us-east-1.on.aws/' };
    const urlEvent = { rawPath: '/decide', rawQueryString: '', headers: {}, requestContext: { domainName: 'x.lambda-url.us-east-1.on.aws', http: { method: 'GET' } } };

    // Act
    const checked = await invokeBundle(node, assetDir(stack.driftgate.checkFunction), { source: 'driftgate.schedule', scheduledTime: '2026-03-01T00:00:00Z' }, env);
    const page = (await invokeBundle(node, assetDir(stack.driftgate.decideFunction), urlEvent, env)) as { statusCode: number; headers: Record<string, string>; body: string };

    // Assess
    expect(checked).toMatchObject({ kind: 'due', outcome: { models: expect.arrayContaining([expect.objectContaining({ modelId: `bundled-${tagOf(label)}` })]) } });
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    expect(page.body).toContain('This link cannot be used');
  });

  it.each(RUNTIMES)('runs the bundled gate handler in %s on its scheduled event', async (label, node) => {
    // Prepare
    const config = awsTestClientConfig(moto.endpoint);
    const secretName = `gate-secret-${tagOf(label)}`;
    await new SecretsManagerClient(config).send(new CreateSecretCommand({ Name: secretName, SecretString: 'g'.repeat(64) }));
    const sns = new SNSClient(config);
    const notices = String((await sns.send(new CreateTopicCommand({ Name: 'gate-notices' }))).TopicArn);
    const retrain = String((await sns.send(new CreateTopicCommand({ Name: 'gate-retrain' }))).TopicArn);
    const env = { ...baseEnv, [ENV.secretId]: secretName, [ENV.noticesTopicArn]: notices, [ENV.retrainTopicArn]: retrain, [ENV.decideUrl]: 'https://example.lambda-url.us-east-1.on.aws/' };

    // Act
    const gated = await invokeBundle(node, assetDir(stack.driftgate.gateFunction), { source: GATE_SCHEDULE_SOURCE, scheduledTime: '2026-03-01T00:00:00Z' }, env);

    // Assess
    expect(gated).toMatchObject({ at: expect.any(String), models: expect.any(Array) });
  });
});
