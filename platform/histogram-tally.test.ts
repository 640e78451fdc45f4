import { Histogram, Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { HistogramTally } from './histogram-tally.ts';

const BOUNDS = [0.001, 0.01, 0.1, 1];

function histogram(): Histogram<'route'> {
  return new Histogram({ name: 'h', help: 'h', labelNames: ['route'], buckets: BOUNDS, registers: [new Registry()] });
}

async function series(metric: Histogram<'route'>): Promise<Record<string, number>> {
  const { values } = await metric.get();
  return Object.fromEntries(values.map((value) => [`${value.metricName}${value.labels.le === undefined ? '' : `{le=${value.labels.le}}`}`, value.value]));
}

describe('HistogramTally', () => {
  it('folds into the histogram exactly what observing each value there would have: buckets, count, sum', async () => {
    // Values on bounds (le is inclusive), between them, and past the last one.
    const values = [0.0002, 0.001, 0.0011, 0.004, 0.01, 0.05, 0.0999, 0.1, 0.7, 1, 3.5, 12];
    const direct = histogram();
    for (const value of values) direct.observe({ route: '/r' }, value);
    const tally = new HistogramTally(BOUNDS);
    for (const value of values) tally.observe(value);
    const folded = histogram();
    tally.foldInto(folded, { route: '/r' });

    const [want, got] = [await series(direct), await series(folded)];
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const name of Object.keys(want)) expect(got[name], name).toBeCloseTo(want[name]!, 12);
    expect(got['h_count']).toBe(values.length);
  });

  it('folds in one step per bucket however many observations, into the series of its labels only', async () => {
    const metric = histogram();
    metric.observe({ route: '/other' }, 0.05);
    const observe = vi.spyOn(metric, 'observe');
    const tally = new HistogramTally(BOUNDS);
    for (let i = 0; i < 100_000; i += 1) tally.observe(i % 2 === 0 ? 0.0005 : 0.5);
    tally.foldInto(metric, { route: '/r' });
    expect(observe).toHaveBeenCalledTimes(2);
    const { values } = await metric.get();
    const count = (route: string) => values.find((value) => value.metricName === 'h_count' && value.labels.route === route)?.value;
    expect(count('/r')).toBe(100_000);
    expect(count('/other')).toBe(1);
  });

  it('hands each observation over once', async () => {
    const tally = new HistogramTally(BOUNDS);
    const metric = histogram();
    tally.observe(0.5);
    tally.foldInto(metric, { route: '/r' });
    tally.foldInto(metric, { route: '/r' });
    tally.observe(0.002);
    tally.foldInto(metric, { route: '/r' });
    const got = await series(metric);
    expect(got['h_count']).toBe(2);
    expect(got['h_sum']).toBeCloseTo(0.502, 12);
    expect(got['h_bucket{le=0.01}']).toBe(1);
  });
});
