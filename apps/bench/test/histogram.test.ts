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

  it('reads in counts recorded elsewhere by bucket (the C load generator) and gives the same quantiles', () => {
    const recorded = new LatencyHistogram();
    const read = new LatencyHistogram();
    const byBucket = new Map<number, number>();
    for (let value = 1; value <= 5_000_000; value = Math.ceil(value * 1.37)) {
      recorded.record(value);
      byBucket.set(bucketOf(value), (byBucket.get(bucketOf(value)) ?? 0) + 1);
    }
    for (const [index, count] of byBucket) read.addToBucket(index, count);
    expect(read.count).toBe(recorded.count);
    for (const q of [0, 0.5, 0.99, 0.999, 1]) expect(read.quantile(q)).toBe(recorded.quantile(q));
    expect(() => read.addToBucket(-1, 1)).toThrow(RangeError);
  });
});
