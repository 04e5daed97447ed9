import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { CfnElement } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { ENV } from '../../functions/handlers/env.js';
import type { DriftgateStack } from '../../lib/driftgate-stack.js';
import { awsTestClientConfig, startMoto, venvPython, type MotoServer } from '../support/moto.js';
import { synthDriftgate } from './synth.js';

const run = promisify(execFile);

/**
 * Invoke `handler` of a bundled function in a fresh Node process (this Node: 20), the way the Lambda
 * runtime imports `index.mjs`, and return what it resolved to.
 */
async function invokeBundle(assetDir: string, event: unknown, env: Record<string, string>): Promise<unknown> {
  const entry = pathToFileURL(join(assetDir, 'index.mjs')).href;
  const script = `const m = await import(${JSON.stringify(entry)}); const r = await m.handler(JSON.parse(process.env.EVENT)); process.stdout.write('\\nRESULT ' + JSON.stringify(r) + '\\n');`;
  const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', ...env, EVENT: JSON.stringify(event), POWERTOOLS_METRICS_DISABLED: 'true' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`no result from the bundle:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as unknown;
}

describe('Function: Driftgate bundles (real esbuild bundling)', () => {
  let outdir: string;
  let dataDir: string;
  let stack: DriftgateStack;
  let moto: MotoServer;
  let baseEnv: Record<string, string>;

  const assetDir = (fn: NodejsFunction): string => {
    const id = stack.getLogicalId(fn.node.defaultChild as CfnElement);
    const resources = (templateJson as { Resources: Record<string, { Properties: { Code: { S3Key: string } } }> }).Resources;
    const hash = resources[id].Properties.Code.S3Key.replace(/\.zip$/, '');
    return join(outdir, `asset.${hash}`);
  };
  let templateJson: unknown;

  beforeAll(async () => {
    const motoStarting = startMoto();
    outdir = mkdtempSync(join(tmpdir(), 'driftgate-cdkout-'));
    const synthesized = synthDriftgate({ bundle: true, outdir });
    stack = synthesized.stack;
    templateJson = synthesized.template.toJSON();
    dataDir = mkdtempSync(join(tmpdir(), 'driftgate-bundle-'));
    const made = spawnSync(venvPython, [fileURLToPath(new URL('../e2e/make-batches.py', import.meta.url)), dataDir], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`make-batches.py failed: ${made.stderr}`);
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

  it('bundles each function as one minified ESM file with a source map and parquet-wasm beside it', () => {
    // Prepare
    const dg = stack.driftgate;

    // Act
    const dirs = [dg.ingestFunction, dg.checkFunction, dg.decideFunction].map(assetDir);

    // Assess
    for (const dir of dirs) {
      expect(existsSync(join(dir, 'index.mjs'))).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).toContain('createRequire');
      expect(statSync(join(dir, 'parquet_wasm_bg.wasm')).size).toBeGreaterThan(100_000);
    }
  });

  it('runs the bundled ingest handler in Node 20: reads a Parquet upload from S3 and stores its signature', async () => {
    // Prepare
    const s3 = new S3Client(awsTestClientConfig(moto.endpoint));
    const store = new S3Store(s3, 'bundle-data');
    await store.put('config/bundled.json', JSON.stringify({ schemaVersion: 1, modelId: 'bundled', batchPrefix: 'batches/bundled/' }));
    const key = 'batches/bundled/part 1.parquet';
    await s3.send(new PutObjectCommand({ Bucket: 'bundle-data', Key: key, Body: readFileSync(join(dataDir, 'drift-1.parquet')) }));
    const notification = {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'bundle-data' }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+') } },
        },
      ],
    };
    const event = {
      Records: [
        { messageId: 'm-test', body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'bundle-data' }) },
        { messageId: 'm-good', body: JSON.stringify(notification) },
        { messageId: 'm-bad', body: '{"Records": "nope"}' },
      ],
    };

    // Act
    const result = await invokeBundle(assetDir(stack.driftgate.ingestFunction), event, baseEnv);

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] });
    const signatures = await store.list('signatures/bundled/');
    expect(signatures).toHaveLength(1);
    const signature = JSON.parse(Buffer.from((await store.get(signatures[0]))!.body).toString()) as { rowCount: number };
    expect(signature.rowCount).toBe(1500);
  });

  it('runs the bundled check and decision handlers in Node 20', async () => {
    // Prepare
    const config = awsTestClientConfig(moto.endpoint);
    await new SecretsManagerClient(config).send(new CreateSecretCommand({ Name: 'bundle-secret', SecretString: 'k'.repeat(64) }));
    const topic = String((await new SNSClient(config).send(new CreateTopicCommand({ Name: 'bundle-topic' }))).TopicArn);
    const env = { ...baseEnv, [ENV.secretId]: 'bundle-secret', [ENV.noticesTopicArn]: topic, [ENV.retrainTopicArn]: topic, [ENV.decideUrl]: 'https://example.lambda-url.us-east-1.on.aws/' };
    const urlEvent = { rawPath: '/decide', rawQueryString: '', headers: {}, requestContext: { domainName: 'x.lambda-url.us-east-1.on.aws', http: { method: 'GET' } } };

    // Act
    const checked = await invokeBundle(assetDir(stack.driftgate.checkFunction), { source: 'driftgate.schedule', scheduledTime: '2026-03-01T00:00:00Z' }, env);
    const page = (await invokeBundle(assetDir(stack.driftgate.decideFunction), urlEvent, env)) as { statusCode: number; headers: Record<string, string>; body: string };

    // Assess
    expect(checked).toMatchObject({ kind: 'due', outcome: { models: [expect.objectContaining({ modelId: 'bundled' })] } });
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    expect(page.body).toContain('This link cannot be used');
  });
});
