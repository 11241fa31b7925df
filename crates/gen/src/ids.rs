//! Deterministic ids: a small seeded generator (SplitMix64) and the 9
//! alphanumeric tool-call ids DeepFabric's schema requires. Nothing here reads
//! the clock, so the same seed gives the same ids on every machine.

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// SplitMix64: tiny, seedable, the same everywhere.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator for several numbers mixed together (run seed, sample, attempt).
    pub fn from_parts(parts: &[u64]) -> Self {
        let mut rng = Self(0x5745_4654_5345_4544);
        for part in parts {
            rng.0 ^= rng.next_u64().wrapping_add(*part);
        }
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// A tool-call id: 9 characters from `[A-Za-z0-9]`.
    pub fn call_id(&mut self) -> String {
        (0..9).map(|_| char::from(ALPHANUMERIC[self.below(ALPHANUMERIC.len() as u64) as usize])).collect()
    }
}

pub use weft_dataset::sample::is_call_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_nine_alphanumerics_and_reproducible() {
        let mut a = SeededRng::from_parts(&[7, 1, 0]);
        let mut b = SeededRng::from_parts(&[7, 1, 0]);
        let mut c = SeededRng::from_parts(&[7, 2, 0]);
        let (x, y, z) = (a.call_id(), b.call_id(), c.call_id());
        assert!(is_call_id(&x), "{x}");
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert!(!is_call_id("call_1234"));
    }
}
