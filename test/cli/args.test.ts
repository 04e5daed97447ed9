import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { DEFAULT_WORKERS, parseCliArgs, UsageError } from '../../functions/cli/args.js';
import { progressLine, progressText } from '../../functions/cli/progress.js';

describe('Function: parseCliArgs', () => {
  it('parses check with every option', () => {
    // Act
    const args = parseCliArgs([
      'check',
      '--reference',
      'ref.json',
      '--config',
      'model.json',
      '--json',
      '--fail-on-drift',
      '--html',
      'r.html',
      '--categorical',
      'zip, store_id',
      '--bins',
      '50',
      '--workers',
      '1',
      'a.parquet',
      'b.arrow',
    ]);

    // Assess
    expect(args).toEqual({
      command: 'check',
      reference: 'ref.json',
      config: 'model.json',
      json: true,
      failOnDrift: true,
      html: 'r.html',
      categorical: ['zip', 'store_id'],
      bins: 50,
      workers: 1,
      files: ['a.parquet', 'b.arrow'],
    });
  });

  it('defaults --workers to DEFAULT_WORKERS and takes 0 (the main thread) up to os.availableParallelism()', () => {
    // Act
    const plain = parseCliArgs(['baseline', '--out', 'r.json', 'a.parquet']);
    const inThread = parseCliArgs(['baseline', '--out', 'r.json', '--workers', '0', 'a.parquet']);
    const all = parseCliArgs(['check', '--reference', 'r.json', '--workers', String(availableParallelism()), 'a.parquet']);

    // Assess
    expect(plain).toMatchObject({ command: 'baseline', workers: DEFAULT_WORKERS });
    expect(inThread).toMatchObject({ workers: 0 });
    expect(all).toMatchObject({ command: 'check', workers: availableParallelism() });
  });

  it('parses adopt with every option, and without the optional ones', () => {
    // Act
    const full = parseCliArgs([
      'adopt',
      '--bucket',
      'data',
      '--endpoint',
      'http://127.0.0.1:5000',
      '--region',
      'eu-west-1',
      '--model',
      'fraud',
      '--version',
      'v2',
      '--proposal',
      '20260101T000000Z-abc',
      '--force',
      'training/fraud/v2/a.parquet',
      'training/fraud/v2/b.parquet',
    ]);
    const bare = parseCliArgs(['adopt', '--bucket', 'data', '--model', 'fraud', '--version', 'v2', 'training/fraud/v2/a.parquet']);

    // Assess
    expect(full).toEqual({
      command: 'adopt',
      bucket: 'data',
      endpoint: 'http://127.0.0.1:5000',
      region: 'eu-west-1',
      model: 'fraud',
      version: 'v2',
      proposal: '20260101T000000Z-abc',
      force: true,
      keys: ['training/fraud/v2/a.parquet', 'training/fraud/v2/b.parquet'],
    });
    expect(bare).toEqual({
      command: 'adopt',
      bucket: 'data',
      endpoint: undefined,
      region: undefined,
      model: 'fraud',
      version: 'v2',
      force: false,
      keys: ['training/fraud/v2/a.parquet'],
    });
  });

  it.each([
    [['adopt', '--model', 'fraud', '--version', 'v2', 'training/a.parquet'], /missing required option --bucket/],
    [['adopt', '--bucket', 'b', '--version', 'v2', 'training/a.parquet'], /missing required option --model/],
    [['adopt', '--bucket', 'b', '--model', 'fraud', 'training/a.parquet'], /missing required option --version/],
    [['adopt', '--bucket', 'b', '--model', 'fraud', '--version', 'v2'], /expected at least one training data KEY/],
    [['adopt', '--bucket', 'b', '--model', 'fraud', '--version', '', 'training/a.parquet'], /--version needs a non-empty value/],
    [['adopt', '--bucket', 'b', '--endpoint', 'localhost', '--model', 'm', '--version', 'v', 'k'], /--endpoint expects an http\(s\) URL/],
  ])('rejects adopt %j', (argv, message) => {
    // Act
    const act = (): unknown => parseCliArgs(argv);

    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['--verbose'], /unknown option '--verbose'/],
    [['check', '--reference', 'r.json', '--colour', 'a.parquet'], /unknown option '--colour'/],
    [['check', 'a.parquet'], /missing required option --reference/],
    [['check', '--reference', 'r.json'], /at least one FILE/],
    [['baseline', '--out', 'r.json', '--bins', '1', 'a.parquet'], /--bins expects a whole number from 2 to 1000, got '1'/],
    [['baseline', '--out', 'r.json', '--bins', '2.5', 'a.parquet'], /--bins expects a whole number/],
    [['upload-config', '--bucket', 'b', 'a.json', 'b.json'], /unexpected argument 'b.json'/],
    [['upload-config', '--bucket', 'b', '--endpoint', 'localhost:5000', 'a.json'], /--endpoint expects an http\(s\) URL/],
    [['demo', '--days', 'ten'], /--days expects a whole number/],
    [['baseline', '--out', 'r.json', '--workers', 'two', 'a.parquet'], new RegExp(`--workers expects a whole number from 0 to ${availableParallelism()}, got 'two'`)],
    [['baseline', '--out', 'r.json', '--workers', '-1', 'a.parquet'], /--workers/],
    [['check', '--reference', 'r.json', '--workers', String(availableParallelism() + 1), 'a.parquet'], new RegExp(`--workers ${availableParallelism() + 1} is more than this machine runs at once \\(${availableParallelism()}, os.availableParallelism\\(\\)\\); use 1 to ${availableParallelism()}`)],
    [['report', '--in', 'a.json'], /missing required option --out/],
    [['help', 'nope'], /unknown command 'nope'/],
  ])('rejects %j', (argv, message) => {
    // Act
    const act = (): unknown => parseCliArgs(argv);

    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });

  it('turns --help anywhere into the command help', () => {
    // Act
    const general = parseCliArgs([]);
    const command = parseCliArgs(['check', '--help']);
    const topic = parseCliArgs(['help', 'demo']);

    // Assess
    expect(general).toEqual({ command: 'help' });
    expect(command).toEqual({ command: 'help', topic: 'check' });
    expect(topic).toEqual({ command: 'help', topic: 'demo' });
  });
});

describe('Function: progressLine', () => {
  it('redraws at most every 100 ms, always draws the last update and erases itself', () => {
    // Prepare
    const written: string[] = [];
    let now = 0;
    const line = progressLine((t) => written.push(t), true, () => now);

    // Act
    line.onProgress({ file: 'a.parquet', rowsDone: 10, rowsTotal: 100 });
    now = 50;
    line.onProgress({ file: 'a.parquet', rowsDone: 20, rowsTotal: 100 });
    now = 60;
    line.onProgress({ file: 'a.parquet', rowsDone: 100, rowsTotal: 100 });
    line.done();

    // Assess
    expect(written).toEqual([
      '\r\x1b[Kreading a.parquet: 10 / 100 rows (10%)',
      '\r\x1b[Kreading a.parquet: 100 / 100 rows (100%)',
      '\r\x1b[K',
    ]);
  });

  it('writes nothing when disabled (not a terminal, or --json)', () => {
    // Prepare
    const written: string[] = [];
    const line = progressLine((t) => written.push(t), false);

    // Act
    line.onProgress({ file: 'a.parquet', rowsDone: 10, rowsTotal: undefined });
    line.done();

    // Assess
    expect(written).toEqual([]);
    expect(progressText({ file: 'b.arrow', rowsDone: 2_500_000, rowsTotal: undefined })).toBe('reading b.arrow: 2.5M rows');
  });
});
