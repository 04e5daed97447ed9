import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { ConsoleNotifier } from '../adapters/console-notifier.js';
import { FileEventSink, readEventFile } from '../adapters/file-event-sink.js';
import { LocalStore } from '../adapters/local-store.js';
import { signSources } from '../adapters/sign-sources.js';
import { formatNumber, formatShare } from '../core/format.js';
import { scoreVersus } from '../core/report/slice-section.js';
import { parseAdoptionManifest } from '../core/lifecycle/adoption.js';
import { peekToken } from '../core/lifecycle/token.js';
import type { CheckOutcome } from '../core/lifecycle/types.js';
import type { Notice } from '../core/ports.js';
import { mulberry32 } from '../core/random.js';
import { parseReportJson } from '../core/report/report-json.js';
import { plainQuote, plainText } from '../core/text/plain.js';
import { Lifecycle } from '../service/lifecycle.js';

/**
 * The demo's learning chapter (issue 13): one retrain with a learning-curve hint and one slice-only drift.
 *
 * - `ranker`: a drifted week is approved and retrained; the retraining system's adoption manifest reports
 *   the retrain's scores and its learning curve (AUC by training rows, a known plateau). After three quiet
 *   days, the next drift's RetrainRequested event carries `recommendedTrainingRows` (rows, 90% interval,
 *   plateau) and a `trainingWindow` (the drifted batches, with the quiet days blended in), which the
 *   chapter prints in plain words.
 * - `shop`: a model sliced by `country`; in one week only Germany's `amount` moves. The population's
 *   features show no drift, the `country = 'DE'` slice does: the check names the slice, its row share and
 *   what moved, and opens a proposal.
 */

/** A line of the chapter (`--json`: one object a line, with `type`, `modelId` and `at`). */
export type LearningLine = { type: 'adopt' | 'check' | 'proposal' | 'decision' | 'retrain' | 'outcome' | 'hint' | 'slice-drift'; modelId: string; at: string } & Record<string, unknown>;

const RANKER = 'ranker';
const SHOP = 'shop';
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The countries of the shop's data; the shop's amount sits apart per country (N(10·i, 5)), as in test/fixtures/slices. */
const COUNTRIES = ['AR', 'BR', 'CA', 'DE', 'ES', 'FR', 'IN', 'JP', 'MX', 'US'] as const;
const SHIFTED = 'DE';
/** The shop's story starts after the ranker's, so the chapter's clock only moves forward. */
const SHOP_DAY = 15;
/** The learning curve the retraining system reports: AUC(n) = 0.92 − 2.9·n^(−0.5), a little noise; n* for ε 0.002 is ≈ 180,000 rows. */
const CURVE_ROWS = [1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000] as const;

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
}

/** The ranker's rows: amount (normal, shifted by `shift` sds) and age, as Arrow IPC. */
function rankerBatch(rand: () => number, shift: number, rows = 1500): Uint8Array {
  const amount = new Float64Array(rows);
  const age = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    amount[i] = 50 + 10 * (normal(rand) + shift);
    age[i] = 40 + 12 * normal(rand);
  }
  return tableToIPC(tableFromArrays({ amount, age }), 'file');
}

/** The shop's rows: `perCountry` rows of each country, amount ~ N(10·i, 5), moved by `deShift` in DE only. */
function shopBatch(rand: () => number, deShift: number, perCountry = 400): Uint8Array {
  const rows = COUNTRIES.length * perCountry;
  const amount = new Float64Array(rows);
  const country: string[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = i % COUNTRIES.length;
    country[i] = COUNTRIES[c];
    amount[i] = 10 * c + 5 * normal(rand) + (COUNTRIES[c] === SHIFTED ? deShift : 0);
  }
  return tableToIPC(tableFromArrays({ amount, country }), 'file');
}

