import { describe, expect, it } from 'vitest';
import { bucketLowerBound, bucketOf, LatencyHistogram } from '../src/histogram.js';

describe('LatencyHistogram', () => {
  it('maps values to contiguous buckets whose lower bounds never pass the value, within 1/64 of it', () => {
    const violations: string[] = [];
    let previous = -1;
    for (let value = 0; value < 1 << 18; value++) {
      const bucket = bucketOf(value);
      const lower = bucketLowerBound(bucket);
      if (bucket !== previous && bucket !== previous + 1)
        violations.push(`${value}: bucket ${bucket} after ${previous}`);
      if (lower > value || value - lower > value / 64) violations.push(`${value}: lower bound ${lower}`);
      previous = bucket;
    }
    expect(violations).toEqual([]);
  });

  it('keeps values just below and at powers of two in separate buckets', () => {
    for (let power = 8; power <= 40; power++) {
      const at = 2 ** power;
      expect(bucketOf(at - 1)).toBe(bucketOf(at) - 1);
      expect(bucketLowerBound(bucketOf(at))).toBe(at);
    }
  });

  it('reports quantiles within the bucket precision', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.quantile(0.5)).toBeNaN();
    for (let microseconds = 1; microseconds <= 1000; microseconds++) histogram.record(microseconds * 1000);
    expect(histogram.count).toBe(1000);
    expect(histogram.quantile(0.5) / 500_000).toBeCloseTo(1, 1);
    expect(histogram.quantile(0.99) / 990_000).toBeCloseTo(1, 1);
    expect(Math.abs(histogram.quantile(0.99) - 990_000)).toBeLessThan(990_000 / 64);
  });

  it('clamps absurd values into the last bucket instead of growing', () => {
    const histogram = new LatencyHistogram();
    histogram.record(Number.MAX_SAFE_INTEGER);
    histogram.record(-5);
    expect(histogram.count).toBe(2);
    expect(Number.isFinite(histogram.quantile(1))).toBe(true);
    expect(histogram.quantile(0)).toBe(0);
  });
});
