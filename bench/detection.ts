/**
 * `npm run bench:detection`: driftgate's engine and Evidently's DataDriftPreset (defaults) on the same
 * synthetic Parquet draws with known truth, in the same run (see bench/detection/generate.py for the shapes
 * and scenarios, bench/README.md "Detection" for the results).
 *
 * Steps: create bench/.venv-detection (evidently==0.7.*, pandas<3, from PyPI) if missing; write the draws
 * (pyarrow); run Evidently on a subset in a child process while driftgate signs every dataset with the real
 * signer (signSources over fileByteSource, the current signed against the reference as `driftgate check` does)
 * and compares them; print per tool the false-action rates on A/A draws, power per change, the data-quality
 * cases and the statistics against scipy; end with JSON lines.
 *
 * Options: --quick (few repetitions, no 250k), --out DIR (default bench/data/detection); --driftgate-only (no
 * Evidently and no bench/.venv-detection needed: the draws are written with the repo's .venv when that venv is
 * missing), --sizes 300,1000 (only those sizes), --aa N and --change N (repetitions per size), --peer-aa N and
 * --peer-change N (how many of those Evidently runs), --seed N (the draws; default 20261202, the seed the
 * false-action budget was tuned on: report on another).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileByteSource } from '../functions/adapters/file-byte-source.js';
import { signSources } from '../functions/adapters/sign-sources.js';
import { compare } from '../functions/core/drift/index.js';
import type { DriftResult, NumericFeatureDrift } from '../functions/core/drift/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outDir = args.includes('--out') ? args[args.indexOf('--out') + 1] : join(here, 'data', 'detection');
const driftgateOnly = args.includes('--driftgate-only');
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const peerPython = join(here, '.venv-detection', 'bin', 'python');
const python = driftgateOnly && !existsSync(peerPython) ? join(here, '..', '.venv', 'bin', 'python') : peerPython;

/** Repetitions per size: A/A and per change scenario, for driftgate; Evidently runs the first `peer` of each. */
const SIZES: Record<string, { aa: number; change: number; peerAa: number; peerChange: number }> = quick
  ? { 300: { aa: 10, change: 3, peerAa: 2, peerChange: 1 }, 1000: { aa: 10, change: 3, peerAa: 2, peerChange: 1 } }
  : {
      100: { aa: 100, change: 12, peerAa: 4, peerChange: 2 },
      300: { aa: 100, change: 12, peerAa: 4, peerChange: 2 },
      1000: { aa: 100, change: 12, peerAa: 4, peerChange: 2 },
      10000: { aa: 30, change: 6, peerAa: 3, peerChange: 1 },
      250000: { aa: 3, change: 1, peerAa: 1, peerChange: 1 },
    };
{
  const sizes = option('--sizes')?.split(',');
  const aa = option('--aa');
  const change = option('--change');
  const peerAa = option('--peer-aa');
  const peerChange = option('--peer-change');
  for (const n of Object.keys(SIZES)) {
    if (sizes !== undefined && !sizes.includes(n)) delete SIZES[n];
    else {
      // Large sizes keep their smaller counts: a 250k draw takes seconds to write and sign.
      const big = Number(n) > 1000;
      if (aa !== undefined) SIZES[n].aa = big ? Math.min(SIZES[n].aa, Number(aa)) : Number(aa);
      if (change !== undefined) SIZES[n].change = big ? Math.min(SIZES[n].change, Number(change)) : Number(change);
      if (peerAa !== undefined) SIZES[n].peerAa = Math.min(SIZES[n].aa, Number(peerAa));
      if (peerChange !== undefined) SIZES[n].peerChange = Math.min(SIZES[n].change, Number(peerChange));
    }
  }
  for (const n of sizes ?? []) if (SIZES[n] === undefined) throw new Error(`--sizes: ${n} is not one of the bench's sizes`);
}
const QUALITY = { n: 1000, reps: quick ? 1 : 4 };
const SEED = Number(option('--seed') ?? 20261202);

interface Entry {
  id: string;
  reference: string;
  current: string;
  n: number;
  scenario: string;
  column: string | null;
  rep: number;
  quality?: boolean;
  scipy?: Record<string, { ks: number; wassersteinNorm: number }>;
}
interface Outcome {
  action: string;
  datasetFlag: boolean;
  drifted: string[];
  error?: string;
  /** driftgate: the action's sentence (printed for the A/A draws that acted). */
  reason?: string;
}

