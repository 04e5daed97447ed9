import { describe, expect, it } from 'vitest';
import { durationSeconds, parseModelConfig, signatureRoles } from '../../../functions/core/lifecycle/config.js';
import { ConfigError } from '../../../functions/core/errors.js';
import { GOOD_CONFIGS, HOSTILE_CONFIGS, readmeConfigs } from './hostile-configs.js';

describe('Function: parseModelConfig', () => {
  it('applies every default and turns durations into seconds', () => {
    // Act
    const config = parseModelConfig({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' }, 'config/fraud.json');

    // Assess
    expect(config.cadence).toEqual({ minCheckInterval: 3600, maxCheckInterval: 604_800, minRetrainInterval: 86_400, maxRetrainInterval: 7_776_000 });
    expect(config.approval).toEqual({ mode: 'manual', vetoWindow: 86_400, promoteAfter: 5, suggestAfter: 3 });
    expect(config.proposalTtl).toBe(259_200);
    expect(config.notice).toEqual({ subjectPrefix: '[driftgate]', includeReportLink: true });
    expect(config.features.exclude).toEqual([]);
    expect(config.features.datasetRule).toEqual({ share: 0.5, keyFeatures: [] });
  });

  it('accepts "6h"/"7d" strings and whole seconds', () => {
    // Act
    const config = parseModelConfig(
      { schemaVersion: 1, modelId: 'm1', batchPrefix: 'batches/m1/', cadence: { minCheckInterval: '6h', maxCheckInterval: '2w', minRetrainInterval: 600, maxRetrainInterval: '30d' }, proposalTtl: '90m' },
      'inline',
    );

    // Assess
    expect(config.cadence).toEqual({ minCheckInterval: 21_600, maxCheckInterval: 1_209_600, minRetrainInterval: 600, maxRetrainInterval: 2_592_000 });
    expect(config.proposalTtl).toBe(5400);
  });

  it('lists the path of every bad field in one ConfigError', () => {
    // Prepare
    const bad = {
      schemaVersion: 2,
      modelId: 'Fraud Model',
      batchPrefix: '/abs',
      cadence: { minCheckInterval: 'soon' },
      approval: { mode: 'auto' },
      features: { overrides: { amount: { kind: 'text' } } },
      surprise: true,
    };

    // Act
    let error: unknown;
    try {
      parseModelConfig(bad, 'config/fraud.json');
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^config\/fraud\.json: /);
    for (const path of ['schemaVersion', 'modelId', 'batchPrefix', 'cadence.minCheckInterval', 'approval.mode', 'features.overrides.amount.kind']) {
      expect(message).toContain(`at ${path}`);
    }
    expect(message).toContain('surprise');
  });

  it('rejects min > max intervals and a veto window not shorter than the TTL', () => {
    // Prepare
    const input = {
      schemaVersion: 1,
      modelId: 'm',
      batchPrefix: 'batches/m/',
      cadence: { minCheckInterval: '2d', maxCheckInterval: '1d', minRetrainInterval: '60d', maxRetrainInterval: '30d' },
      approval: { mode: 'veto', vetoWindow: '4d' },
      proposalTtl: '3d',
    };

    // Act / Assess
    expect(() => parseModelConfig(input, 'x')).toThrow(/cadence\.minCheckInterval[\s\S]*cadence\.minRetrainInterval|cadence\.minRetrainInterval[\s\S]*cadence\.minCheckInterval/);
    expect(() => parseModelConfig(input, 'x')).toThrow(/at cadence\.minCheckInterval/);
    const fixedCadence = { ...input, cadence: {} };
    expect(() => parseModelConfig(fixedCadence, 'x')).toThrow(/at approval\.vetoWindow/);
  });
});

describe('Function: parseModelConfig (batchPrefix)', () => {
  it('requires a prefix under batches/ (the deployed notification and permissions cover only that), ending with "/"', () => {
    // Prepare
    const withPrefix = (batchPrefix: string) => ({ schemaVersion: 1, modelId: 'm', batchPrefix });

    // Act / Assess
    expect(parseModelConfig(withPrefix('batches/m/'), 'x').batchPrefix).toBe('batches/m/');
    expect(parseModelConfig(withPrefix('batches/team/m/'), 'x').batchPrefix).toBe('batches/team/m/');
    for (const bad of ['uploads/m/', 'b/m/', 'batches/', 'batches/m', 'batches//m/', 'x']) {
      expect(() => parseModelConfig(withPrefix(bad), 'config/m.json')).toThrow(/under "batches\/"[\s\S]*at batchPrefix/);
    }
  });
});

describe('Function: parseModelConfig (hostile input)', () => {
  it.each(HOSTILE_CONFIGS.map((c) => [c.name, c] as const))('refuses %s, naming its path', (_name, hostile) => {
    // Act
    let error: unknown;
    try {
      parseModelConfig(hostile.config, 'config/fraud.json');
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^config\/fraud\.json: invalid:\n/);
    expect(message).toContain(`→ at ${hostile.path}\n`.trimEnd());
    // The reason is on the line just before its path (z.prettifyError: "✖ reason" then "→ at path").
    const lines = message.split('\n');
    const at = lines.findIndex((line) => line.trim() === `→ at ${hostile.path}`);
    expect(lines[at - 1]).toMatch(hostile.reason);
    // A hostile value is never echoed whole: the message stays short whatever the input's size.
    expect(message.length).toBeLessThan(1000);
  });

  it.each(GOOD_CONFIGS.map((c) => [c.name, c.config] as const))('accepts %s', (_name, config) => {
    // Act / Assess
    expect(() => parseModelConfig(config, 'config/fraud.json')).not.toThrow();
  });

  it('accepts every model config README.md shows', () => {
    // Prepare
    const configs = readmeConfigs();

    // Act
    const parsed = configs.map((config, i) => parseModelConfig(config, `README.md config #${i + 1}`));

    // Assess
    expect(parsed.length).toBeGreaterThanOrEqual(1);
    expect(parsed[0].features.overrides.amount).toEqual({ test: 'wasserstein', threshold: 0.15 });
  });

  it('lists every bad field of a config at once, each at its path', () => {
    // Prepare
    const bad = {
      schemaVersion: 1,
      modelId: 'x'.repeat(65),
      batchPrefix: 'batches/x/../../state/',
      proposalTtl: 1e300,
      cadence: { minCheckInterval: '99999999999w' },
      features: { overrides: { amount: { test: 'anderson', threshold: 0 } } },
    };

    // Act / Assess
    let message = '';
    try {
      parseModelConfig(bad, 'x');
    } catch (err) {
      message = (err as Error).message;
    }
    for (const path of ['modelId', 'batchPrefix', 'proposalTtl', 'cadence.minCheckInterval', 'features.overrides.amount.test', 'features.overrides.amount.threshold']) {
      expect(message).toContain(`at ${path}`);
    }
  });
});

describe('Function: parseModelConfig (exemptWindows)', () => {
  it('accepts recurring UTC windows per feature and refuses an empty or out-of-range one, naming the field', () => {
    // Prepare
    const base = { schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' };
    const good = { ...base, features: { overrides: { amount: { exemptWindows: [{ hour: 10 }, { month: 12, weekday: 0 }] } } } };
    const bad = { ...base, features: { overrides: { amount: { exemptWindows: [{}, { hour: 24 }, { weekday: 1, minute: 5 }] } } } };

    // Act
    const parsed = parseModelConfig(good, 'good.json');
    let message = '';
    try {
      parseModelConfig(bad, 'bad.json');
    } catch (err) {
      message = (err as Error).message;
    }

    // Assess
    expect(parsed.features.overrides.amount.exemptWindows).toEqual([{ hour: 10 }, { month: 12, weekday: 0 }]);
    expect(parseModelConfig(base, 'plain.json').features.overrides).toEqual({});
    expect(message).toContain('bad.json');
    expect(message).toContain('at features.overrides.amount.exemptWindows[0]');
    expect(message).toContain('expected at least one of month (1–12), weekday (0–6, 0 = Sunday) or hour (0–23)');
    expect(message).toContain('at features.overrides.amount.exemptWindows[1].hour');
    expect(message).toContain('at features.overrides.amount.exemptWindows[2]');
  });
});

describe('Function: durationSeconds', () => {
  it('parses units and refuses everything else', () => {
    // Act / Assess
    expect(durationSeconds('45s')).toBe(45);
    expect(durationSeconds('6h')).toBe(21_600);
    expect(durationSeconds('1w')).toBe(604_800);
    expect(durationSeconds(90)).toBe(90);
    for (const bad of ['', '6', 'h', '1.5h', '-1h', '0h', 'six hours', `1${'0'.repeat(400)}s`]) expect(durationSeconds(bad)).toBeUndefined();
    expect(durationSeconds(0)).toBeUndefined();
    expect(durationSeconds(1.5)).toBeUndefined();
  });
});

describe('Function: signatureRoles', () => {
  it('hands per-feature kind overrides (integer codes as categorical) to the signature builder', () => {
    // Prepare
    const config = parseModelConfig(
      { schemaVersion: 1, modelId: 'm', batchPrefix: 'batches/m/', features: { overrides: { merchant_code: { kind: 'categorical' }, amount: { threshold: 0.2 } } } },
      'x',
    );

    // Act / Assess
    expect(signatureRoles(config)).toEqual({ merchant_code: 'categorical' });
  });
});

describe('Function: parseModelConfig (review samples and earned autonomy)', () => {
  const base = { schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' };

  it('keeps review samples off unless asked, and fills the documented defaults when asked', () => {
    // Act
    const off = parseModelConfig(base, 'config/fraud.json');
    const on = parseModelConfig({ ...base, review: { exclude: ['email'] } }, 'config/fraud.json');

    // Assess
    expect(off.review).toBeUndefined();
    expect(on.review).toEqual({ every: 7 * 86_400, rows: 20, exclude: ['email'], wrongShare: 0.3, reminders: 2 });
  });

  it('refuses bad review and autonomy fields, naming each path', () => {
    // Act
    const act = (): unknown =>
      parseModelConfig({ ...base, review: { every: '5m', rows: 101, exclude: [''], wrongShare: 0, reminders: 6 }, approval: { promoteAfter: 0, suggestAfter: 31 } }, 'config/fraud.json');

    // Assess
    expect(act).toThrow(/1h to 90d[\s\S]*→ at review\.every/);
    expect(act).toThrow(/review\.rows/);
    expect(act).toThrow(/column name[\s\S]*→ at review\.exclude\[0\]/);
    expect(act).toThrow(/review\.wrongShare/);
    expect(act).toThrow(/review\.reminders/);
    expect(act).toThrow(/approval\.promoteAfter/);
    expect(act).toThrow(/approval\.suggestAfter/);
  });
});
