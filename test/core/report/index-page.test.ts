import { describe, expect, it } from 'vitest';
import { type IndexModel, modelStatus, renderIndexPage } from '../../../functions/core/report/index-page.js';

const state = (over: Partial<NonNullable<IndexModel['state']>> = {}): NonNullable<IndexModel['state']> => ({
  referenceVersion: 'v1',
  checkIntervalSeconds: 7200,
  nextCheckAt: '2026-03-01T10:00:00.000Z',
  lastCheckAt: '2026-03-01T08:00:00.000Z',
  activeProposalId: null,
  incidentOpen: false,
  history: [{ at: '2026-03-01T08:00:00.000Z', checkId: 'c1', verdict: 'drift', score: 0.5, driftIndex: 2 }],
  cadence: [],
  forecast: null,
  ...over,
});

const proposal = { proposalId: 'p1', status: 'open', createdAt: '2026-03-01T08:00:00.000Z', expiresAt: '2026-03-04T08:00:00.000Z', verdict: 'drift', driftIndex: 2, noticeSentAt: null };

describe('Function: modelStatus', () => {
  it.each([
    [{ modelId: 'a', proposals: [] }, 'no reference'],
    [{ modelId: 'a', state: state({ incidentOpen: true }), proposals: [] }, 'incident'],
    [{ modelId: 'a', state: state({ activeProposalId: 'p1' }), proposals: [proposal] }, 'proposal open'],
    [{ modelId: 'a', state: state({ activeProposalId: 'p1' }), proposals: [{ ...proposal, status: 'approved' }] }, 'awaiting adoption'],
    [{ modelId: 'a', state: state(), proposals: [{ ...proposal, status: 'rejected' }] }, 'watching'],
  ] as const)('%#: %s', (model, expected) => {
    // Assess
    expect(modelStatus(model as IndexModel)).toBe(expected);
  });
});

describe('Function: renderIndexPage', () => {
  it('lists state, cadence, the open proposal, recent checks with report links and the history plot', () => {
    // Act
    const html = renderIndexPage({
      generatedAt: '2026-03-01T09:00:00.000Z',
      models: [{ modelId: 'fraud', state: state({ activeProposalId: 'p1' }), proposals: [proposal], reportLinks: { c1: '/report?key=reports%2Ffraud%2Fc1.html&exp=1&sig=x' } }],
      broken: [],
    });

    // Assess
    expect(html).toContain('every 2h');
    expect(html).toContain('<code>p1</code>');
    expect(html).toContain('not delivered yet');
    expect(html).toContain('href="/report?key=reports%2Ffraud%2Fc1.html&amp;exp=1&amp;sig=x"');
    expect(html).toMatch(/<svg[^>]*id="history-0"|id="history-0"/);
    expect(html).not.toMatch(/<form|<script|\/decide/);
  });

  it('escapes what it shows from stored documents and refuses a javascript: report link', () => {
    // Act
    const html = renderIndexPage({
      generatedAt: '2026-03-01T09:00:00.000Z',
      models: [{ modelId: 'm', state: state({ referenceVersion: '<img src=x onerror=alert(1)>' }), proposals: [{ ...proposal, proposalId: '"><script>x</script>' }], reportLinks: { c1: 'javascript:alert(1)' } }],
      broken: [{ source: 'config/<b>.json', error: 'invalid: <i>' }],
    });

    // Assess
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('config/&lt;b&gt;.json');
    expect(html).toContain('href="#"');
  });
});
