import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileByteSource } from '../../functions/adapters/file-byte-source.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { renderDriftText } from '../../functions/cli/format.js';
import { cliReportInput } from '../../functions/cli/report.js';
import { EXIT, runCli, type CliIo } from '../../functions/cli/run.js';
import { compare } from '../../functions/core/drift/index.js';
import type { DriftResult } from '../../functions/core/drift/types.js';
import { LINKS_MARKER, parseReportJson, renderHtmlReport, renderNotice, renderReportJson } from '../../functions/core/report/index.js';
import { parseSignature, serializeSignature, type DatasetSignature } from '../../functions/core/signature/index.js';
import { venvPython } from '../support/moto.js';
import { FAKE_LINK, LINK_LOOKING, RAW_INVISIBLE } from '../core/text/hostile-corpus.js';

/**
 * End to end through the real readers and signer: batches written by pyarrow with dates and timestamps
 * past JavaScript's Date (date32 2^31-1 days, int64 microseconds and seconds), timestamps near int64
 * nanoseconds, a hostile Arrow time-zone string, hostile column names and categories. Signing, comparing
 * and every output (HTML report, notice, CLI text and --json, stored report JSON) must work, and `check
 * --html` must exit as usual instead of 3 (`RangeError: Invalid time value`).
 */

const run = promisify(execFile);

const WRITE_BATCHES = String.raw`
import sys, pyarrow as pa, pyarrow.parquet as pq, pyarrow.ipc as ipc
out = sys.argv[1]
n = 120
evil = "UTC\nApprove retraining: https://evil.example/decide?token=x\u202e"
name = "amount\u2028Approve retraining: https://evil.example/decide?token=y"
I64 = 2**63 - 1
ref = pa.table({
    "day": pa.array([19000 + i for i in range(n)], type=pa.date32()),
    "ts_ns": pa.array([1_700_000_000_000_000_000 + i * 10**9 for i in range(n)], type=pa.timestamp("ns", tz="UTC")),
    "ts_us": pa.array([1_700_000_000_000_000 + i for i in range(n)], type=pa.timestamp("us")),
    "zone": pa.array(list(range(n)), type=pa.int64()),
    name: pa.array([float(i % 40) for i in range(n)]),
    "city\u202e": pa.array(["paris" if i % 2 else "rome" for i in range(n)]),
})
pq.write_table(ref, f"{out}/reference.parquet")
cur = pa.table({
    "day": pa.array([2**31 - 1 if i % 2 else -(2**31) for i in range(n)], type=pa.date32()),
    "ts_ns": pa.array([I64 - i for i in range(n)], type=pa.timestamp("ns", tz="UTC")),
    "ts_us": pa.array([I64 - i for i in range(n)], type=pa.timestamp("us")),
    "zone": pa.array([I64 - i for i in range(n)], type=pa.timestamp("ns", tz=evil)),
    name: pa.array([float("nan") if i % 7 == 0 else float("inf") if i % 11 == 0 else float(i % 40 + 30) for i in range(n)]),
    "city\u202e": pa.array(["<script>x</script>" if i % 3 else "\x1b[2J" + evil for i in range(n)]),
})
pq.write_table(cur, f"{out}/current.parquet")
# Arrow IPC keeps timestamp[s] (Parquet cannot): int64 seconds are 9.2e21 ms, past any calendar.
cur_s = cur.append_column("ts_s", pa.array([I64 - i for i in range(n)], type=pa.timestamp("s"))).set_column(3, "zone", pa.array(list(range(n)), type=pa.int64()))
with ipc.new_file(f"{out}/current.arrow", cur_s.schema) as w:
    w.write_table(cur_s)
`;

const LINKS = {
  approve: 'https://decide.example.com/decide?token=approve.sig',
  reject: 'https://decide.example.com/decide?token=reject.sig',
  snooze: 'https://decide.example.com/decide?token=snooze.sig',
} as const;

let dir: string;
let reference: DatasetSignature;
let current: DatasetSignature;
let result: DriftResult;
const at = (name: string): string => join(dir, name);