function setup(): void {
  const r = spawnSync('bash', [join(here, 'detection', 'setup-venv.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bench/detection/setup-venv.sh failed: Evidently could not be installed (see its output above)');
}

function generate(): Entry[] {
  rmSync(outDir, { recursive: true, force: true });
  const spec = { sizes: Object.fromEntries(Object.entries(SIZES).map(([n, s]) => [n, { aa: s.aa, change: s.change }])), quality: QUALITY, seed: SEED };
  const r = spawnSync(python, [join(here, 'detection', 'generate.py'), outDir, JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('generate.py failed');
  return JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as Entry[];
}

function peerSubset(entries: Entry[]): Entry[] {
  return entries.filter((e) => {
    if (e.quality) return e.rep === 0;
    const s = SIZES[String(e.n)];
    return e.rep < (e.scenario === 'aa' ? s.peerAa : s.peerChange);
  });
}

function runPeer(entries: Entry[]): Promise<Map<string, Outcome>> {
  const file = join(outDir, 'peer-manifest.json');
  writeFileSync(file, JSON.stringify(entries));
  return new Promise((resolve, reject) => {
    const child = spawn(python, [join(here, 'detection', 'evidently_run.py'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const out = new Map<string, Outcome>();
      for (const line of text.split('\n').filter(Boolean)) {
        const r = JSON.parse(line) as { id: string; datasetDrift?: boolean; drifted?: string[]; error?: string };
        out.set(r.id, r.error !== undefined ? { action: 'error', datasetFlag: false, drifted: [], error: r.error } : { action: r.datasetDrift ? 'drift' : 'none', datasetFlag: !!r.datasetDrift, drifted: r.drifted ?? [] });
      }
      resolve(out);
    });
  });
}

async function runOurs(entry: Entry): Promise<{ outcome: Outcome; result?: DriftResult }> {
  try {
    const reference = await signSources([await fileByteSource(entry.reference)]);
    const current = await signSources([await fileByteSource(entry.current)], { reference });
    const result = compare(reference, current);
    return {
      outcome: {
        action: result.action,
        datasetFlag: result.action === 'drift' || result.action === 'data-quality',
        drifted: result.features.filter((f) => f.drift).map((f) => f.name),
        reason: result.actionReason,
      },
      result,
    };
  } catch (error) {
    return { outcome: { action: 'error', datasetFlag: false, drifted: [], error: String(error) } };
  }
}

const pct = (x: number, n: number): string => (n === 0 ? '—' : `${((100 * x) / n).toFixed(1)}%`);

interface Row {
  tool: string;
  n: number;
  scenario: string;
  datasets: number;
  /** Datasets with action drift or data-quality (A/A: false actions; changes: detections). */
  actions: number;
  /** A/A: features flagged over all features; changes: the changed column flagged. */
  featureHits: number;
  featureTotal: number;
  dataQuality: number;
}

function aggregate(tool: string, entries: Entry[], outcomes: Map<string, Outcome>): Row[] {
  const rows = new Map<string, Row>();
  for (const e of entries) {
    const o = outcomes.get(e.id);
    if (o === undefined) continue;
    const key = `${e.n}|${e.scenario}`;
    const row = rows.get(key) ?? { tool, n: e.n, scenario: e.scenario, datasets: 0, actions: 0, featureHits: 0, featureTotal: 0, dataQuality: 0 };
    row.datasets++;
    if (o.datasetFlag) row.actions++;
    if (o.action === 'data-quality') row.dataQuality++;
    if (e.scenario === 'aa') {
      row.featureHits += o.drifted.length;
      row.featureTotal += 10;
    } else if (e.column !== null) {
      row.featureTotal++;
      if (o.drifted.includes(e.column)) row.featureHits++;
    }
    rows.set(key, row);
  }
  return [...rows.values()];
}

async function main(): Promise<void> {
  if (!driftgateOnly) setup();
  const entries = generate();
  const peerEntries = driftgateOnly ? [] : peerSubset(entries);
  console.log(`${entries.length} datasets for driftgate, ${peerEntries.length} of them for Evidently (its run takes seconds each); seed ${SEED}`);
  const peer = driftgateOnly ? Promise.resolve(new Map<string, Outcome>()) : runPeer(peerEntries);
  const ours = new Map<string, Outcome>();
  const accuracy: { shape: string; n: number; ks: number; scipyKs: number; w: number; scipyW: number; source: string }[] = [];
  for (const e of entries) {
    const { outcome, result } = await runOurs(e);
    ours.set(e.id, outcome);
    if (e.scipy !== undefined && result !== undefined) {
      for (const [shape, truth] of Object.entries(e.scipy)) {
        const f = result.features.find((x) => x.name === shape) as NumericFeatureDrift | undefined;
        if (f === undefined) continue;
        accuracy.push({ shape, n: e.n, ks: f.metrics.ksStat, scipyKs: truth.ks, w: f.metrics.wassersteinNorm, scipyW: truth.wassersteinNorm, source: f.resolution?.source ?? '?' });
      }
    }
  }
  const peerOutcomes = await peer;
  const rows = [...aggregate('driftgate', entries, ours), ...aggregate('evidently', peerEntries, peerOutcomes)];

  console.log('\nper tool, size and scenario: datasets acted on (drift or data-quality) and feature flags');
  console.log('A/A: "dataset" = false actions, "features" = false feature flags; changes: "dataset" = power, "features" = the changed column flagged\n');
  console.log('| tool | n | scenario | datasets | dataset | features |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows.filter((x) => !x.scenario.startsWith('nulls') && !['dropped', 'retyped'].includes(x.scenario))) {
    console.log(`| ${r.tool} | ${r.n} | ${r.scenario} | ${r.datasets} | ${pct(r.actions, r.datasets)} | ${pct(r.featureHits, r.featureTotal)} |`);
  }
  console.log('\ndata-quality cases (n = 1000)\n');
  console.log('| tool | case | datasets | classified data-quality | what it said |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [tool, outcomes, list] of [['driftgate', ours, entries], ['evidently', peerOutcomes, peerEntries]] as const) {
    for (const scenario of ['nulls-0.3', 'dropped', 'retyped']) {
      const cases = list.filter((e) => e.scenario === scenario);
      const said = cases.map((e) => outcomes.get(e.id)).filter((o): o is Outcome => o !== undefined);
      const dq = said.filter((o) => o.action === 'data-quality').length;
      const what = [...new Set(said.map((o) => (o.error ? `error: ${o.error.slice(0, 60)}` : o.action)))].join('; ');
      console.log(`| ${tool} | ${scenario} | ${said.length} | ${dq} | ${what} |`);
    }
  }
  console.log('\nstatistics against scipy (ks_2samp, wasserstein_distance / σ_ref) per shape, worst case over the draws\n');
  console.log('| shape | source | pairs | max abs KS error | max rel W/σ error |');
  console.log('| --- | --- | --- | --- | --- |');
  const byShape = new Map<string, typeof accuracy>();
  for (const a of accuracy) byShape.set(a.shape, [...(byShape.get(a.shape) ?? []), a]);
  const accuracyRows = [...byShape.entries()].map(([shape, list]) => ({
    shape,
    sources: [...new Set(list.map((a) => a.source))].join('/'),
    pairs: list.length,
    ksError: Math.max(...list.map((a) => Math.abs(a.ks - a.scipyKs))),
    wRelError: Math.max(...list.map((a) => (a.scipyW > 0 ? Math.abs(a.w / a.scipyW - 1) : Math.abs(a.w)))),
  }));
  for (const a of accuracyRows) console.log(`| ${a.shape} | ${a.sources} | ${a.pairs} | ${a.ksError.toFixed(4)} | ${(100 * a.wRelError).toFixed(2)}% |`);
  console.log('\ndriftgate A/A draws that acted (false actions), with the action sentence\n');
  for (const e of entries.filter((x) => x.scenario === 'aa')) {
    const o = ours.get(e.id);
    if (o?.datasetFlag) console.log(`- ${e.id}: ${o.reason ?? o.action}`);
  }
  console.log('');
  for (const r of rows) console.log(JSON.stringify({ kind: 'rate', ...r, datasetRate: r.datasets > 0 ? r.actions / r.datasets : null, featureRate: r.featureTotal > 0 ? r.featureHits / r.featureTotal : null }));
  for (const a of accuracyRows) console.log(JSON.stringify({ kind: 'accuracy', ...a }));
  // The targets, per tool, from the rows above.
  for (const tool of ['driftgate', 'evidently']) {
    const mine = rows.filter((r) => r.tool === tool);
    if (mine.length === 0) continue;
    const rate = (scenario: string, n: number): number | null => {
      const r = mine.find((x) => x.scenario === scenario && x.n === n);
      return r === undefined || r.datasets === 0 ? null : r.actions / r.datasets;
    };
    const aa = Object.fromEntries(mine.filter((r) => r.scenario === 'aa').map((r) => [r.n, r.actions / r.datasets]));
    const quality = ['nulls-0.3', 'dropped', 'retyped'].flatMap((q) => mine.filter((r) => r.scenario === q));
    console.log(
      JSON.stringify({
        kind: 'targets',
        tool,
        seed: SEED,
        falseActionPerDataset: aa,
        falseActionMet: Object.values(aa).every((x) => x <= 0.01),
        power1SdAt300: rate('shift-1', 300),
        power05SdAt1000: rate('shift-0.5', 1000),
        powerMet: (rate('shift-1', 300) ?? 0) >= 0.95 && (rate('shift-0.5', 1000) ?? 0) >= 0.95,
        dataQuality: `${quality.reduce((sum, r) => sum + r.dataQuality, 0)}/${quality.reduce((sum, r) => sum + r.datasets, 0)}`,
        ...(tool === 'driftgate'
          ? { worstKsError: Math.max(...accuracyRows.map((a) => a.ksError)), worstWRelError: Math.max(...accuracyRows.map((a) => a.wRelError)) }
          : {}),
      }),
    );
  }
}

await main();
if (!existsSync(outDir)) process.exitCode = 1;
