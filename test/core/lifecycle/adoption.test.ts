import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/core/errors.js';
import {
  adoptionManifestKey,
  buildAdoptionManifest,
  parseAdoptionManifest,
  parseAdoptionManifestKey,
  parseStoredAdoptionManifest,
} from '../../../functions/core/lifecycle/adoption.js';

const GOOD = { schemaVersion: 1, modelId: 'fraud', version: 'v2.1_rc-1', trainingData: ['training/fraud/v2/part-0.parquet'], proposalId: '20260101T000000Z-0123456789' };

describe('Function: adoptionManifestKey', () => {
  it('round-trips through parseAdoptionManifestKey', () => {
    // Act
    const key = adoptionManifestKey('fraud', 'v2.1_rc-1');

    // Assess
    expect(key).toBe('adoptions/fraud/v2.1_rc-1.json');
    expect(parseAdoptionManifestKey(key)).toEqual({ modelId: 'fraud', version: 'v2.1_rc-1' });
    expect(parseAdoptionManifestKey('adoptions/fraud/v2.txt')).toBeUndefined();
    expect(parseAdoptionManifestKey('adoptions/fraud/x/v2.json')).toBeUndefined();
  });
});

describe('Function: parseAdoptionManifest', () => {
  it('accepts a complete manifest and one without proposalId', () => {
    // Act
    const full = parseAdoptionManifest(GOOD, 'm.json');
    const { proposalId: _omit, ...rest } = GOOD;
    const bare = parseAdoptionManifest(rest, 'm.json');

    // Assess
    expect(full).toEqual(GOOD);
    expect(bare.proposalId).toBeUndefined();
  });

  it('names the source and the path of every bad field at once', () => {
    // Act
    const act = (): unknown =>
      parseAdoptionManifest(
        { schemaVersion: 2, modelId: 'Fraud Model', version: '../v2', trainingData: ['batches/fraud/a.parquet', 'training/x/../../state/fraud.json', 'training/'], extra: true },
        'adoptions/fraud/v2.json',
      );

    // Assess
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(/^adoptions\/fraud\/v2\.json: invalid adoption manifest:/);
    for (const path of ['schemaVersion', 'modelId', 'version', 'trainingData[0]', 'trainingData[1]', 'trainingData[2]']) {
      expect(act).toThrow(new RegExp(`at ${path.replace(/[[\]]/g, '\\$&')}(\\n|$)`));
    }
    expect(act).toThrow(/extra/);
  });

  it.each([
    [{ ...GOOD, trainingData: [] }, /at least one training data key/],
    [{ ...GOOD, trainingData: ['training/a.parquet', 'training/a.parquet'] }, /each training data key once/],
    [{ ...GOOD, trainingData: ['training/fraud/'] }, /not a folder/],
    [{ ...GOOD, proposalId: 'a/b' }, /at proposalId/],
  ])('rejects %j', (input, message) => {
    // Act
    const act = (): unknown => parseAdoptionManifest(input, 'm.json');

    // Assess
    expect(act).toThrow(message);
  });
});

describe('Function: parseStoredAdoptionManifest', () => {
  it('checks that the modelId and version match the key', () => {
    // Act
    const ok = parseStoredAdoptionManifest('adoptions/fraud/v2.1_rc-1.json', JSON.stringify(GOOD));
    const wrong = (): unknown => parseStoredAdoptionManifest('adoptions/churn/v3.json', JSON.stringify(GOOD));

    // Assess
    expect(ok.version).toBe('v2.1_rc-1');
    expect(wrong).toThrow(/^adoptions\/churn\/v3\.json: modelId "fraud" does not match "churn" in the key; version "v2\.1_rc-1" does not match "v3" in the key \(expected adoptions\/fraud\/v2\.1_rc-1\.json\)$/);
  });
});

describe('Function: buildAdoptionManifest', () => {
  it('returns the manifest and its key, or names the bad field', () => {
    // Act
    const built = buildAdoptionManifest({ modelId: 'fraud', version: 'v3', trainingData: ['training/fraud/v3/a.parquet'] });
    const bad = (): unknown => buildAdoptionManifest({ modelId: 'fraud', version: 'v3', trainingData: ['a.parquet'] });

    // Assess
    expect(built).toEqual({ key: 'adoptions/fraud/v3.json', manifest: { schemaVersion: 1, modelId: 'fraud', version: 'v3', trainingData: ['training/fraud/v3/a.parquet'] } });
    expect(bad).toThrow(/adoption manifest of fraud v3: invalid adoption manifest:[\s\S]*at trainingData\[0\]/);
  });
});
