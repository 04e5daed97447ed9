import { describe, expect, it } from 'vitest';
import { renderDecisionPage, renderDecisionResult, renderOwnerPage } from '../../../functions/core/report/decision-page.js';
import { decisionInputFixture } from './fixture.js';

describe('Function: renderDecisionPage', () => {
  it('shows the evidence and one POST form with the token in a hidden field, under a CSP that allows posting only to itself', () => {
    // Act
    const html = renderDecisionPage(decisionInputFixture);

    // Assess
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"`);
    expect(html.match(/<form /g)).toHaveLength(1);
    expect(html).toContain('<form method="post">');
    expect(html.match(/<button /g)).toHaveLength(1);
    expect(html).toContain('<input type="hidden" name="token" value="eyJwIjoicHJvcC03ZjNhIn0.sig&quot;&gt;&lt;script&gt;window.__driftgatePwned=1&lt;/script&gt;">');
    expect(html).toContain('Approve retraining</button>');
    expect(html).toContain('&lt;b&gt;carrier&lt;/b&gt;');
    expect(html).toContain('href="https://reports.example.com/r.html?X-Amz-Signature=abc&amp;x=1"');
    expect(html).not.toMatch(/<script/i);
  });

  it('shows the check action beside the verdict when the evidence carries it', () => {
    // Act
    const withAction = renderDecisionPage({ ...decisionInputFixture, evidence: { ...decisionInputFixture.evidence, action: 'drift' } });
    const without = renderDecisionPage(decisionInputFixture);

    // Assess
    expect(withAction).toContain('<p>Action: <span class="badge drift">DRIFT</span></p><p>Verdict: <span class="badge drift">DRIFT</span></p>');
    expect(without).not.toContain('Action: ');
  });

  it('shows the error and no form when the link cannot be used', () => {
    // Act
    const html = renderDecisionPage({ ...decisionInputFixture, error: 'This link expired on Sun 29 Nov 2026 06:00 UTC.' });

    // Assess
    expect(html).toContain('This link expired on Sun 29 Nov 2026 06:00 UTC.');
    expect(html).not.toContain('<form');
    expect(html).not.toContain(decisionInputFixture.token.slice(0, 20));
  });

  it('names the snooze length and the veto time, and neutralises a javascript: report link', () => {
    // Act
    const html = renderDecisionPage({
      ...decisionInputFixture,
      action: 'snooze',
      snoozeSeconds: 86_400,
      vetoAt: '2026-11-27T06:00:00Z',
      evidence: { ...decisionInputFixture.evidence, reportUrl: 'javascript:alert(1)' },
    });

    // Assess
    expect(html).toContain('snooze this proposal for 1d');
    expect(html).toContain('Retraining starts at <strong>Fri 27 Nov 2026 06:00 UTC</strong> unless someone rejects it.');
    expect(html).toContain('href="#"');
    expect(html).not.toContain('javascript:');
  });
});

describe('Function: renderDecisionResult', () => {
  it('confirms a recorded decision and explains one that changed nothing', () => {
    // Act
    const done = renderDecisionResult({ modelId: 'm', proposalId: 'p', action: 'reject', outcome: 'done', decidedAt: '2026-11-26T07:00:00Z' });
    const again = renderDecisionResult({ modelId: 'm', proposalId: 'p', action: 'approve', outcome: 'already-decided', message: '<rejected> by a@example.com' });

    // Assess
    expect(done).toContain('Done: you chose to reject retraining (Thu 26 Nov 2026 07:00 UTC).');
    expect(again).toContain('Nothing changed: this proposal was already decided.');
    expect(again).toContain('&lt;rejected&gt; by a@example.com');
    expect(done).toContain("form-action 'self'");
  });
});

describe('Function: renderOwnerPage (a suggested exemption window)', () => {
  it('names the feature (escaped) and the window in words, with one POST form; a threshold suggestion keeps its sentence', () => {
    // Prepare
    const common = { modelId: 'fraud', action: 'accept-config' as const, token: 'tok', expiresAt: '2026-04-20T00:00:00.000Z', autonomy: { level: 'manual', record: '0 approved, 3 rejected', nextStep: 'x', lowerTo: [] } };
    const suggestion = { feature: '<b>amount</b>', test: 'wasserstein', from: 0.1, to: 0.1, verdicts: ['p1', 'p2', 'p3'], reasons: ['expected'] };

    // Act
    const windowPage = renderOwnerPage({ ...common, suggestion: { ...suggestion, window: { weekday: 1, hour: 9 } } });
    const thresholdPage = renderOwnerPage({ ...common, suggestion: { ...suggestion, to: 0.2 } });

    // Assess
    expect(windowPage).toContain('Exempt <strong>&lt;b&gt;amount&lt;/b&gt;</strong> on Mondays, 09:00–09:59 UTC: its drift there is still reported but drives no retrain proposal.');
    expect(windowPage).not.toContain('<b>amount</b>');
    expect(windowPage.match(/<form method="post"/g)).toHaveLength(1);
    expect(thresholdPage).toContain('threshold of <strong>&lt;b&gt;amount&lt;/b&gt;</strong> from 0.1 to 0.2');
  });
});
