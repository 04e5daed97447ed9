import { describe, expect, it } from 'vitest';
import {
  categoryChart,
  forecastSegment,
  histogramChart,
  historyChart,
  linearScale,
  niceTicks,
  toPlotBins,
  truncateLabel,
} from '../../../functions/core/report/svg.js';
import { quantileLabels } from '../../../functions/core/report/summary.js';
import type { HistoryPoint } from '../../../functions/core/report/types.js';

/** Count drawn data marks (legend swatches carry no `mark` class). */
function marks(svg: string): number {
  return (svg.match(/class="mark[ "]/g) ?? []).length;
}

describe('Function: linearScale', () => {
  it('maps the domain ends to the range ends, inverted ranges included', () => {
    // Prepare
    const y = linearScale([0, 10], [200, 0]);

    // Act
    const values = [y(0), y(5), y(10)];

    // Assess
    expect(values).toEqual([200, 100, 0]);
  });

  it('maps every value to the middle of the range when the domain is a single point', () => {
    // Prepare
    const x = linearScale([3, 3], [0, 100]);

    // Act
    const values = [x(3), x(-1), x(1e9)];

    // Assess
    expect(values).toEqual([50, 50, 50]);
  });
});

describe('Function: niceTicks', () => {
  it('returns round steps covering the span', () => {
    // Act
    const ticks = niceTicks(0, 0.97, 4);

    // Assess
    expect(ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
  });

  it('prints decimal steps without binary noise', () => {
    // Act
    const ticks = niceTicks(0.1, 0.35, 5);

    // Assess
    expect(ticks).toEqual([0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
  });

  it('handles a single value and non-finite bounds', () => {
    // Assess
    expect(niceTicks(7, 7)).toEqual([7]);
    expect(niceTicks(0, Number.POSITIVE_INFINITY)).toEqual([]);
  });
});

describe('Function: toPlotBins', () => {
  it('turns counts on closed bins into shares', () => {
    // Act
    const bins = toPlotBins([0, 1, 2], [1, 3], [2, 2]);

    // Assess
    expect(bins).toEqual([
      { left: 0, right: 1, reference: 0.25, current: 0.5 },
      { left: 1, right: 2, reference: 0.75, current: 0.5 },
    ]);
  });

  it('gives open tails a typical width and drops tails that are empty in both batches', () => {
    // Act: counts.length === edges.length + 1, the signature's histogram layout
    const bins = toPlotBins([0, 10, 20], [0, 5, 5, 0], [0, 4, 4, 2]);

    // Assess
    expect(bins).toEqual([
      { left: 0, right: 10, reference: 0.5, current: 0.4 },
      { left: 10, right: 20, reference: 0.5, current: 0.4 },
      { left: 20, right: 30, reference: 0, current: 0.2, tail: 'above' },
    ]);
  });

  it('widens a zero-width bin (a constant column) so it stays visible', () => {
    // Act
    const bins = toPlotBins([5, 5], [10], [10]);

    // Assess
    expect(bins).toHaveLength(1);
    expect(bins?.[0].right).toBeGreaterThan(bins?.[0].left ?? Infinity);
    expect(bins?.[0].left).toBeLessThanOrEqual(5);
  });

  it('returns null when counts do not fit the edges', () => {
    // Assess
    expect(toPlotBins([0, 1, 2], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5])).toBeNull();
    expect(toPlotBins([0, 1, 2], [1, 2], [1])).toBeNull();
    expect(toPlotBins([0, Number.NaN, 2], [1, 2], [1, 2])).toBeNull();
  });
});

describe('Function: quantileLabels', () => {
  it('labels percent (the drift module) and fraction quantiles alike', () => {
    // Assess
    expect(quantileLabels([1, 5, 50, 99].map((p) => ({ p })))).toEqual(['p1', 'p5', 'p50', 'p99']);
    expect(quantileLabels([0.01, 0.5, 0.99].map((p) => ({ p })))).toEqual(['p1', 'p50', 'p99']);
  });
});

describe('Function: histogramChart', () => {
  it('draws one bar per non-empty reference bin and one step line for the current batch', () => {
    // Act
    const svg = histogramChart({ id: 'h', title: 'x', edges: [0, 1, 2, 3], reference: [2, 0, 2], current: [1, 1, 1] });

    // Assess
    expect((svg.match(/<rect class="mark"/g) ?? []).length).toBe(2);
    expect((svg.match(/<path class="mark series current"/g) ?? []).length).toBe(1);
    expect(svg).toMatch(/^<svg [^>]*role="img"[^>]*><title id="h-title">x<\/title>/);
  });

  it('draws a single bin', () => {
    // Act
    const svg = histogramChart({ id: 'one', title: 'single', edges: [4, 8], reference: [10], current: [3] });

    // Assess
    expect(marks(svg)).toBe(2);
    expect(svg).not.toContain('NaN');
  });

  it('draws no marks and says so for an all-null feature', () => {
    // Act
    const svg = histogramChart({ id: 'n', title: 'nulls', edges: [0, 1, 2], reference: [0, 0], current: [0, 0] });

    // Assess
    expect(marks(svg)).toBe(0);
    expect(svg).toContain('No non-null values to plot.');
    expect(svg).toContain('<title id="n-title">nulls</title>');
  });

  it('treats an all-null reference from a sketch (no edges, one empty count) as nothing to plot', () => {
    // Act
    const svg = histogramChart({ id: 's', title: 'sketch', edges: [], reference: [0], current: [0] });

    // Assess
    expect(marks(svg)).toBe(0);
    expect(svg).toContain('No non-null values to plot.');
  });

  it('says the bins are unusable instead of drawing garbage when counts do not fit the edges', () => {
    // Act
    const svg = histogramChart({ id: 'e', title: 'bad', edges: [0, 1, 2], reference: [1, 2, 3, 4, 5], current: [1, 2, 3, 4, 5] });

    // Assess
    expect(marks(svg)).toBe(0);
    expect(svg).toContain('do not match');
  });

  it('escapes the title', () => {
    // Act
    const svg = histogramChart({ id: 't', title: '<b>&"x"</b>', edges: [0, 1], reference: [1], current: [1] });

    // Assess
    expect(svg).toContain('&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;');
    expect(svg).not.toContain('<b>');
  });
});

describe('Function: categoryChart', () => {
  it('draws a bar per non-zero share, marks new values and escapes category values', () => {
    // Prepare
    const categories = [
      { value: 'AA', reference: 0.6, current: 0.5, unseen: false },
      { value: '<script>alert(1)</script>', reference: 0, current: 0.5, unseen: true },
    ];

    // Act
    const svg = categoryChart({ id: 'c', title: 'carrier', categories });

    // Assess
    expect(marks(svg)).toBe(3);
    expect(svg).toContain('NEW &lt;script&gt;alert(1)&lt;/scr…');
    expect(svg).not.toContain('<script');
  });

  it('draws nothing for no categories', () => {
    // Act
    const svg = categoryChart({ id: 'c', title: 'none', categories: [] });

    // Assess
    expect(marks(svg)).toBe(0);
    expect(svg).toContain('No categories to plot.');
  });
});

describe('Function: truncateLabel', () => {
  it('keeps short labels and cuts long ones by characters, not UTF-16 units', () => {
    // Assess
    expect(truncateLabel('short', 10)).toBe('short');
    expect(truncateLabel('😀😀😀😀😀', 3)).toBe('😀😀…');
  });
});

const history: HistoryPoint[] = [
  { at: '2026-11-01T00:00:00Z', checkId: 'a', verdict: 'no-drift', score: 0, driftIndex: 0.4 },
  { at: '2026-11-03T00:00:00Z', checkId: 'b', verdict: 'no-drift', score: 0, driftIndex: 0.6 },
  { at: '2026-11-05T00:00:00Z', checkId: 'c', verdict: 'drift', score: 0.2, driftIndex: 0.8 },
];

describe('Function: forecastSegment', () => {
  it('runs from the last check to the forecast crossing at 1', () => {
    // Act
    const seg = forecastSegment(history, { crossingAt: '2026-11-07T00:00:00Z', slopePerDay: 0.1, points: 3, method: 'theil-sen' });

    // Assess
    expect(seg).toEqual({ from: [Date.parse('2026-11-05T00:00:00Z'), 0.8], to: [Date.parse('2026-11-07T00:00:00Z'), 1] });
  });

  it('projects the slope a quarter of the span ahead when there is no crossing', () => {
    // Act
    const seg = forecastSegment(history, { crossingAt: null, slopePerDay: -0.1, points: 3, method: 'theil-sen' });

    // Assess: span 4 days -> 1 day ahead, 0.8 - 0.1
    expect(seg?.to[0]).toBe(Date.parse('2026-11-06T00:00:00Z'));
    expect(seg?.to[1]).toBeCloseTo(0.7, 12);
  });

  it('is null without a forecast or history', () => {
    // Assess
    expect(forecastSegment(history, null)).toBeNull();
    expect(forecastSegment([], { crossingAt: null, slopePerDay: 1, points: 0, method: 'theil-sen' })).toBeNull();
  });
});

describe('Function: historyChart', () => {
  it('draws the line, one marker per check (squares for drift), the threshold and the forecast', () => {
    // Act
    const svg = historyChart({
      id: 'hist',
      title: 'm',
      history,
      forecast: { crossingAt: '2026-11-07T00:00:00Z', slopePerDay: 0.1, points: 3, method: 'theil-sen' },
      cadence: [{ at: '2026-11-05T00:00:00Z', checkIntervalSeconds: 3600, previousIntervalSeconds: 21600, reason: '<rising>' }],
    });

    // Assess
    expect((svg.match(/class="mark point ok"/g) ?? []).length).toBe(2);
    expect((svg.match(/class="mark point drift"/g) ?? []).length).toBe(1);
    expect(svg).toContain('class="mark series history"');
    expect(svg).toContain('class="mark forecast"');
    expect(svg).toContain('class="threshold"');
    expect(svg).toContain('→1h');
    expect(svg).toContain('&lt;rising&gt;');
  });

  it('draws a single check without a line and without NaN coordinates', () => {
    // Act
    const svg = historyChart({ id: 'h1', title: 'one', history: history.slice(0, 1), forecast: null, cadence: [] });

    // Assess
    expect(marks(svg)).toBe(1);
    expect(svg).not.toContain('NaN');
  });

  it('says there is no history yet', () => {
    // Act
    const svg = historyChart({ id: 'h0', title: 'none', history: [], forecast: null, cadence: [] });

    // Assess
    expect(marks(svg)).toBe(0);
    expect(svg).toContain('No earlier checks yet.');
  });
});
