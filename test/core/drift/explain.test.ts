import { describe, expect, it } from 'vitest';
import { actionRuleSentence, decideAction } from '../../../functions/core/drift/action.js';
import { explainCategorical, explainDataset, explainInsufficient, formatScore } from '../../../functions/core/drift/explain.js';
import { schemaIncidents } from '../../../functions/core/drift/incidents.js';
import type { CategoricalFeatureDrift } from '../../../functions/core/drift/types.js';
import { driftResultFixture } from '../report/fixture.js';
import { HOSTILE_STRINGS, LINK_LOOKING, RAW_INVISIBLE } from '../text/hostile-corpus.js';

/** The sentences compare stores are built from names: each name is quoted by the plain-text rule. */

const categorical = driftResultFixture.features.find((f): f is CategoricalFeatureDrift => f.kind === 'categorical' && f.drift);
if (categorical === undefined) throw new Error('fixture has no drifted categorical feature');
const significance = { pValue: 0.001, label: 'chi²' };

function assessSentence(sentence: string): void {
  expect(sentence).not.toMatch(RAW_INVISIBLE);
  expect(sentence).not.toMatch(LINK_LOOKING);
}

describe('Function: explainCategorical, explainInsufficient, explainDataset, incidents and action reasons (hostile names)', () => {
  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s).slice(0, 50), s]))('write %s quoted, on one line, without links', (_label, hostile) => {
    // Prepare
    const { explanation: _e, ...feature } = { ...categorical, name: hostile, categories: categorical.categories.map((c) => ({ ...c, value: hostile })) };

    const schema = { missing: [hostile], added: [hostile], retyped: [{ name: hostile, reference: hostile, current: `mixed: timestamp (Timestamp<NANOSECOND, ${hostile}>)` }] };
    const incidents = schemaIncidents(schema);
    const evidence = { name: hostile, kind: 'categorical' as const, status: 'ok' as const, drift: true, severity: 3, effect: 0.5, significance: { pValue: 1e-9, label: 'chi²' }, unseen: { share: 0, pValue: 1 } };

    // Act
    const sentences = [
      explainCategorical({ ...feature, metrics: { ...feature.metrics, unseenShare: 0.2 } }, [[hostile, 3], [`${hostile}2`, 2]], significance),
      explainCategorical({ ...feature, metrics: { ...feature.metrics, unseenShare: 0 } }, [], significance),
      explainInsufficient(hostile, 3, 100, 30),
      explainDataset({
        action: 'data-quality',
        features: [],
        schema,
        incidents,
        ruleSentence: 'rule.',
        minimum: 30,
      }),
      ...incidents.map((i) => i.detail),
      decideAction({ features: [], incidents, datasetRule: { share: 0.5, keyFeatures: [] } }).reason,
      decideAction({ features: [evidence], incidents: [], datasetRule: { share: 0.5, keyFeatures: [] } }).reason,
      decideAction({ features: [{ ...evidence, effect: 0.01 }], incidents: [], datasetRule: { share: 0.9, keyFeatures: [] } }).reason,
      actionRuleSentence({ share: 0.5, keyFeatures: [hostile] }, 'dq'),
    ];

    // Assess
    for (const sentence of sentences) assessSentence(sentence);
  });

  it('keeps ordinary names as they were and escapes a quote inside one', () => {
    // Act
    const plain = explainInsufficient('delay', 3, 100, 30);
    const quoted = explainInsufficient("o'brien", 3, 100, 30);

    // Assess
    expect(plain).toBe("'delay': only 3 current values (need 30); not judged.");
    expect(quoted).toBe("'o\\'brien': only 3 current values (need 30); not judged.");
  });
});

describe('Function: formatScore', () => {
  it.each([
    { score: 0, text: '0.00' },
    { score: 1.04e-14, text: '0.00' },
    { score: -2e-16, text: '0.00' },
    { score: 0.004, text: '0.004' },
    { score: 0.25, text: '0.25' },
    { score: 2.164, text: '2.16' },
  ])('prints $score as "$text" (below 1e-9 a score is the rounding of merged moments)', ({ score, text }) => {
    // Act / Assess
    expect(formatScore(score)).toBe(text);
  });
});