function tokenIn(notice: Notice, action: string): string {
  const token = [...notice.text.matchAll(/[?&]token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === action);
  if (!token) throw new Error(`demo: the notice "${notice.subject}" has no ${action} link`);
  return token;
}

/** A row count for people: three significant digits, thousands separated (186,412 -> "186,000"). */
function aboutRows(n: number): string {
  const digits = Math.max(0, Math.floor(Math.log10(Math.max(1, n))) - 2);
  const rounded = Math.round(n / 10 ** digits) * 10 ** digits;
  return String(rounded).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Run the chapter in its own folder (`<dir>`), from `startMs`; every step is emitted as a line.
 * @example
 * await runLearningChapter({ dir: path.join(dir, 'learning'), startMs, seed: 7, emit: (line, text) => console.log(text) });
 */
export async function runLearningChapter(opts: {
  readonly dir: string;
  readonly startMs: number;
  readonly seed: number;
  readonly emit: (line: LearningLine, text: string) => void;
}): Promise<{ readonly recommendedRows: number; readonly slice: { readonly column: string; readonly value: string; readonly share: number } }> {
  await fs.mkdir(opts.dir, { recursive: true });
  const store = new LocalStore(opts.dir);
  const sent: Notice[] = [];
  const eventsFile = path.join(opts.dir, 'events.jsonl');
  const lifecycle = new Lifecycle({
    store,
    sign: signSources,
    notifier: new ConsoleNotifier(path.join(opts.dir, 'outbox'), (n) => sent.push(n)),
    events: new FileEventSink(eventsFile),
    secret: randomBytes(32),
    decideBaseUrl: 'http://127.0.0.1:8787',
  });
  const rand = mulberry32(opts.seed + 13);
  const at = (days: number, hours: number): Date => new Date(opts.startMs + days * DAY + hours * HOUR);
  const stamp = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ');
  const say = (line: LearningLine, text: string): void => opts.emit(line, `${stamp(new Date(line.at))}  ${line.modelId.padEnd(6)} ${text}`);

  // ranker: reference v1, a drifted week approved and retrained, v2 reports its outcome and learning curve.
  await lifecycle.putConfig({ schemaVersion: 1, modelId: RANKER, batchPrefix: `batches/${RANKER}/` });
  await store.put(`training/${RANKER}/v1.arrow`, rankerBatch(rand, 0));
  await lifecycle.setReference(RANKER, [`training/${RANKER}/v1.arrow`], at(0, 6), 'v1');
  say({ type: 'adopt', modelId: RANKER, at: at(0, 6).toISOString(), version: 'v1', initial: true }, 'learning from outcomes: reference v1; the retraining system will report each retrain\'s scores and learning curve');

  const approveDrift = async (day: number, shift: number, tag: string): Promise<{ proposalId: string; messageId: string }> => {
    for (let part = 0; part < 2; part++) {
      const key = `batches/${RANKER}/${tag}-${part}.arrow`;
      await store.put(key, rankerBatch(rand, shift));
      await lifecycle.ingest(key, at(day, 2));
    }
    const check = await lifecycle.check(RANKER, at(day, 8));
    if (check.status !== 'checked' || check.proposal === null) throw new Error(`demo: expected a proposal for ${RANKER} on day ${day}`);
    const { proposalId } = check.proposal;
    say({ type: 'proposal', modelId: RANKER, at: at(day, 8).toISOString(), proposalId, driftIndex: check.driftIndex }, `retrain proposal ${proposalId} (drift index ${check.driftIndex.toFixed(2)}); notice sent`);
    const notice = sent.find((n) => n.proposalId === proposalId);
    if (!notice) throw new Error(`demo: no notice for ${proposalId}`);
    const decided = await lifecycle.decide(tokenIn(notice, 'approve'), 'approve', at(day, 10), { actor: 'owner@example.com' });
    if (decided.status !== 'decided' || decided.retrainMessageId === undefined) throw new Error(`demo: the approval of ${proposalId} published no retrain event`);
    say({ type: 'decision', modelId: RANKER, at: at(day, 10).toISOString(), proposalId, action: 'approve', actor: 'owner@example.com', simulated: true }, `simulated click: owner@example.com approves ${proposalId}; RetrainRequested published`);
    return { proposalId, messageId: decided.retrainMessageId };
  };

  const first = await approveDrift(7, 1.5, 'week-1');
  // The retraining system trained v2 and measured its learning curve on its validation set.
  const curve = CURVE_ROWS.map((rows) => ({ rows, score: Number((0.92 - 2.9 * rows ** -0.5 + 0.0004 * normal(rand)).toFixed(5)) }));
  const manifest = parseAdoptionManifest(
    {
      schemaVersion: 1,
      modelId: RANKER,
      version: 'v2',
      trainingData: [`training/${RANKER}/v2.arrow`],
      proposalId: first.proposalId,
      validationScore: curve[curve.length - 1].score,
      previousScore: 0.861,
      metric: { name: 'auc', direction: 'higher-is-better' },
      learningCurve: curve,
      status: 'adopted',
    },
    `adoptions/${RANKER}/v2.json`,
  );
  await store.put(`training/${RANKER}/v2.arrow`, rankerBatch(rand, 1.5));
  await lifecycle.adopt(RANKER, { version: 'v2', trainingData: [...manifest.trainingData], manifest }, at(8, 4));
  const gain = (manifest.validationScore ?? 0) - (manifest.previousScore ?? 0);
  say(
    { type: 'outcome', modelId: RANKER, at: at(8, 4).toISOString(), version: 'v2', status: 'adopted', metric: 'auc', validationScore: manifest.validationScore, previousScore: manifest.previousScore, gain, learningCurvePoints: curve.length },
    `adopted v2: auc ${formatNumber(manifest.previousScore, 3)} -> ${formatNumber(manifest.validationScore, 3)} (gain ${formatNumber(gain, 2)}); the manifest reports a learning curve of ${curve.length} points, ${aboutRows(CURVE_ROWS[0])} to ${aboutRows(CURVE_ROWS[CURVE_ROWS.length - 1])} rows`,
  );

  // Three quiet days on v2's distribution (the checks before the drift's onset), then the next drift: the
  // approval's event carries the hint fitted on v2's curve, and a training window that blends in the quiet days.
  const quietChecks: { checkId: string; driftIndex: number }[] = [];
  for (let day = 9; day <= 11; day++) {
    const key = `batches/${RANKER}/quiet-${day}.arrow`;
    await store.put(key, rankerBatch(rand, 1.5));
    await lifecycle.ingest(key, at(day, 2));
    const quiet = await lifecycle.check(RANKER, at(day, 8));
    if (quiet.status !== 'checked' || quiet.proposal !== null) throw new Error(`demo: expected a quiet check for ${RANKER} on day ${day}`);
    quietChecks.push({ checkId: quiet.checkId, driftIndex: quiet.driftIndex });
  }
  say(
    { type: 'check', modelId: RANKER, at: at(11, 8).toISOString(), checks: quietChecks },
    `${quietChecks.length} daily checks on v2, no proposal (drift index ${quietChecks.map((c) => c.driftIndex.toFixed(2)).join(', ')})`,
  );
  const second = await approveDrift(14, 3, 'week-2');
  const event = (await readEventFile(eventsFile)).find((e) => e.messageId === second.messageId)?.event;
  const rec = event?.recommendedTrainingRows;
  if (rec === undefined || rec.status !== 'recommended') throw new Error(`demo: the second RetrainRequested carries no recommendation (${rec?.status === 'omitted' ? rec.message : 'none'})`);
  const window = event?.trainingWindow;
  const metric = rec.metric === null ? 'the score' : plainText(rec.metric, 64);
  const windowText = window
    ? `; training window: ${window.batches.length} batch(es) since the drift's onset (${aboutRows(window.rows)} rows)${window.blend.length > 0 ? ` plus ${window.blend.length} from before it (${aboutRows(window.blendRows)} rows)` : ''}${window.shortBy > 0 ? `, still ${aboutRows(window.shortBy)} rows short` : ''}`
    : '';
  say(
    { type: 'hint', modelId: RANKER, at: at(14, 10).toISOString(), proposalId: second.proposalId, messageId: second.messageId, recommendedTrainingRows: rec, ...(window ? { trainingWindow: window } : {}) },
    `RetrainRequested hint (fitted on ${plainText(rec.fromVersion, 64)}'s learning curve, R² ${formatNumber(rec.fit.r2, 4)}): retrain on about ${aboutRows(rec.rows)} rows (90 % interval ${aboutRows(rec.interval[0])}–${aboutRows(rec.interval[1])}); gains flatten at ${metric} ${formatNumber(rec.plateau, 3)} (90 % interval ${formatNumber(rec.plateauInterval[0], 3)}–${formatNumber(rec.plateauInterval[1], 3)}), less than ${formatNumber(rec.epsilon, 2)} per doubling beyond${windowText}`,
  );

  // shop: sliced by country; one country's amount moves, the population's does not.
  await lifecycle.putConfig({ schemaVersion: 1, modelId: SHOP, batchPrefix: `batches/${SHOP}/`, slices: ['country'] });
  await store.put(`training/${SHOP}/v1.arrow`, shopBatch(rand, 0));
  await lifecycle.setReference(SHOP, [`training/${SHOP}/v1.arrow`], at(SHOP_DAY, 6), 'v1');
  say({ type: 'adopt', modelId: SHOP, at: at(SHOP_DAY, 6).toISOString(), version: 'v1', initial: true, slices: ['country'] }, `per-slice drift: reference v1, sliced by 'country' (${COUNTRIES.length} values)`);
  const key = `batches/${SHOP}/week-1.arrow`;
  await store.put(key, shopBatch(rand, 10));
  await lifecycle.ingest(key, at(SHOP_DAY + 7, 2));
  const check: CheckOutcome = await lifecycle.check(SHOP, at(SHOP_DAY + 7, 8));
  if (check.status !== 'checked' || check.proposal === null) throw new Error(`demo: expected a slice-only drift proposal for ${SHOP}`);
  const stored = await store.get(check.reportKeys.json);
  if (stored === undefined) throw new Error(`demo: no stored report ${check.reportKeys.json}`);
  const report = parseReportJson(Buffer.from(stored.body).toString('utf8'), check.reportKeys.json);
  const alarmed = (report.result.slices ?? []).filter((s) => s.alarm);
  const top = alarmed.sort((a, b) => b.weighted - a.weighted)[0];
  if (top === undefined) throw new Error(`demo: the ${SHOP} check found no drifted slice`);
  const moved = top.drifted
    .slice(0, 3)
    // The notice's form of a score (the report's slice table says it the same way).
    .map((f) => `${plainQuote(f.name, 48)} (${plainText(scoreVersus(f), 80)})`)
    .join(', ');
  const aggregate = check.driftedFeatureNames.length === 0 ? 'no feature of the whole population drifted' : `the whole population also drifted in ${check.driftedFeatureNames.map((n) => plainQuote(n, 48)).join(', ')}`;
  say(
    {
      type: 'slice-drift',
      modelId: SHOP,
      at: at(SHOP_DAY + 7, 8).toISOString(),
      checkId: check.checkId,
      action: check.action,
      column: top.column,
      value: top.value,
      share: top.share,
      rows: top.rows,
      drifted: top.drifted.map((f) => ({ name: f.name, test: f.test, score: f.score, threshold: f.threshold })),
      aggregateDrifted: check.driftedFeatureNames,
      proposalId: check.proposal.proposalId,
    },
    `slice-only drift: slice ${plainQuote(top.column, 48)} = ${plainQuote(top.value, 48)} (${formatShare(top.share)} of rows, ${top.rows.current} of ${report.result.rowCount.current}) moved: ${moved}; ${aggregate}. Retrain proposal ${check.proposal.proposalId} (drift index ${check.driftIndex.toFixed(2)}); notice sent`,
  );
  return { recommendedRows: rec.rows, slice: { column: top.column, value: top.value, share: top.share } };
}
