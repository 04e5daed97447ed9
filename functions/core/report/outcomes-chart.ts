/**
 * The report's "Retrain outcomes" section: one row per recorded retrain (what drifted, what was decided,
 * what the retrain gained) and a small plot of the validation score before and after each retrain.
 * Every data string is escaped (escape.ts); output is a deterministic string.
 */
import type { DeepReadonly } from '../drift/json-number.js';
import type { RetrainOutcome as Outcome } from '../learning/outcomes.js';
import { isRetrainLesson } from '../learning/outcomes.js';

type RetrainOutcome = DeepReadonly<Outcome>;
import { MISSING, formatDelta, formatNumber, formatUtcDateTime } from '../format.js';
import { escapeHtml as e } from './escape.js';
import { emptyChart, frameOf, linearScale, niceTicks, openSvg, r, xAxis, yAxis } from './svg-kit.js';

/** What the outcomes plot needs. */
export interface OutcomesChartInput {
  readonly id: string;
  readonly title: string;
  readonly outcomes: readonly RetrainOutcome[];
  readonly width?: number;
  readonly height?: number;
}

/** Draw each retrain's previous and new validation score (a failed or rolled-back one hollow), in order. */
export function outcomesChart(input: OutcomesChartInput): string {
  const width = input.width ?? 640;
  const height = input.height ?? 220;
  const scored = input.outcomes.map((o, i) => ({ o, i })).filter(({ o }) => o.validationScore !== null);
  if (scored.length === 0) return emptyChart(input.id, input.title, 'No retrain reported a validation score yet.', width);
  const values = scored.flatMap(({ o }) => [o.validationScore as number, ...(o.previousScore !== null ? [o.previousScore] : [])]);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.1;
  const yTicks = niceTicks(lo - pad, hi + pad, 4);
  const frame = frameOf(width, height, 56, 24, 32, 40);
  const n = input.outcomes.length;
  const x = linearScale([-0.5, n - 0.5], [frame.left, width - frame.right]);
  const y = linearScale([Math.min(lo - pad, yTicks[0] ?? lo), Math.max(hi + pad, yTicks[yTicks.length - 1] ?? hi)], [height - frame.bottom, frame.top]);
  const metric = scored[scored.length - 1].o.metric;
  const desc = `Validation score of ${scored.length} retrain(s)${metric ? ` (${metric.name}, ${metric.direction})` : ''}; arrows from the previous version's score; hollow marks failed or rolled back.`;
  let out = openSvg(input.id, input.title, desc, frame);
  out += yAxis(frame, y, yTicks, (v) => formatNumber(v, 3));
  out += xAxis(frame, x, input.outcomes.map((_, i) => i), (i) => input.outcomes[i]?.version ?? '');
  for (const { o, i } of scored) {
    const px = x(i);
    const py = y(o.validationScore as number);
    const tip = `<title>${e(`${o.version} (${o.status}): ${formatNumber(o.validationScore, 4)}${o.previousScore !== null ? `, was ${formatNumber(o.previousScore, 4)}` : ''}`)}</title>`;
    if (o.previousScore !== null) {
      out += `<line class="mark gain" x1="${r(px)}" y1="${r(y(o.previousScore))}" x2="${r(px)}" y2="${r(py)}" stroke="#777" stroke-width="2"/>`;
      out += `<circle class="mark previous" cx="${r(px)}" cy="${r(y(o.previousScore))}" r="3" fill="#777"/>`;
    }
    out += isRetrainLesson(o)
      ? `<circle class="mark point lesson" cx="${r(px)}" cy="${r(py)}" r="5" fill="#fff" stroke="#b3411f" stroke-width="2">${tip}</circle>`
      : `<circle class="mark point adopted" cx="${r(px)}" cy="${r(py)}" r="5" fill="#1f3b63" stroke="#fff">${tip}</circle>`;
  }
  out +=
    `<g class="legend-box"><circle cx="${frame.left + 5}" cy="14" r="4" fill="#1f3b63"/><text x="${frame.left + 14}" y="18" class="legend">adopted</text>` +
    `<circle cx="${frame.left + 85}" cy="14" r="4" fill="#fff" stroke="#b3411f" stroke-width="2"/><text x="${frame.left + 94}" y="18" class="legend">failed / rolled back</text>` +
    `<circle cx="${frame.left + 235}" cy="14" r="3" fill="#777"/><text x="${frame.left + 244}" y="18" class="legend">previous version</text></g>`;
  return `${out}</svg>`;
}

function score(x: number | null): string {
  return x === null ? MISSING : formatNumber(x, 4);
}

/**
 * The report section of a model's retrain outcomes, newest first in the table; empty when none is recorded.
 * @example
 * const html = outcomesSection((await repo.outcomes('fraud'))?.outcomes ?? []);
 */
export function outcomesSection(outcomes: readonly RetrainOutcome[] | undefined): string {
  if (outcomes === undefined || outcomes.length === 0) return '';
  const rows = [...outcomes]
    .reverse()
    .map((o) => {
      const drifted = o.drifted.length === 0 ? MISSING : e(o.drifted.slice(0, 5).join(', ') + (o.drifted.length > 5 ? ` +${o.drifted.length - 5}` : ''));
      const decision = o.decision === null ? MISSING : e(`${o.decision.action} by ${o.decision.actor}`);
      const metric = o.metric === null ? MISSING : e(o.metric.name);
      const gain = o.gain === null ? MISSING : formatDelta(o.gain, 4);
      return (
        `<tr class="outcome ${e(o.status)}"><td><code>${e(o.version)}</code></td><td>${e(formatUtcDateTime(o.at))}</td><td>${e(o.status)}</td>` +
        `<td>${drifted}</td><td>${decision}</td><td>${metric}</td><td class="num">${score(o.previousScore)} → ${score(o.validationScore)}</td><td class="num">${gain}</td></tr>`
      );
    })
    .join('');
  const chart = outcomesChart({ id: 'outcomes-plot', title: 'Validation score by retrain', outcomes });
  return (
    `<section id="outcomes" aria-labelledby="outcomes-h"><h2 id="outcomes-h">Retrain outcomes</h2>${chart}` +
    `<table><caption>What drifted, what was decided, what each retrain gained (gain &gt; 0 is better)</caption><thead><tr><th scope="col">Version</th><th scope="col">Recorded</th>` +
    `<th scope="col">Status</th><th scope="col">Drifted</th><th scope="col">Decision</th><th scope="col">Metric</th><th scope="col" class="num">Score (before → after)</th><th scope="col" class="num">Gain</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></section>`
  );
}