/** A CliIo that records what the CLI prints. */
function memoryIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
    now: () => new Date('2026-11-26T06:00:00Z'),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftgate-extreme-'));
  await run(venvPython, ['-c', WRITE_BATCHES, dir]);
  reference = await signSources([await fileByteSource(at('reference.parquet'))]);
  current = await signSources([await fileByteSource(at('current.parquet')), await fileByteSource(at('current.arrow'))], { reference });
  result = compare(reference, current);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: signSources and compare (times past Date, hostile names)', () => {
  it('signs times past Date exactly and round-trips them through the stored signature', () => {
    // Act
    const read = parseSignature(serializeSignature(current), 'current.json');

    // Assess
    expect(current.columns.day).toMatchObject({ kind: 'time', min: -(2 ** 31) * 86_400_000, max: (2 ** 31 - 1) * 86_400_000 });
    expect(current.columns.ts_us).toMatchObject({ kind: 'time' });
    expect((current.columns.ts_us as { max: number }).max).toBeGreaterThan(8.64e15);
    expect((current.columns.ts_s as { max: number }).max).toBeGreaterThan(9e21);
    expect(read).toEqual(current);
  });

  it('reports the time ranges and the retype whose label carries the hostile time zone', () => {
    // Assess
    expect(result.time.map((t) => t.name).sort()).toEqual(['day', 'ts_ns', 'ts_us']);
    const zone = result.schema.retyped.find((r) => r.name === 'zone');
    expect(zone?.current).toContain('Approve retraining: https://evil.example/decide?token=x');
    expect(result.schema.added).toEqual(['ts_s']);
  });
});

describe('Function: every output of a batch with times past Date and hostile strings', () => {
  it('renders the HTML report with expanded ISO days and no raw control or bidi character', () => {
    // Act
    const html = renderHtmlReport(cliReportInput(result, new Date('2026-11-26T06:00:00Z')));

    // Assess
    expect(html).toContain('+5881580-07-11 00:00 UTC');
    expect(html).toContain('-5877641-06-23 00:00 UTC');
    expect(html).toContain('+294247-01-10 04:00 UTC');
    expect(html.replace(/\n/g, '')).not.toMatch(RAW_INVISIBLE);
    expect(html).not.toMatch(/<script/i);
  });

  it('renders the notice with the links last and the only ones', () => {
    // Act
    const { subject, text } = renderNotice({ modelId: 'fraud', proposalId: 'p-1', result, forecast: null, links: LINKS, expiresAt: '2026-11-29T06:00:00Z' });

    // Assess
    const lines = text.trimEnd().split('\n');
    const marker = lines.indexOf(LINKS_MARKER);
    expect(lines.slice(marker + 1)).toEqual([`Approve retraining: ${LINKS.approve}`, `Reject: ${LINKS.reject}`, `Snooze: ${LINKS.snooze}`]);
    for (const line of lines.slice(0, marker)) {
      expect(line).not.toMatch(LINK_LOOKING);
      expect(line).not.toMatch(RAW_INVISIBLE);
    }
    expect(text).not.toContain(FAKE_LINK);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('renders the CLI text and round-trips the stored report JSON', () => {
    // Act
    const text = renderDriftText(result, 400);
    const input = cliReportInput(result, new Date('2026-11-26T06:00:00Z'));
    const read = parseReportJson(renderReportJson(input), 'report.json');

    // Assess
    expect(text).toContain('  day: [2022-01-08T00:00:00.000Z .. 2022-05-07T00:00:00.000Z] → [-5877641-06-23T00:00:00.000Z .. +5881580-07-11T00:00:00.000Z]');
    for (const line of text.split('\n')) {
      expect(line).not.toMatch(RAW_INVISIBLE);
      expect(line).not.toMatch(LINK_LOOKING);
    }
    expect(read).toEqual(input);
    expect(renderHtmlReport(read)).toBe(renderHtmlReport(input));
  });

  it('runs `check --html` and `check --json` then `report` to completion (they used to exit 3)', async () => {
    // Prepare
    const io = memoryIo();
    const jsonIo = memoryIo();
    const reportIo = memoryIo();
    const files = ['--reference', at('reference.parquet'), at('current.parquet'), at('current.arrow')];

    // Act
    const code = await runCli(['check', ...files, '--html', at('check.html')], io);
    const jsonCode = await runCli(['check', ...files, '--json'], jsonIo);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(at('check.json'), jsonIo.out.join(''));
    const reportCode = await runCli(['report', '--in', at('check.json'), '--out', at('again.html')], reportIo);

    // Assess
    expect(io.err.join('')).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(jsonCode).toBe(EXIT.ok);
    expect(reportCode).toBe(EXIT.ok);
    const stdout = io.out.join('');
    expect(stdout).toContain('+5881580-07-11T00:00:00.000Z');
    expect(stdout.replace(/\n/g, '')).not.toMatch(RAW_INVISIBLE);
    const json = jsonIo.out.join('');
    expect(json.replace(/\n/g, '')).not.toMatch(RAW_INVISIBLE);
    expect((JSON.parse(json) as DriftResult).schema.retyped).toEqual(result.schema.retyped);
    expect(await readFile(at('check.html'), 'utf8')).toContain('+5881580-07-11 00:00 UTC');
    expect(await readFile(at('again.html'), 'utf8')).toContain('+5881580-07-11 00:00 UTC');
  });
});
