import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adoptionManifestSchema } from '../../functions/core/lifecycle/adoption.js';
import type { Notice, ObjectStore } from '../../functions/core/ports.js';
import { Lifecycle } from '../../functions/service/lifecycle.js';
import { type ConformanceStore, batch, config, flowDeps } from './lifecycle-conformance.js';

const T0 = Date.parse('2026-04-06T00:00:00Z');
const at = (hours: number): Date => new Date(T0 + hours * 3_600_000);

/**
 * An adoption manifest that reports the retrain `failed` or `rolled-back` reaches the autonomy rules: the
 * model drops to manual at once, the decision log says why, and the gate tells the owner; `adopted` does not.
 */
export function manifestDemotionFlows(label: string, open: (scratchDir: string) => Promise<ConformanceStore>): void {
  let dir: string;
  let store: ObjectStore;
  let cleanup: (() => Promise<void>) | undefined;
  let sent: Notice[];
  let lifecycle: Lifecycle;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'driftgate-manifest-'));
    ({ store, cleanup } = await open(dir));
    sent = [];
    lifecycle = new Lifecycle(flowDeps(store, dir, sent, { secret: 'manifest-test-secret', decideBaseUrl: 'https://decide.test' }));
    // veto configured: the model starts above manual, so a demotion is visible.
    await lifecycle.putConfig(config({ approval: { mode: 'veto', vetoWindow: '24h' } }));
    await store.put('training/fraud/v1.arrow', batch(1));
    await store.put('training/fraud/v2.arrow', batch(2));
    await lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], at(0), 'v1');
  });
  afterEach(async () => {
    await cleanup?.();
    await rm(dir, { recursive: true, force: true });
  });

  const manifest = (version: string, status: 'adopted' | 'failed' | 'rolled-back') =>
    adoptionManifestSchema.parse({ schemaVersion: 1, modelId: 'fraud', version, trainingData: ['training/fraud/v2.arrow'], proposalId: `p-${version}`, status });
  const level = async (): Promise<string | null> => (await lifecycle.state('fraud'))?.autonomy.level ?? null;

  describe(`Promise: a manifest's failed or rolled-back retrain demotes the model (${label})`, () => {
    it.each(['failed', 'rolled-back'] as const)('a %s manifest drops veto to manual, logs why and notifies the owner once', async (status) => {
      // Act
      const before = await level();
      const outcome = await lifecycle.adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2.arrow'], manifest: manifest('v2', status) }, at(5));
      const after = await level();
      const again = await lifecycle.adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2.arrow'], manifest: manifest('v2', status) }, at(6));
      await lifecycle.checkDue(at(7));
      const log = await lifecycle.decisionLog('fraud');

      // Assess
      expect(before).toBeNull(); // as configured: veto
      expect(outcome.status).toBe('not-adopted');
      expect(again.status).toBe('not-adopted');
      expect(after).toBe('manual');
      const demotions = log.filter((e) => e.action === 'autonomy' && e.evidence.to === 'manual');
      expect(demotions).toHaveLength(1);
      expect(String(demotions[0].evidence.why)).toContain(`The retrain of proposal p-v2 was reported ${status}.`);
      expect(log.filter((e) => e.action === 'lesson')).toHaveLength(1);
      expect(sent.filter((n) => n.subject.includes('autonomy now manual'))).toHaveLength(1);
    });

    it('an adopted manifest leaves the level alone', async () => {
      // Act
      await lifecycle.adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2.arrow'], manifest: manifest('v2', 'adopted') }, at(5));

      // Assess
      expect(await level()).toBeNull();
      expect((await lifecycle.decisionLog('fraud')).filter((e) => e.action === 'autonomy')).toEqual([]);
    });
  });
}
