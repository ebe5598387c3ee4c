/**
 * Latency histogram with log-linear buckets (as HdrHistogram does): values
 * below 128 ns are exact, above that each power of two is cut into 64
 * buckets, so every recorded value is kept within 1/64 (1.6 %) of itself.
 * All memory is allocated up front; record() allocates nothing, so the load
 * generator's own garbage does not show up in the latencies it measures.
 */
const SUB_BUCKETS = 64;
/** Covers up to 2^40 ns (18 minutes); anything longer is clamped into the last bucket. */
const MAX_SHIFT = 34;
const BUCKETS = SUB_BUCKETS * (MAX_SHIFT + 2);

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;

  get count(): number {
    return this.total;
  }

  /** Records one latency in nanoseconds. */
  record(nanoseconds: number): void {
    this.counts[bucketOf(nanoseconds)]! += 1;
    this.total += 1;
  }

  /** Adds `count` values to bucket `index` (as bucketOf numbers them): how a histogram recorded elsewhere is read in. */
  addToBucket(index: number, count: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= BUCKETS || !(count >= 0)) {
      throw new RangeError(`no bucket ${index} (0 to ${BUCKETS - 1}), or a negative count ${count}`);
    }
    this.counts[index]! += count;
    this.total += count;
  }

  /** The latency (ns) at quantile q in [0, 1], as the middle of its bucket; NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.counts[index]!;
      if (seen >= rank) return bucketMiddle(index);
    }
    return bucketMiddle(BUCKETS - 1);
  }
}

export function bucketOf(nanoseconds: number): number {
  const value = Math.max(0, Math.floor(nanoseconds));
  if (value < 2 * SUB_BUCKETS) return value;
  let shift = Math.min(Math.floor(Math.log2(value)) - 6, MAX_SHIFT);
  // log2 rounds up just below a power of two; step back so the mantissa stays in [64, 128).
  if (value / 2 ** shift < SUB_BUCKETS) shift -= 1;
  const mantissa = Math.min(Math.floor(value / 2 ** shift), 2 * SUB_BUCKETS - 1);
  return shift * SUB_BUCKETS + mantissa;
}

export function bucketLowerBound(index: number): number {
  if (index < 2 * SUB_BUCKETS) return index;
  const shift = Math.floor(index / SUB_BUCKETS) - 1;
  return (index - shift * SUB_BUCKETS) * 2 ** shift;
}

function bucketMiddle(index: number): number {
  if (index < 2 * SUB_BUCKETS) return index;
  return bucketLowerBound(index) + (bucketLowerBound(index + 1) - bucketLowerBound(index)) / 2;
}
