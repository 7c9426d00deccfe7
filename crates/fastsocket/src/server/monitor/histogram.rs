//! A small log-bucketed latency histogram: fixed memory, constant-time recording, percentiles within about 3 %.
//!
//! Values (microseconds) below 16 get a bucket each; above, every power of two is split into 16 buckets, so a
//! bucket is at most 1/16 of its value wide and its midpoint within 1/32 of any value in it. Values beyond
//! 2^36 µs (19 hours) share the last bucket. It is reset every second by the stats ticker, so counts never
//! come near overflowing.

/// Sub-buckets per power of two (as a shift).
const SUB_BITS: u32 = 4;
const SUB: u64 = 1 << SUB_BITS;
/// The largest exponent with buckets of its own.
const MAX_EXP: u32 = 36;
const BUCKETS: usize = (SUB as usize) + ((MAX_EXP - SUB_BITS + 1) as usize) * (SUB as usize);

/// Counts of latencies, by bucket.
#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Box<[u64]>,
    total: u64,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

fn index(value: u64) -> usize {
    if value < SUB {
        return value as usize;
    }
    let exp = (63 - value.leading_zeros()).min(MAX_EXP);
    let value = value.min((1 << (MAX_EXP + 1)) - 1);
    let sub = (value >> (exp - SUB_BITS)) & (SUB - 1);
    (SUB + u64::from(exp - SUB_BITS) * SUB + sub) as usize
}

/// The midpoint of a bucket's range.
fn midpoint(index: usize) -> u64 {
    let index = index as u64;
    if index < SUB {
        return index;
    }
    let exp = (index - SUB) / SUB + u64::from(SUB_BITS);
    let sub = (index - SUB) % SUB;
    let width = 1u64 << (exp - u64::from(SUB_BITS));
    ((SUB + sub) << (exp - u64::from(SUB_BITS))) + width / 2
}

impl Histogram {
    /// Counts one value.
    pub(crate) fn record(&mut self, value: u64) {
        self.counts[index(value)] += 1;
        self.total += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// The value at quantile `q` (0..=1): the midpoint of its bucket, kept within the smallest and largest
    /// value seen. `None` when empty.
    pub(crate) fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        // The rank of the value wanted, 1-based: the smallest value with at least q of the values at or below it.
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(midpoint(i).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// Forgets every value.
    pub(crate) fn clear(&mut self) {
        if self.total > 0 {
            self.counts.fill(0);
        }
        self.total = 0;
        self.min = u64::MAX;
        self.max = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::default();
        for v in [1, 2, 3, 4] {
            h.record(v);
        }
        assert_eq!(h.quantile(0.5), Some(2));
        assert_eq!(h.quantile(1.0), Some(4));
        assert_eq!(h.quantile(0.0), Some(1));
    }

    #[test]
    fn percentiles_stay_within_the_bucket_precision() {
        let mut h = Histogram::default();
        // 1..=10_000 µs: the exact p50 is 5000, p95 9500, p99 9900.
        for v in 1..=10_000 {
            h.record(v);
        }
        for (q, exact) in [(0.5, 5000.0), (0.95, 9500.0), (0.99, 9900.0)] {
            let got = h.quantile(q).unwrap() as f64;
            assert!(
                (got - exact).abs() / exact < 0.035,
                "q{q}: {got} vs {exact}"
            );
        }
        assert_eq!(h.total, 10_000);
    }

    #[test]
    fn every_value_lands_in_a_bucket_whose_midpoint_is_close() {
        for v in (0..40)
            .map(|e| 1u64 << e)
            .chain([17, 1000, 123_456, u64::MAX])
        {
            let i = index(v);
            assert!(i < BUCKETS, "{v}");
            let mid = midpoint(i);
            if v < 1 << MAX_EXP {
                assert!(
                    (mid as f64 - v as f64).abs() <= v as f64 / 16.0,
                    "{v}: {mid}"
                );
            }
        }
    }

    #[test]
    fn clear_empties() {
        let mut h = Histogram::default();
        h.record(7);
        h.clear();
        assert_eq!(h.quantile(0.5), None);
        h.record(9);
        assert_eq!(h.quantile(0.5), Some(9));
    }
}
