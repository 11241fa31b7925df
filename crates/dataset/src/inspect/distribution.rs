//! Exact order statistics of one value per sample.
//!
//! Values are kept (4 bytes each) and sorted once at the end: exact
//! percentiles cost 400 KB per distribution per 100,000 samples, which is
//! small beside the samples themselves.

use super::figures::{Bin, Distribution};

/// Most bins of one value each; wider ranges get equal-width bins.
const UNIT_BINS: u64 = 20;
/// Bins a wide range is aimed at.
const TARGET_BINS: u64 = 16;

/// The values seen so far.
#[derive(Debug, Default)]
pub(crate) struct Values(Vec<u32>);

impl Values {
    /// Records one value (saturating at `u32::MAX`).
    pub(crate) fn push(&mut self, value: u64) {
        self.0.push(u32::try_from(value).unwrap_or(u32::MAX));
    }

    /// Adds the values of another part.
    pub(crate) fn extend(&mut self, other: Values) {
        self.0.extend(other.0);
    }

    /// The distribution of the values.
    pub(crate) fn finish(self) -> Distribution {
        let mut values: Vec<u64> = self.0.into_iter().map(u64::from).collect();
        distribution(&mut values)
    }
}

/// The distribution of `values` (sorted in place).
pub(crate) fn distribution(values: &mut [u64]) -> Distribution {
    values.sort_unstable();
    let (Some(&min), Some(&max)) = (values.first(), values.last()) else {
        return Distribution::default();
    };
    let count = values.len() as u64;
    let sum: u64 = values.iter().sum();
    Distribution {
        count,
        sum,
        min,
        p50: nearest_rank(values, 50),
        p90: nearest_rank(values, 90),
        max,
        mean: round(sum as f64 / count as f64, 2),
        histogram: histogram(values, min, max),
    }
}

/// The smallest value that at least `percent`% of the sorted `values` do
/// not exceed: the value at rank `ceil(percent / 100 * n)`.
fn nearest_rank(sorted: &[u64], percent: u64) -> u64 {
    let n = sorted.len() as u64;
    let rank = (percent * n).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

fn histogram(sorted: &[u64], min: u64, max: u64) -> Vec<Bin> {
    let span = max - min + 1;
    let (start, width) = if span <= UNIT_BINS {
        (min, 1)
    } else {
        let w = nice_width(span.div_ceil(TARGET_BINS));
        (min / w * w, w)
    };
    let mut bins = Vec::new();
    let mut from = start;
    let mut rest = sorted;
    loop {
        let to = from.saturating_add(width - 1);
        let inside = rest.partition_point(|&v| v <= to);
        bins.push(Bin { from, to, count: inside as u64 });
        rest = &rest[inside..];
        if to >= max {
            return bins;
        }
        from = to + 1;
    }
}

/// The smallest of 1, 2, 5 × 10^k that is at least `raw`.
fn nice_width(raw: u64) -> u64 {
    let mut power = 1u64;
    loop {
        for step in [1, 2, 5] {
            let width = step * power;
            if width >= raw {
                return width;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// `value` rounded to `decimals` places.
pub(crate) fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// `part / whole` rounded to 4 places, `None` for an empty whole.
pub(crate) fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round(part as f64 / whole as f64, 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let d = distribution(&mut [5, 1, 3, 2, 4, 6, 7, 8, 9, 10]);
        assert_eq!((d.min, d.p50, d.p90, d.max, d.sum), (1, 5, 9, 10, 55));
        assert_eq!(d.mean, 5.5);
        // One value per bin over a short range.
        assert_eq!(d.histogram.len(), 10);
        assert!(d.histogram.iter().all(|b| b.count == 1 && b.from == b.to));
        let d = distribution(&mut [7]);
        assert_eq!((d.p50, d.p90), (7, 7));
    }

    #[test]
    fn wide_ranges_get_round_bins() {
        let mut values: Vec<u64> = (100..=1000).collect();
        let d = distribution(&mut values);
        // span 901 / 16 -> 57 -> width 100, starting at 100.
        assert_eq!(d.histogram.first(), Some(&Bin { from: 100, to: 199, count: 100 }));
        assert_eq!(d.histogram.last(), Some(&Bin { from: 1000, to: 1099, count: 1 }));
        assert_eq!(d.histogram.iter().map(|b| b.count).sum::<u64>(), 901);
        assert_eq!(nice_width(3), 5);
        assert_eq!(nice_width(11), 20);
    }

    #[test]
    fn empty_is_all_zero() {
        assert_eq!(distribution(&mut []), Distribution::default());
        assert_eq!(rate(1, 0), None);
        assert_eq!(rate(2, 3), Some(0.6667));
    }
}
